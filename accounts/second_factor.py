"""Who must confirm a second factor (a TOTP code) after the password, and whether this session has.

Pages ask through accounts.middleware, the API's session authentication through accounts.authentication;
both call these two functions, so the rule lives here only.
"""

from django.conf import settings

from conventions.roles import Role, role_of

# The roles that change the whole programme and its accounts: a stolen password alone must not be enough.
SECOND_FACTOR_ROLES = (Role.ADMIN, Role.COORDINATOR)


def second_factor_required(user) -> bool:
    """Whether `user` must confirm a TOTP code after its password (ACV_REQUIRE_OTP on, in production)."""
    if not settings.ACV_REQUIRE_OTP or user is None or not user.is_authenticated:
        return False
    # Staff accounts reach the admin site, whatever their programme role: they are held to the same rule.
    return user.is_staff or role_of(user) in SECOND_FACTOR_ROLES


def second_factor_missing(user) -> bool:
    """Signed in by password, bound to a second factor, and not confirmed in this session yet.

    django-otp's middleware gives the session's user `is_verified()`; a user without it was not
    verified through the session."""
    if not second_factor_required(user):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified is not None and is_verified())
