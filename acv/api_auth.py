"""API tokens for machines: a signed-in user creates (POST) or revokes (DELETE) its own token."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import LockoutAwareBasicAuthentication, SecondFactorSessionAuthentication
from accounts.models import ApiToken
from accounts.second_factor import second_factor_required
from accounts.services import api_token_create, api_token_revoke
from accounts.throttling import TokenRateThrottle

PASSWORD_ALONE_REFUSED = (
    "Ce compte est protégé par la double authentification : créez son jeton depuis une session du navigateur "
    "où vous avez saisi le code de votre application, pas avec le mot de passe seul."
)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True,
        help_text=(
            "La clé, montrée cette fois seulement (seule son empreinte est conservée). À envoyer en en-tête : "
            "« Authorization: Token <clé> ». Elle cesse de valoir quand le mot de passe change."
        ),
    )
    created = serializers.DateTimeField(read_only=True)


class TokenRequestsThrottled(exceptions.Throttled):
    default_detail = "Trop de demandes de jeton depuis votre adresse."
    extra_detail_singular = "Réessayez dans {wait} seconde."
    extra_detail_plural = "Réessayez dans {wait} secondes."


class TokenView(APIView):
    """Only by password or session: a token cannot be used to mint or drop tokens."""

    authentication_classes = [LockoutAwareBasicAuthentication, SecondFactorSessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [TokenRateThrottle]
    throttle_scope = "token"

    def perform_authentication(self, request):
        # DRF throttles after authenticating, so a wrong password would never be counted: here the
        # address's budget is spent first, whatever the credentials (django-axes counts per account).
        super().check_throttles(request)
        super().perform_authentication(request)

    def check_throttles(self, request):
        """Already done, before the password was checked (perform_authentication)."""

    def throttled(self, request, wait):
        raise TokenRequestsThrottled(wait)

    @extend_schema(request=None, responses={201: TokenSerializer})
    def post(self, request):
        """A new token (201), replacing the previous one: machines using the old key are refused from now on."""
        if second_factor_required(request.user) and isinstance(request.successful_authenticator, BasicAuthentication):
            # Otherwise the password alone would open, through a token, what the second factor protects.
            raise exceptions.PermissionDenied(PASSWORD_ALONE_REFUSED)
        key = api_token_create(user=request.user)
        created = ApiToken.objects.values_list("created", flat=True).get(user=request.user)
        return Response(TokenSerializer({"token": key, "created": created}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Revoke the user's token: machines using it are refused from now on."""
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
