from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes et accès")

    def ready(self):
        # Registers the schema extensions of the authentication classes (drf-spectacular finds them so).
        from accounts import schema  # noqa: F401
