"""What signs a machine in besides a password: the API token of a user."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

# A distinct salt, so that this fingerprint of the password hash is not the session's hash under another name.
PASSWORD_FINGERPRINT_SALT = "accounts.ApiToken.password_fingerprint"


def key_digest(key: str) -> str:
    """What is kept of a token's key: its SHA-256, enough to recognise the key, useless to whoever reads the table."""
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user, secret=None) -> str:
    """A keyed digest of the user's password hash: it changes whenever the password does, whichever way
    it was changed (password page, admin, `set_password` in a shell), and reveals nothing of the hash."""
    return salted_hmac(PASSWORD_FINGERPRINT_SALT, user.password, secret=secret, algorithm="sha256").hexdigest()


class ApiToken(models.Model):
    """A user's API token, for the machines that read the programme on its behalf.

    The key is shown once, when the token is created; only its digest is stored. The token is bound to
    the password it was created under: once the password changes, the token is refused, so a password
    reset after a leak also cuts off every machine that had the old credentials. (Django re-hashing a
    password with a stronger cost after an upgrade counts as a change too: the machine then asks for a
    new token.) One token per user: creating one replaces the previous one.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token", verbose_name=_("utilisateur")
    )
    key_digest = models.CharField(_("empreinte de la clé"), max_length=64, unique=True, editable=False)
    password_fingerprint = models.CharField(_("empreinte du mot de passe"), max_length=64, editable=False)
    created = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    last_used = models.DateTimeField(_("dernière utilisation"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self):
        return _("Jeton d'API de %(user)s") % {"user": self.user.get_username()}

    def matches_password_of(self, user) -> bool:
        """Whether `user` still has the password this token was created under. The previous secret keys
        are tried too, so that rotating SECRET_KEY (with SECRET_KEY_FALLBACKS) does not revoke every token."""
        return any(
            constant_time_compare(self.password_fingerprint, password_fingerprint(user, secret))
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        )
