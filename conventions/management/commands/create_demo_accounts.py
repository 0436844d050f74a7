from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conventions.models import Organisation, Programme, Role, UserProfile

DEMO_PASSWORD = "demo-acv-2026"
# username, programme code, role, organisation key, first name, last name. Roles are per programme: the
# Contrat de Ville has its own coordinator and partner, who have no role in ACV (and the reverse).
DEMO_ACCOUNTS = [
    ("admin", "acv", Role.ADMIN, None, "Alice", "Administratrice"),
    ("coordinateur", "acv", Role.COORDINATOR, "cabbalr", "Claire", "Coordinatrice"),
    ("referent.bethune", "acv", Role.REFERENT, "bethune", "Romain", "Référent"),
    ("partenaire.bdt", "acv", Role.PARTNER, "bdt", "Paul", "Partenaire"),
    ("partenaire.region", "acv", Role.PARTNER, "region", "Rose", "Région"),
    ("comite", "acv", Role.COMMITTEE, None, "Camille", "Comité"),
    ("coordinateur.cdv", "cdv", Role.COORDINATOR, "cabbalr", "Louise", "Coordinatrice Contrat de Ville"),
    ("partenaire.caf", "cdv", Role.PARTNER, "caf", "Hugo", "CAF"),
    # The agglomeration's direction coordinates both programmes (the cross-programme view is theirs).
    ("direction", "acv", Role.COORDINATOR, "cabbalr", "Denis", "Direction"),
    ("direction", "cdv", Role.COORDINATOR, "cabbalr", "Denis", "Direction"),
]


class Command(BaseCommand):
    help = "Crée les comptes de démonstration, un par rôle (mot de passe demo-acv-2026). Refusé hors DEBUG."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Les comptes de démonstration ne sont créés qu'en développement (DEBUG=1).")
        users = get_user_model()
        with transaction.atomic():
            # The coordinator keeps the programme's data, reference lists included, in the admin too.
            coordination, _ = Group.objects.get_or_create(name="Coordination")
            coordination.permissions.set(
                Permission.objects.filter(
                    content_type__app_label__in=["conventions", "actions", "financing", "evaluation"]
                )
            )
            for username, code, role, org_key, first_name, last_name in DEMO_ACCOUNTS:
                organisation = Organisation.objects.get(key=org_key) if org_key else None
                user, created = users.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.org"},
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                user.is_staff = role in (Role.ADMIN, Role.COORDINATOR)
                user.is_superuser = role == Role.ADMIN
                user.save()
                UserProfile.objects.update_or_create(
                    user=user,
                    programme=Programme.objects.get(code=code),
                    defaults={"role": role, "organisation": organisation},
                )
                if role == Role.COORDINATOR:
                    user.groups.add(coordination)
                self.stdout.write(f"{username} ({role.label}, {code}) {'créé' if created else 'déjà présent'}")
