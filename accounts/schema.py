"""The API schema names this app's authentication classes as drf-spectacular names DRF's own: its session
and HTTP Basic extensions do not apply to subclasses."""

from drf_spectacular.authentication import BasicScheme, SessionScheme


class SecondFactorSessionScheme(SessionScheme):
    target_class = "accounts.authentication.SecondFactorSessionAuthentication"


class LockoutAwareBasicScheme(BasicScheme):
    target_class = "accounts.authentication.LockoutAwareBasicAuthentication"
