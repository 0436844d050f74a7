"""Pages wait for the second factor: an account bound to it and not yet confirmed in this session is sent
to set it up or to type its code, whatever page it asks for."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from accounts.second_factor import second_factor_missing

# Reachable before the second factor: its own pages, and the way out.
ALWAYS_REACHABLE = {"accounts:second_factor_verify", "accounts:second_factor_setup", "logout", "admin:logout"}


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware, which tells whether this session confirmed a device.

    The API is left to its session authentication (accounts.authentication), which answers 403 in JSON
    rather than a redirect; token-authenticated calls come from machines and are not asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not second_factor_missing(request.user):
            return None
        match = request.resolver_match
        if match.view_name in ALWAYS_REACHABLE or match.namespaces[:1] == ["api"]:
            return None
        page = "accounts:second_factor_verify" if user_has_device(request.user) else "accounts:second_factor_setup"
        url = f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}"
        if request.htmx:
            # A redirect would be followed inside the page and swapped into a fragment: reload it whole.
            return HttpResponseClientRedirect(url)
        return redirect(url)
