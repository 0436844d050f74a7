from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Review and revoke API tokens. None is added here: the key would have to be shown, and a token is
    created by its user (POST /api/v1/auth/token/), who alone sees its key."""

    list_display = ["user", "created", "last_used", "still_valid"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name"]
    readonly_fields = ["user", "created", "last_used", "still_valid"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description=_("valide (mot de passe inchangé)"))
    def still_valid(self, token):
        return token.matches_password_of(token.user)
