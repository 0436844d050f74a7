"""Hardening found by the audit, one regression test per finding, named after what was seen."""

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import threading

import pytest
from axes.models import AccessAttempt
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from accounts.authentication import REVOKED_TOKEN
from accounts.models import ApiToken
from accounts.services import api_token_create
from accounts.throttling import TokenRateThrottle, UserApiThrottle
from acv.api_urls import SchemaView
from acv.parsers import MAX_JSON_DEPTH, JSONParser
from acv.settings import BASE_DIR, database_from_url
from tests.factories import ActionFactory

PASSWORD = "mot-de-passe-de-test"


def _basic(username, password=PASSWORD):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.fixture
def fiche(db):
    return ActionFactory()


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_login(coordinator)
    return client


@pytest.fixture(autouse=True)
def fresh_api_throttle_counts():
    """The anonymous API counters live in process memory, outside the test's transaction."""
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


# --- 1a. A JSON body nested 100 000 levels deep gave a server error ------------------------------------


@pytest.mark.parametrize("method", ["patch_fiche", "post_funding_line"])
def test_json_nested_100000_levels_is_refused_with_400_not_500(api, fiche, method):
    body = _nested(100_000)
    if method == "patch_fiche":
        response = api.patch(f"/api/v1/actions/{fiche.pk}/", body, content_type="application/json")
    else:
        response = api.post("/api/v1/funding-lines/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Document JSON trop imbriqué : au plus {MAX_JSON_DEPTH} niveaux d'objets ou de listes.",
        "code": "parse_error",
    }
    fiche.refresh_from_db()
    assert fiche.version == 1


