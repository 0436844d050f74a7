"""Writes on accounts: API tokens and the second factor's devices, for the views, the API and the shell."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, key_digest, password_fingerprint

# last_used is for people reviewing tokens, not an audit log: one write per token and hour at most.
LAST_USED_PRECISION = datetime.timedelta(hours=1)
TOTP_DEVICE_NAME = "Application d'authentification"


@transaction.atomic
def api_token_create(*, user) -> str:
    """A new API token for `user`, replacing any previous one (whose machines are refused from now on).

    Returns the key: it is stored nowhere, the caller shows it once."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.update_or_create(
        user=user,
        defaults={
            "key_digest": key_digest(key),
            "password_fingerprint": password_fingerprint(user),
            "created": timezone.now(),
            "last_used": None,
        },
    )
    return key


def api_token_revoke(*, user) -> bool:
    """Delete the user's API token; False when it had none."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return bool(deleted)


def api_token_mark_used(*, token: ApiToken) -> None:
    """Record that the token was just used, at most once per LAST_USED_PRECISION."""
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def totp_device_for_setup(*, user) -> TOTPDevice:
    """The TOTP device being set up for `user`: the unconfirmed one it already has (so that reloading the
    page keeps the QR code the phone may already have scanned), or a new one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, code: str) -> TOTPDevice | None:
    """Confirm a device being set up with a first code from the phone; the other unconfirmed devices go.

    None when the code is wrong (django-otp counts the failure and slows the next tries down)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user_id, confirmed=False).delete()
    return device
