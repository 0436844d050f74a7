"""API tokens for machines: a signed-in user creates (POST) or revokes (DELETE) its own token."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        source="key", read_only=True, help_text="À envoyer en en-tête : « Authorization: Token <clé> »."
    )
    created = serializers.DateTimeField(read_only=True)


class TokenView(APIView):
    """Only by password or session: a token cannot be used to mint or drop tokens."""

    authentication_classes = [BasicAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: TokenSerializer, 200: TokenSerializer})
    def post(self, request):
        """The user's token, created on first call (201), the same one afterwards (200)."""
        token, created = Token.objects.get_or_create(user=request.user)
        return Response(TokenSerializer(token).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Revoke the user's token: machines using it are refused from now on."""
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
