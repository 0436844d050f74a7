from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConventionsConfig(AppConfig):
    name = "conventions"
    verbose_name = _("Conventions et partenaires")

    def ready(self):
        from acv import access
        from conventions import roles

        def programme_of_user(user):
            programme = roles.active_programme(user)
            if programme is None:
                return None, False
            return programme.pk, programme.code == roles.default_programme_code()

        access.programme_of_user = programme_of_user
