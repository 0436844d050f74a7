"""The second factor's pages: setting up an authenticator app once, then typing its code at each sign-in."""

import math
from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import OneTimeCodeForm
from accounts.services import totp_device_confirm, totp_device_for_setup

# Pixels per module: a phone's camera reads it from a laptop's screen; the quiet zone is segno's (4 modules).
QR_SCALE = 4
WRONG_CODE = gettext_lazy(
    "Code incorrect. Vérifiez que l'heure de votre téléphone est à jour, puis saisissez le code affiché maintenant."
)


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _too_many_failures(device):
    """The French refusal while django-otp makes this device wait after wrong codes, else None."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (data or {}).get("locked_until") or timezone.now()
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return ngettext(
        "Trop de codes erronés : patientez %(seconds)d seconde avant de réessayer.",
        "Trop de codes erronés : patientez %(seconds)d secondes avant de réessayer.",
        seconds,
    ) % {"seconds": seconds}


def _confirmed(request, device):
    """This session has confirmed `device`: remember it, under a new session key (as at sign-in)."""
    request.session.cycle_key()
    django_otp.login(request, device)
    return redirect(_next_url(request))


def _with_same_query(url_name, request):
    """The other page of the second factor, keeping `next`."""
    query = request.GET.urlencode()
    return f"{resolve_url(url_name)}?{query}" if query else resolve_url(url_name)


def _secret_for_display(device):
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


class SecondFactorSetupView(LoginRequiredMixin, View):
    """Pairs an authenticator app with the account: a QR code (and its key, for typing by hand), then a
    first code to prove the pairing worked. Only while the account has no confirmed device: replacing one
    goes through an administrator, so that a stolen password cannot swap the phone."""

    template_name = "accounts/second_factor_setup.html"

    def get(self, request):
        if user_has_device(request.user):
            return redirect(_with_same_query("accounts:second_factor_verify", request))
        return self.render(request, totp_device_for_setup(user=request.user), OneTimeCodeForm())

    def post(self, request):
        if user_has_device(request.user):
            return redirect(_with_same_query("accounts:second_factor_verify", request))
        device = totp_device_for_setup(user=request.user)
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            refusal = _too_many_failures(device)
            if refusal is None:
                confirmed = totp_device_confirm(device=device, code=form.cleaned_data["code"])
                if confirmed is not None:
                    messages.success(request, _("Double authentification activée pour votre compte."))
                    return _confirmed(request, confirmed)
                refusal = WRONG_CODE
            form.add_error("code", refusal)
        return self.render(request, device, form, status=400)

    def render(self, request, device, form, status=200):
        qr = segno.make(device.config_url, error="m")
        width, height = qr.symbol_size(scale=QR_SCALE)
        context = {
            "form": form,
            "qr_code": qr.svg_data_uri(scale=QR_SCALE, dark="#000", light="#fff"),
            "qr_width": width,
            "qr_height": height,
            "secret": _secret_for_display(device),
            "next": _next_url(request),
        }
        return render(request, self.template_name, context, status=status)


class SecondFactorVerifyView(LoginRequiredMixin, View):
    """Asks the code of the account's authenticator app, once per session."""

    template_name = "accounts/second_factor_verify.html"

    def get(self, request):
        device = self._device(request)
        if device is None:
            return redirect(_with_same_query("accounts:second_factor_setup", request))
        return self.render(request, OneTimeCodeForm())

    def post(self, request):
        device = self._device(request)
        if device is None:
            return redirect(_with_same_query("accounts:second_factor_setup", request))
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            refusal = _too_many_failures(device)
            if refusal is None:
                verified = django_otp.verify_token(request.user, device.persistent_id, form.cleaned_data["code"])
                if verified is not None:
                    return _confirmed(request, verified)
                refusal = WRONG_CODE
            form.add_error("code", refusal)
        return self.render(request, form, status=400)

    def render(self, request, form, status=200):
        return render(request, self.template_name, {"form": form, "next": _next_url(request)}, status=status)

    @staticmethod
    def _device(request):
        return TOTPDevice.objects.devices_for_user(request.user, confirmed=True).order_by("pk").first()
