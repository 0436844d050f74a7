"""The second factor (TOTP) asked of administrators and coordinators when ACV_REQUIRE_OTP is on."""

import time
from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.authentication import SECOND_FACTOR_MISSING
from accounts.services import api_token_create
from tests.test_hardening import PASSWORD, _basic
from tests.test_security import INLINE_SCRIPT, INLINE_STYLE

SETUP = reverse("accounts:second_factor_setup")
VERIFY = reverse("accounts:second_factor_verify")
DASHBOARD = reverse("actions:dashboard")


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.ACV_REQUIRE_OTP = True


def _code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _wrong(code):
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def _signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def confirmed_device(coordinator):
    return TOTPDevice.objects.create(user=coordinator, name="Téléphone", confirmed=True)


def test_coordinator_without_a_device_is_sent_to_set_one_up(client, coordinator):
    response = _signed_in(client, coordinator).get(reverse("actions:action_list") + "?status=done")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == SETUP
    assert parse_qs(location.query) == {"next": ["/fiches/?status=done"]}


def test_set_up_page_shows_the_qr_code_and_the_key_without_inline_code(client, coordinator):
    response = _signed_in(client, coordinator).get(SETUP)
    body = response.content.decode()
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    assert '<img src="data:image/svg+xml;' in body
    key = b32encode(device.bin_key).decode()
    assert " ".join(key[i : i + 4] for i in range(0, len(key), 4)) in body
    assert 'autocomplete="one-time-code"' in body
    assert 'inputmode="numeric"' in body
    assert '<label for="id_code">Code à 6 chiffres</label>' in body
    assert not INLINE_SCRIPT.search(body)
    assert not INLINE_STYLE.search(body)
    # Reloading the page keeps the key the phone may already have scanned.
    _signed_in(client, coordinator).get(SETUP)
    assert TOTPDevice.objects.get(user=coordinator, confirmed=False).key == device.key


def test_a_wrong_code_does_not_confirm_the_device(client, coordinator):
    _signed_in(client, coordinator).get(SETUP)
    device = TOTPDevice.objects.get(user=coordinator)
    response = client.post(SETUP, {"code": _wrong(_code(device))})
    assert response.status_code == 400
    assert "Code incorrect." in response.content.decode()
    assert 'aria-describedby="id_code_helptext id_code-erreurs"' in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(DASHBOARD).status_code == 302


def test_a_code_that_is_not_six_digits_is_refused_in_french(client, coordinator):
    response = _signed_in(client, coordinator).post(SETUP, {"code": "12ab"})
    assert response.status_code == 400
    assert "Le code se compose de 6 chiffres." in response.content.decode()


def test_the_right_code_confirms_the_device_and_opens_the_site(client, coordinator):
    _signed_in(client, coordinator).get(SETUP)
    device = TOTPDevice.objects.get(user=coordinator)
    session_key = client.session.session_key
    response = client.post(SETUP + "?next=/fiches/", {"code": _code(device), "next": "/fiches/"})
    assert response.status_code == 302
    assert response["Location"] == "/fiches/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.session.session_key != session_key
    assert client.get(DASHBOARD).status_code == 200
    # Once a device is confirmed, the set-up page cannot replace it: it sends to the code instead.
    other = _signed_in(type(client)(), coordinator)
    assert other.get(SETUP)["Location"] == VERIFY


def test_coordinator_with_a_device_is_asked_its_code(client, coordinator, confirmed_device):
    response = _signed_in(client, coordinator).get(DASHBOARD)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == VERIFY
    page = client.get(VERIFY)
    assert page.status_code == 200
    assert "saisissez le code à 6 chiffres" in page.content.decode()


def test_a_wrong_code_is_refused_then_the_device_waits(client, coordinator, confirmed_device, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute after one failure: far longer than this test takes
    _signed_in(client, coordinator)
    wrong = client.post(VERIFY, {"code": _wrong(_code(confirmed_device))})
    assert wrong.status_code == 400
    assert "Code incorrect." in wrong.content.decode()
    assert client.get(DASHBOARD).status_code == 302
    # django-otp makes the device wait after a failure: even the right code is refused, and said so.
    again = client.post(VERIFY, {"code": _code(confirmed_device)})
    assert again.status_code == 400
    assert "Trop de codes erronés : patientez" in again.content.decode()


def test_the_right_code_opens_the_site_for_the_session(client, coordinator, confirmed_device):
    _signed_in(client, coordinator)
    code = _code(confirmed_device)
    response = client.post(VERIFY + "?next=/fiches/", {"code": code, "next": "/fiches/"})
    assert response.status_code == 302
    assert response["Location"] == "/fiches/"
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    # The same code cannot be used twice. The very code used above: computed again, it would be a new valid code
    # whenever the 30-second step turned in between.
    other = _signed_in(type(client)(), coordinator)
    assert other.post(VERIFY, {"code": code}).status_code == 400


def test_next_cannot_lead_off_the_site(client, coordinator, confirmed_device):
    _signed_in(client, coordinator)
    response = client.post(VERIFY, {"code": _code(confirmed_device), "next": "https://exemple.invalid/"})
    assert response["Location"] == "/"


def test_administrators_are_asked_too(client, admin_user):
    assert urlsplit(_signed_in(client, admin_user).get(reverse("admin:index"))["Location"]).path == SETUP


@pytest.mark.parametrize("persona", ["referent_bethune", "partner_bdt", "committee_member"])
def test_other_roles_are_not_asked(client, request, persona, reference_data):
    _signed_in(client, request.getfixturevalue(persona))
    assert client.get(DASHBOARD).status_code == 200


def test_logout_stays_reachable(client, coordinator):
    _signed_in(client, coordinator)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_htmx_requests_are_sent_to_the_second_factor_as_a_whole_page(client, coordinator):
    response = _signed_in(client, coordinator).get(DASHBOARD, HTTP_HX_REQUEST="true")
    assert urlsplit(response["HX-Redirect"]).path == SETUP


def test_api_by_session_refuses_an_unverified_coordinator(coordinator):
    client = APIClient()
    client.force_login(coordinator)
    response = client.get("/api/v1/axes/")
    assert response.status_code == 403
    assert response.json() == {"detail": SECOND_FACTOR_MISSING.format(url=VERIFY), "code": "permission_denied"}
    # Nor may that session mint a token, which would open the API without the second factor.
    assert client.post("/api/v1/auth/token/").status_code == 403


def test_api_by_session_serves_a_verified_coordinator(client, coordinator, confirmed_device):
    _signed_in(client, coordinator).post(VERIFY, {"code": _code(confirmed_device)})
    assert client.get("/api/v1/axes/").status_code == 200


def test_api_token_is_not_asked_for_a_second_factor(coordinator):
    key = api_token_create(user=coordinator)
    response = APIClient().get("/api/v1/axes/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_a_coordinator_cannot_mint_a_token_with_the_password_alone(coordinator, partner_bdt):
    refused = APIClient().post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("coordinateur"))
    assert refused.status_code == 403
    assert "double authentification" in refused.json()["detail"]
    # A partner is not bound to the second factor: its password is enough.
    assert APIClient().post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt")).status_code == 201


def test_nothing_is_asked_when_the_setting_is_off(client, coordinator, settings):
    settings.ACV_REQUIRE_OTP = False
    assert _signed_in(client, coordinator).get(DASHBOARD).status_code == 200
    assert (
        APIClient().post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("coordinateur", PASSWORD)).status_code == 201
    )
