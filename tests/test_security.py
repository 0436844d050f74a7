"""Hardening that a user or an attacker would notice: lockout, throttle, CSP, error pages, sessions."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from acv.views import server_error

LOGIN = reverse("login")


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_five_failures_lock_the_account_from_that_address(client, coordinator):
    statuses = [_login(client, "coordinateur", "pas-le-bon-mot-de-passe").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    response = _login(client, "coordinateur", "mot-de-passe-de-test")  # even the right password now
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_failure_count(client, coordinator):
    for _ in range(4):
        _login(client, "coordinateur", "faux")
    assert _login(client, "coordinateur", "mot-de-passe-de-test").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        _login(client, "coordinateur", "faux")
    assert _login(client, "coordinateur", "mot-de-passe-de-test").status_code == 302


def test_one_address_trying_many_accounts_is_throttled(client, db, settings, monkeypatch):
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 3
    # All six attempts in one minute of the counter: one that turned in between would start a new count (seen
    # once on a slow machine).
    monkeypatch.setattr("acv.views.time.time", lambda: 1_800_000_000.0)
    statuses = [_login(client, f"compte{n}", "faux").status_code for n in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    assert "Trop de tentatives" in _login(client, "compte9", "faux").content.decode()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle=", re.IGNORECASE)


@pytest.mark.parametrize("url_name", ["actions:dashboard", "actions:action_list", "financing:partner_portal"])
def test_pages_carry_a_strict_csp_and_no_inline_code(client, partner_bdt, coordinator, url_name, reference_data):
    client.force_login(partner_bdt if "portal" in url_name else coordinator)
    response = client.get(reverse(url_name))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body)
    assert not INLINE_STYLE.search(body)


def test_login_page_has_no_inline_code(client, db):
    body = client.get(LOGIN).content.decode()
    assert not INLINE_SCRIPT.search(body)
    assert not INLINE_STYLE.search(body)


def test_not_found_is_a_french_page_without_traceback(client, coordinator, settings):
    settings.DEBUG = False
    client.force_login(coordinator)
    response = client.get("/fiches/999999999/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'lang="fr"' in body
    assert "Traceback" not in body


def test_forbidden_is_a_french_page(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("financing:partner_portal"))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_server_error_page_is_french_and_quiet(db):
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Une erreur est survenue" in body
    assert "Traceback" not in body


def test_logout_ends_the_session(client, coordinator):
    assert _login(client, "coordinateur", "mot-de-passe-de-test").status_code == 302
    session_key = client.session.session_key
    client.post(reverse("logout"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(reverse("actions:dashboard")).status_code == 302


def test_changing_the_password_logs_out_the_other_sessions(client, coordinator, django_user_model):
    from django.test import Client

    other = Client()
    assert _login(other, "coordinateur", "mot-de-passe-de-test").status_code == 302
    assert _login(client, "coordinateur", "mot-de-passe-de-test").status_code == 302
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "mot-de-passe-de-test",
            "new_password1": "un-nouveau-mot-2026",
            "new_password2": "un-nouveau-mot-2026",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("actions:dashboard")).status_code == 200  # this session was kept
    assert other.get(reverse("actions:dashboard")).status_code == 302  # the other one is out


def test_short_passwords_are_refused_in_french(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("password_change"),
        {"old_password": "mot-de-passe-de-test", "new_password1": "Court-2026", "new_password2": "Court-2026"},
    )
    assert response.status_code == 200
    assert "au minimum 12 caractères" in response.content.decode()
