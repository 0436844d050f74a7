"""How the API recognises its callers: API tokens bound to the password, HTTP Basic that honours
django-axes' lockout, and the browser's session held to the second factor."""

from django.conf import settings
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, SessionAuthentication, TokenAuthentication

from accounts.models import ApiToken, key_digest
from accounts.second_factor import second_factor_missing
from accounts.services import api_token_mark_used

INVALID_TOKEN = "Jeton non valide."
INACTIVE_ACCOUNT = "Compte inactif ou supprimé."
REVOKED_TOKEN = "Jeton révoqué : le mot de passe a changé depuis sa création."
SECOND_FACTOR_MISSING = (
    "Double authentification requise : saisissez d'abord dans le navigateur, sur {url}, le code de votre "
    "application d'authentification."
)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <clé>`, looked up by the key's digest, refused once the password has changed.

    Machines are not asked for a second factor: their token stands for it, and an account that needs
    one can only create a token from a session that confirmed it (acv.api_auth.TokenView)."""

    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_digest=key_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE_ACCOUNT)
        if not token.matches_password_of(token.user):
            raise exceptions.AuthenticationFailed(REVOKED_TOKEN)
        api_token_mark_used(token=token)
        return (token.user, token)


class AccountLockedOut(exceptions.Throttled):
    default_detail = "Connexion à ce compte suspendue après trop d'échecs de mot de passe depuis votre adresse."
    extra_detail_singular = "Réessayez dans {wait} seconde."
    extra_detail_plural = "Réessayez dans {wait} secondes."
    default_code = "locked_out"


class LockoutAwareBasicAuthentication(BasicAuthentication):
    """HTTP Basic, whose failures django-axes counts like the login page's (DRF passes the request to
    `authenticate`). A locked-out account gets 429 and when to retry, not a 401 that reads like a typo."""

    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise AccountLockedOut(wait=settings.AXES_COOLOFF_TIME.total_seconds()) from None
            raise


class SecondFactorSessionAuthentication(SessionAuthentication):
    """The browser's session, refused (403) to an account that has not confirmed its second factor yet."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and second_factor_missing(result[0]):
            raise exceptions.PermissionDenied(
                SECOND_FACTOR_MISSING.format(url=reverse("accounts:second_factor_verify"))
            )
        return result
