"""Responses to signed-in users are never stored by a browser or a proxy."""

from django.utils.cache import add_never_cache_headers, patch_vary_headers


class NoStoreWhenSignedInMiddleware:
    """`Cache-Control: no-store` on every response to an authenticated request: pages, API answers and
    files (XLSX, PDF) show what one user may see, and must not stay in a shared computer's browser cache
    or be served by a proxy to someone else. `Vary: Cookie, Authorization` tells any cache that the
    anonymous answer of the same URL is not this one.

    Placed after AuthenticationMiddleware and outside every middleware that may answer for the view, so
    that their answers are covered too. The user is read once the response is made: the API's token
    authentication runs inside the view, and DRF then sets the user on the request. Static files are
    served before, by WhiteNoise, and are not concerned.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_vary_headers(response, ("Cookie", "Authorization"))
        return response
