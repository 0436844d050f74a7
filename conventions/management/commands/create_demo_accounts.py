from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conventions.models import Organisation, Role, UserProfile

DEMO_PASSWORD = "demo-acv-2026"
# username, role, organisation key, first name, last name
DEMO_ACCOUNTS = [
    ("admin", Role.ADMIN, None, "Alice", "Administratrice"),
    ("coordinateur", Role.COORDINATOR, "cabbalr", "Claire", "Coordinatrice"),
    ("referent.bethune", Role.REFERENT, "bethune", "Romain", "Référent"),
    ("partenaire.bdt", Role.PARTNER, "bdt", "Paul", "Partenaire"),
    ("partenaire.region", Role.PARTNER, "region", "Rose", "Région"),
    ("comite", Role.COMMITTEE, None, "Camille", "Comité"),
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
            for username, role, org_key, first_name, last_name in DEMO_ACCOUNTS:
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
                UserProfile.objects.update_or_create(user=user, defaults={"role": role, "organisation": organisation})
                if role == Role.COORDINATOR:
                    user.groups.add(coordination)
                self.stdout.write(f"{username} ({role.label}) {'créé' if created else 'déjà présent'}")
