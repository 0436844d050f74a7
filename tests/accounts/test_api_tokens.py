"""API tokens: one per user, bound to its password, kept as a digest, reviewed and revoked in the admin."""

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.authentication import INACTIVE_ACCOUNT, INVALID_TOKEN
from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke


def _get(key):
    return APIClient().get("/api/v1/axes/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_new_token_replaces_the_previous_one(partner_bdt):
    first = api_token_create(user=partner_bdt)
    second = api_token_create(user=partner_bdt)
    assert first != second
    assert ApiToken.objects.filter(user=partner_bdt).count() == 1
    assert _get(first).json() == {"detail": INVALID_TOKEN, "code": "authentication_failed"}
    assert _get(second).status_code == 200


def test_a_revoked_token_is_refused(partner_bdt):
    key = api_token_create(user=partner_bdt)
    assert api_token_revoke(user=partner_bdt) is True
    assert _get(key).status_code == 401
    assert api_token_revoke(user=partner_bdt) is False


def test_the_token_of_a_deactivated_account_is_refused(partner_bdt):
    key = api_token_create(user=partner_bdt)
    partner_bdt.is_active = False
    partner_bdt.save()
    assert _get(key).json() == {"detail": INACTIVE_ACCOUNT, "code": "authentication_failed"}


def test_use_is_recorded_at_most_once_an_hour(partner_bdt):
    key = api_token_create(user=partner_bdt)
    assert _get(key).status_code == 200
    first_use = ApiToken.objects.get(user=partner_bdt).last_used
    assert first_use is not None
    assert _get(key).status_code == 200
    assert ApiToken.objects.get(user=partner_bdt).last_used == first_use


def test_rotating_the_secret_key_keeps_tokens_valid(partner_bdt, settings):
    key = api_token_create(user=partner_bdt)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "une-nouvelle-cle-secrete-de-production-suffisamment-longue-2026"
    assert _get(key).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert _get(key).status_code == 401


def test_the_admin_lists_tokens_and_tells_which_still_hold(client, admin_user, partner_bdt, referent_bethune):
    api_token_create(user=partner_bdt)
    api_token_create(user=referent_bethune)
    referent_bethune.set_password("un-nouveau-mot-2026")
    referent_bethune.save()
    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_apitoken_changelist"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "jeton d&#x27;API à afficher" in body
    assert body.count('alt="True"') == 1
    assert body.count('alt="False"') == 1
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