def test_json_nested_past_the_limit_is_refused_even_when_python_could_parse_it(api, fiche):
    body = json.dumps({"title": json.loads(_nested(MAX_JSON_DEPTH + 5))})
    response = api.patch(f"/api/v1/actions/{fiche.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "trop imbriqué" in response.json()["detail"]


def test_json_parser_keeps_documents_within_the_limit():
    parser = JSONParser()
    document = json.loads(_nested(MAX_JSON_DEPTH))
    assert parser.parse(io.BytesIO(json.dumps(document).encode())) == document
    assert parser.parse(io.BytesIO(b'{"title": "Place", "years": [{"year": 2026}]}')) == {
        "title": "Place",
        "years": [{"year": 2026}],
    }
    with pytest.raises(ParseError):
        parser.parse(io.BytesIO(_nested(MAX_JSON_DEPTH + 1).encode()))


# --- 1b. GET /api/v1/docs/ with "Authorization: Token 0" gave a server error ---------------------------


def test_api_docs_with_an_invalid_token_still_show_the_docs(db):
    client = Client()
    page = client.get("/api/v1/docs/", HTTP_AUTHORIZATION="Token 0")
    assert page.status_code == 200
    assert "swagger-ui" in page.content.decode()
    schema = client.get("/api/v1/schema/", HTTP_AUTHORIZATION="Token 0", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "ACV Suivi — API"


def test_api_docs_asked_as_json_with_an_invalid_token_is_not_a_server_error(db):
    # What a client library sends: its token on every call, Accept: application/json. The docs are HTML only.
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/docs/", HTTP_AUTHORIZATION="Token 0", HTTP_ACCEPT="application/json")
    assert response.status_code == 406


# --- 1c. SQLite under 8 concurrent writers answered "database is locked" -------------------------------

WRITERS, WRITES_EACH = 8, 20


@pytest.fixture
def sqlite_file_database(tmp_path, monkeypatch, django_db_blocker):
    """A SQLite file (not the test run's database) configured as the project configures its own."""
    alias = "concurrent_writers"
    config = database_from_url(f"sqlite:///{tmp_path / 'concurrence.sqlite3'}")
    config["CONN_MAX_AGE"] = 0
    monkeypatch.setitem(
        connections.settings, alias, connections.configure_settings({DEFAULT_DB_ALIAS: config})["default"]
    )
    with django_db_blocker.unblock():
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE ecriture (id INTEGER PRIMARY KEY, writer INTEGER, n INTEGER)")
        connections[alias].close()
        try:
            yield alias
        finally:
            connections[alias].close()
            del connections[alias]


def test_eight_concurrent_writers_on_sqlite_all_succeed(sqlite_file_database):
    alias = sqlite_file_database
    errors = []
    start = threading.Barrier(WRITERS)

    def writer(number):
        try:
            start.wait()
            for n in range(WRITES_EACH):
                # Read, then write, in one transaction: the shape of every versioned save.
                with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                    cursor.execute("SELECT COUNT(*) FROM ecriture WHERE writer = %s", [number])
                    cursor.execute("INSERT INTO ecriture (writer, n) VALUES (%s, %s)", [number, n])
        except OperationalError as exc:
            errors.append(str(exc))
        finally:
            connections[alias].close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT writer, COUNT(*) FROM ecriture GROUP BY writer ORDER BY writer")
        assert cursor.fetchall() == [(number, WRITES_EACH) for number in range(WRITERS)]


# --- 2. Throttling: the admin's login page and the token endpoint were not throttled -------------------


def test_admin_login_page_is_throttled_per_address(client, db, settings):
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 3
    statuses = [
        client.post("/admin/login/", {"username": f"compte{n}", "password": "faux"}).status_code for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    body = client.post("/admin/login/", {"username": "compte9", "password": "faux"}).content.decode()
    assert "Trop de tentatives de connexion" in body
    assert 'href="/admin/login/"' in body


def test_admin_login_and_site_login_share_the_address_budget(client, db, settings):
    settings.LOGIN_ATTEMPTS_PER_MINUTE = 3
    for n in range(3):
        client.post(reverse("login"), {"username": f"compte{n}", "password": "faux"})
    assert client.post("/admin/login/", {"username": "admin", "password": "faux"}).status_code == 429


def test_admin_login_still_signs_staff_in(client, admin_user):
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_token_endpoint_is_throttled_before_the_password_is_checked(db, partner_bdt, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    client = APIClient()
    # A forged X-Forwarded-For does not make each try come from somewhere else.
    wrong = [
        client.post(
            "/api/v1/auth/token/",
            HTTP_AUTHORIZATION=_basic("partenaire.bdt", "faux"),
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(3)
    ]
    assert wrong == [401, 401, 401]
    # The right password does not get through once the address has spent its budget on wrong ones.
    response = client.post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt"))
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Trop de demandes de jeton depuis votre adresse. Réessayez dans ")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert not ApiToken.objects.exists()


def test_failed_basic_auth_on_the_token_endpoint_counts_for_the_account_lockout(db, partner_bdt):
    client = APIClient()
    for _ in range(5):
        client.post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt", "faux"))
    attempt = AccessAttempt.objects.get(username="partenaire.bdt")
    assert attempt.failures_since_start == 5
    response = client.post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt"))
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "suspendue après trop d'échecs" in response.json()["detail"]
    assert not ApiToken.objects.exists()
    # The login page knows the account is locked out from that address too.
    page = Client().post(reverse("login"), {"username": "partenaire.bdt", "password": PASSWORD})
    assert page.status_code == 429


def test_api_has_a_default_rate_per_user(api, monkeypatch):
    monkeypatch.setattr(UserApiThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    statuses = [api.get("/api/v1/axes/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    throttled = api.get("/api/v1/axes/")
    assert throttled.json()["detail"].startswith("Requête ralentie.")
    assert "Retry-After" in throttled


def test_throttle_rates_and_second_factor_come_from_the_environment():
    # The settings module as a fresh process imports it (what it reads from the environment, it reads then); no
    # django.setup(), which would load every app for nothing (2 s a process).
    script = (
        "import json; from acv import settings; "
        "print(json.dumps([settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], settings.ACV_REQUIRE_OTP]))"
    )

    def read(**env):
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "acv.settings", "SECRET_KEY": "x" * 50, **env}
        for name in ("API_ANON_RATE", "API_USER_RATE", "API_TOKEN_RATE", "ACV_REQUIRE_OTP"):
            if name not in env:
                environment.pop(name, None)
        output = subprocess.run(
            [sys.executable, "-c", script], env=environment, cwd=BASE_DIR, capture_output=True, text=True, check=True
        )
        return json.loads(output.stdout)

    assert read(DEBUG="1") == [{"anon": "300/minute", "user": "1000/minute", "token": "10/minute"}, False]
    assert read(DEBUG="0")[1] is True
    rates, otp = read(DEBUG="1", API_USER_RATE="50/minute", API_TOKEN_RATE="2/minute", ACV_REQUIRE_OTP="1")
    assert (rates["user"], rates["token"], otp) == ("50/minute", "2/minute", True)


# --- 3. An API token survived a password change --------------------------------------------------------


def _change_password_on_the_password_page(user):
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "un-nouveau-mot-2026", "new_password2": "un-nouveau-mot-2026"},
    )
    assert response.status_code == 302


def _change_password_in_the_admin(user):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("autre.admin", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "un-nouveau-mot-2026", "password2": "un-nouveau-mot-2026"},
    )
    assert response.status_code == 302


def _change_password_in_a_shell(user):
    user.set_password("un-nouveau-mot-2026")
    user.save()


@pytest.mark.parametrize(
    "change_password",
    [_change_password_on_the_password_page, _change_password_in_the_admin, _change_password_in_a_shell],
    ids=["password-page", "admin", "shell"],
)
def test_api_token_stops_working_when_the_password_changes(partner_bdt, change_password):
    key = api_token_create(user=partner_bdt)
    machine = APIClient()
    assert machine.get("/api/v1/axes/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    change_password(partner_bdt)
    response = machine.get("/api/v1/axes/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json() == {"detail": REVOKED_TOKEN, "code": "authentication_failed"}
    assert response["WWW-Authenticate"] == "Token"


def test_api_token_key_is_shown_once_and_stored_only_as_a_digest(partner_bdt):
    response = APIClient().post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt"))
    assert response.status_code == 201
    key = response.json()["token"]
    token = ApiToken.objects.get(user=partner_bdt)
    assert token.key_digest == hashlib.sha256(key.encode()).hexdigest()
    stored = [getattr(token, field.attname) for field in ApiToken._meta.concrete_fields]
    assert key not in [str(value) for value in stored]


# --- 4. Signed-in answers could be kept by a browser or a proxy ----------------------------------------


def _assert_not_stored(response):
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    vary = {part.strip().lower() for part in response["Vary"].split(",")}
    assert {"cookie", "authorization"} <= vary


def test_a_page_for_a_signed_in_user_is_not_stored(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("actions:dashboard"))
    assert response.status_code == 200
    _assert_not_stored(response)


def test_an_api_answer_to_a_token_is_not_stored(partner_bdt):
    key = api_token_create(user=partner_bdt)
    response = APIClient().get("/api/v1/axes/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    _assert_not_stored(response)


def test_a_pdf_download_is_not_stored(client, coordinator, fiche):
    client.force_login(coordinator)
    response = client.get(reverse("evaluation:action_pdf", args=[fiche.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    _assert_not_stored(response)


def test_public_answers_keep_their_cache_headers(db):
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_public_schema_is_generated_once_and_is_the_same_for_everyone(db, monkeypatch, coordinator):
    # Generating it costs half a second of CPU: anyone calling it again and again must not make the server redo it.
    monkeypatch.setattr(SchemaView, "_schema", None)
    generated = []
    generate = SchemaView.generator_class.get_schema
    monkeypatch.setattr(
        SchemaView.generator_class, "get_schema", lambda self, **kwargs: generated.append(1) or generate(self, **kwargs)
    )
    accept = {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}
    first = Client().get("/api/v1/schema/", {"lang": "en", "version": "9"}, **accept)
    signed_in = Client()
    signed_in.force_login(coordinator)
    second = signed_in.get("/api/v1/schema/", **accept)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(generated) == 1
    # Whoever asked first, and in whatever language, the schema kept is the API's own, in French.
    assert "Nombre de résultats à retourner par page." in first.content.decode()
    assert "Number of results" not in first.content.decode()


# --- 5. Administrators and coordinators signed in with a password alone -------------------------------


def test_coordinator_must_confirm_a_second_factor_in_production_mode(client, coordinator, settings):
    settings.ACV_REQUIRE_OTP = True
    client.force_login(coordinator)
    response = client.get(reverse("actions:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor_setup") + "?next=%2F"
    api = APIClient()
    api.force_login(coordinator)
    assert api.get("/api/v1/axes/").json()["detail"].startswith("Double authentification requise")
