"""Property-based check of the whole API against its own OpenAPI schema (schemathesis 4, in process).

Run as the coordinator and as the BDT partner (token auth) and anonymously: no server error, every
status code and body as documented, and authentication never ignored. Fixed seed and few examples so
it runs in well under the suite's budget on SQLite and PostgreSQL; each request runs in a savepoint
rolled back at once, so writes never outlive the call (nor the test's transaction).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260101,
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "positive", "max-examples": 4, "deterministic": True, "no-shrink": True},
    }
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def keep_the_test_transaction(reference_data):
    """The WSGI handler closes "old" connections around each request; Django's test client disconnects
    that clean-up, and so must we: closing the connection would end the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The live schema, served by the application itself (no database access: anonymous, no session).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=CONFIG)


def _call(case, headers, checks):
    with transaction.atomic():
        response = case.call_and_validate(headers=headers, checks=checks)
        transaction.set_rollback(True)
    return response


# The fixtures hold only the persona and its token, which no example changes.
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _token(user):
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


@schema.parametrize()
@SETTINGS
def test_api_as_coordinator(case, coordinator):
    _call(case, _token(coordinator), [*CHECKS, ignored_auth])


@schema.parametrize()
@SETTINGS
def test_api_as_partner(case, partner_bdt):
    _call(case, _token(partner_bdt), [*CHECKS, ignored_auth])


@schema.parametrize()
@SETTINGS
def test_api_anonymous(case):
    response = _call(case, {}, CHECKS)
    assert response.status_code == 401
