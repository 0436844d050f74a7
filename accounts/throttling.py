"""Request throttles of the API (rates in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).

Kept apart from the views: DRF imports the default throttle classes while it defines its own APIView.
"""

from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class AnonApiThrottle(AnonRateThrottle):
    """Anonymous calls per address. Every endpoint but the public schema and its docs refuses an anonymous
    call before counting it (the token endpoint has its own counter), so what this guards is the worker's
    time spent drawing the schema: each worker counts in its own memory, and reading the docs writes
    nothing to the database."""

    cache = caches["throttle"]


class UserApiThrottle(UserRateThrottle):
    """Calls per signed-in user (session or token), in the cache all workers share: one count per user,
    whichever worker answers."""

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None  # AnonApiThrottle's
        return super().get_cache_key(request, view)


class TokenRateThrottle(ScopedRateThrottle):
    """Token requests per client address, whoever they claim to be: the view checks it before the password,
    so wrong guesses are counted too. In the shared cache, as the login pages' throttle."""

    def get_cache_key(self, request, view):
        # Not the user's id: asking who the user is would check the password before the throttle.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
