"""Property-based check of the whole API against its own OpenAPI schema (schemathesis 4, in process).

Run as the coordinator, the référent of Béthune, the BDT partner (each signed in by session) and
anonymously: no server error, every status code and body as documented, and authentication never
ignored. Path ids are not random (a random id only ever meets a 404): each is drawn from rows of the
reference programme chosen so that every persona meets rows it may change, rows it may only read and
rows it may not see, and each answer is held to that. Fixed seed and few examples so it runs in well
under the suite's budget on SQLite and PostgreSQL. The personae and those rows are made once, in a
transaction of the module's own; each request runs in a savepoint rolled back at once, so writes never
outlive the call (nor the test's savepoint, nor the module's transaction).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from http.cookies import SimpleCookie

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from actions.models import Action, ActionValidation
from conventions.models import Amendment, Axis, Convention, Organisation, PriorityNeighbourhood, SubAxis
from evaluation.models import Criterion, Indicator, ResultIndicatorLink
from financing.models import FundingLine
from jobs.models import Job
from tests.conftest import personae_made_once
from tests.factories import CommitteeMeetingFactory, FundingLineFactory, IndicatorValueFactory

# Each test in a savepoint of the module's transaction (tests/conftest.py, module_transaction), rolled back after it.
pytestmark = pytest.mark.django_db

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260101,
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "positive", "max-examples": 4, "deterministic": True, "no-shrink": True},
        # An operation by id draws from two to six rows (`targets`): enough examples to meet most of them.
        "operations": [{"include-path-regex": r"\{id\}", "generation": {"max-examples": 6}}],
    }
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The operations where `ignored_auth` saw the credentials enforced (a request without them, and one with invalid
# ones, refused). Enforcement belongs to the operation, not to the case: as in a schemathesis run, an operation is
# probed at its first 2xx answer and not again at each later one, which would double the module's requests.
AUTH_ENFORCED = set()


def ignored_auth_once_per_operation(ctx, response, case):
    ctx.auth_enforced_operations = AUTH_ENFORCED
    return ignored_auth(ctx, response, case)


AUTH_CHECKS = [*CHECKS, ignored_auth_once_per_operation]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

COORDINATOR, REFERENT, PARTNER, ANONYMOUS = "coordinator", "referent_bethune", "partner_bdt", "anonymous"
READERS = frozenset({REFERENT, PARTNER})


@dataclass(frozen=True)
class Target:
    """A row the generated requests aim at, and which personae may not see it or may only read it."""

    pk: int | str
    hidden_from: frozenset = frozenset()
    read_only_for: frozenset = frozenset()


# Per resource (the path segment before `{id}`), the rows of the running test; filled by `targets`.
TARGETS: dict[str, list[Target]] = {}


def _resource(path):
    return path.split("/{id}")[0].rsplit("/", 1)[-1]


def _targets_of(path):
    resource = _resource(path)
    if resource not in TARGETS:
        raise LookupError(f"No rows to aim {path} at: add some for « {resource} » to the `targets` fixture.")
    return TARGETS[resource]


def _finished_job(user):
    """A job done for `user`, with its file: its page and its file are that person's only."""
    job = Job.objects.create(kind="essai", title="Essai", requested_by=user, status="done", result_name="essai.txt")
    job.result_file.save("essai.txt", ContentFile(b"essai"), save=True)
    return job


# The personae of tests/conftest.py, made once for the module, in its transaction (module_transaction).
coordinator, referent_bethune, partner_bdt = personae_made_once("coordinator", "referent_bethune", "partner_bdt")


@pytest.fixture(scope="module", autouse=True)
def targets(module_transaction, coordinator, referent_bethune, partner_bdt):
    """Fiches FA 42 (Béthune, funded by the BDT), AM.3 (Béthune, not), FA 51 (Bruay, funded by the BDT)
    and AM.17 (Bruay, not) and their lines, with two more funders' lines on FA 42: one settled (the BDT,
    a funder of the fiche, reads it) and one under negotiation (it must not); two rows of each reference
    list; an indicator value per commune; a link from a fiche indicator to the grid; a comité meeting; a finished
    job of each persona (its own only)."""
    fiches = {action.code: action for action in Action.objects.filter(code__in=["FA 42", "AM.3", "FA 51", "AM.17"])}
    etat, bethune, bruay, bdt, region = (
        Organisation.objects.get(key=key) for key in ("etat", "bethune", "bruay", "bdt", "region")
    )
    settled = FundingLineFactory(action=fiches["FA 42"], funder=etat, amount=Decimal("40000.00"), status="granted")
    negotiated = FundingLineFactory(
        action=fiches["FA 42"], funder=region, amount=Decimal("25000.00"), status="requested"
    )
    indicator = Indicator.objects.order_by("pk").first()
    # A whole number: the first indicator counts (logements), and a PATCH re-checks the whole value.
    values = [
        IndicatorValueFactory(indicator=indicator, territory=commune, value=Decimal("12"))
        for commune in (bethune, bruay)
    ]
    # FA 42's result indicator feeds the first grid indicator: a link every persona here reads, the coordinator keeps.
    link = ResultIndicatorLink.objects.create(
        result_indicator=fiches["FA 42"].result_indicators.order_by("pk").first(), indicator=indicator
    )
    meeting = CommitteeMeetingFactory(
        convention=Convention.objects.get(key="acv-2018"), held_on=datetime.date(2026, 6, 15)
    )
    # The BDT's word on FA 42 (it reads it) and the Région's (a partner reads only its own).
    words = [
        ActionValidation.objects.create(
            action=fiches["FA 42"], organisation=funder, decision="validated", decided_at=timezone.now()
        )
        for funder in (bdt, region)
    ]

    def line(code, funder):
        return FundingLine.objects.get(action=fiches[code], funder__key=funder).pk

    def reference(queryset):
        return [Target(pk, read_only_for=READERS) for pk in queryset.order_by("pk").values_list("pk", flat=True)[:2]]

    only_partner, only_referent = frozenset({PARTNER}), frozenset({REFERENT})
    TARGETS.update(
        {
            "actions": [
                Target(fiches["FA 42"].pk, read_only_for=only_partner),
                Target(fiches["AM.3"].pk, hidden_from=only_partner),
                Target(fiches["FA 51"].pk, read_only_for=READERS),
                Target(fiches["AM.17"].pk, hidden_from=only_partner, read_only_for=only_referent),
            ],
            "funding-lines": [
                Target(line("FA 42", "bdt")),
                Target(settled.pk, read_only_for=only_partner),
                Target(negotiated.pk, hidden_from=only_partner),
                Target(line("AM.3", "region"), hidden_from=only_partner),
                Target(line("FA 51", "bdt"), read_only_for=only_referent),
                Target(line("AM.17", "bruay"), hidden_from=only_partner, read_only_for=only_referent),
            ],
            "organisations": [Target(org.pk, read_only_for=READERS) for org in (bdt, bethune, bruay)],
            "conventions": reference(Convention.objects),
            "amendments": reference(Amendment.objects),
            "axes": reference(Axis.objects),
            "sub-axes": reference(SubAxis.objects),
            "priority-neighbourhoods": reference(PriorityNeighbourhood.objects),
            "criteria": reference(Criterion.objects),
            "indicators": reference(Indicator.objects),
            "indicator-values": [Target(value.pk, read_only_for=READERS) for value in values],
            "result-indicator-links": [Target(link.pk, read_only_for=READERS)],
            "committee-meetings": [Target(meeting.pk, hidden_from=only_partner)],
            "jobs": [
                Target(str(_finished_job(user).pk), hidden_from=frozenset({COORDINATOR, REFERENT, PARTNER} - {persona}))
                for persona, user in ((COORDINATOR, coordinator), (REFERENT, referent_bethune), (PARTNER, partner_bdt))
            ],
            "action-validations": [Target(words[0].pk), Target(words[1].pk, hidden_from=only_partner)],
        }
    )
    yield TARGETS
    TARGETS.clear()


@pytest.fixture(scope="module", autouse=True)
def keep_the_test_transaction(targets):
    """The WSGI handler closes "old" connections around each request; Django's test client disconnects
    that clean-up, and so must we: closing the connection would end the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The live schema, served by the application itself (no database access: anonymous, no session).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=CONFIG)


@schema.hook("flatmap_path_parameters")
def ids_of_real_rows(context, path_parameters):
    # Drawn when an example is generated, inside the test: `targets` has filled TARGETS by then.
    if not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    pks = [target.pk for target in _targets_of(context.operation.path)]
    return st.sampled_from(pks).map(lambda pk: {**path_parameters, "id": pk})


def _auth_headers(user):
    """Headers that sign `user` in: a session, as the browser holds, and the CSRF pair that session
    authentication asks of a write."""
    client = Client()
    client.force_login(user)
    csrf = get_random_string(32)
    cookies = {
        django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        django_settings.CSRF_COOKIE_NAME: csrf,
    }
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()), "X-CSRFToken": csrf}


def _declares_session_auth():
    schemes = schema.raw_schema.get("components", {}).get("securitySchemes", {}).values()
    return any(
        scheme.get("type") == "apiKey"
        and scheme.get("in") == "cookie"
        and scheme.get("name") == django_settings.SESSION_COOKIE_NAME
        for scheme in schemes
    )


@pytest.fixture(scope="module")
def signed_in(module_transaction, coordinator, referent_bethune, partner_bdt):
    """`_auth_headers` of each persona, signed in once for the module, before its first test (a session opened in a
    test would go with that test's savepoint): every example of every operation shares it, and each request is
    rolled back, leaving the session's row as it was."""
    if not _declares_session_auth():
        # `ignored_auth` takes away only the credentials the schema declares: with the session cookie
        # left out, every answer would read as "accepts requests without authentication".
        pytest.fail(
            f"The API accepts the session cookie « {django_settings.SESSION_COOKIE_NAME} » but its schema does "
            "not declare it (securitySchemes): give the session authentication class its OpenAPI extension."
        )
    sessions = {user.pk: _auth_headers(user) for user in (coordinator, referent_bethune, partner_bdt)}
    return lambda user: sessions[user.pk]


def _cookies(headers):
    # The WSGI test client sends the cookies of its jar and drops a Cookie header, so they go twice:
    # the jar carries them, and the header is where `ignored_auth` finds the credential to take away.
    return {name: morsel.value for name, morsel in SimpleCookie(headers.get("Cookie", "")).items()}


def _call(case, persona, headers, checks, api_reach):
    if headers:
        # The schema declares token and session auth, so a case may carry a generated credential next to
        # the persona's; `ignored_auth` would then blame the API for accepting the generated one.
        if case.headers:
            case.headers.pop("Authorization", None)
        if case.cookies:
            case.cookies.pop(django_settings.SESSION_COOKIE_NAME, None)
    with transaction.atomic():
        response = case.call_and_validate(headers=headers, cookies=_cookies(headers), checks=checks)
        transaction.set_rollback(True)
    pk = (case.path_parameters or {}).get("id")
    target = None if pk is None else next(t for t in _targets_of(case.operation.path) if t.pk == pk)
    hidden = target is not None and persona in target.hidden_from
    read_only = target is not None and persona in target.read_only_for
    api_reach.record(persona, case.operation.label, response.status_code, hidden=hidden)
    if 200 <= response.status_code < 300:
        assert not hidden, f"{persona} reached {case.formatted_path}, which it may not see"
        assert not (read_only and case.method.upper() in WRITES), (
            f"{persona} changed {case.formatted_path}, which it may only read"
        )
    return response


# The fixtures hold the personae, their sessions and the rows aimed at, which no example changes.
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@SETTINGS
def test_api_as_coordinator(case, coordinator, signed_in, api_reach):
    _call(case, COORDINATOR, signed_in(coordinator), AUTH_CHECKS, api_reach)


@schema.parametrize()
@SETTINGS
def test_api_as_referent(case, referent_bethune, signed_in, api_reach):
    _call(case, REFERENT, signed_in(referent_bethune), AUTH_CHECKS, api_reach)


@schema.parametrize()
@SETTINGS
def test_api_as_partner(case, partner_bdt, signed_in, api_reach):
    _call(case, PARTNER, signed_in(partner_bdt), AUTH_CHECKS, api_reach)


@schema.parametrize()
@SETTINGS
def test_api_anonymous(case, api_reach):
    response = _call(case, ANONYMOUS, {}, CHECKS, api_reach)
    assert response.status_code == 401


def _labels(method=None, detail=None, resources=None):
    labels = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        by_id = "{id}" in operation.path
        if method is not None and operation.method.upper() != method:
            continue
        if detail is not None and by_id != detail:
            continue
        if resources is not None and (not by_id or _resource(operation.path) not in resources):
            continue
        labels.add(operation.label)
    return labels


def test_every_persona_reached_real_rows(api_reach):
    """After the tests above: the operations that must have answered each persona 2xx at least once, so
    that the run cannot quietly fall back to checking nothing but 404s."""
    personae = (COORDINATOR, REFERENT, PARTNER, ANONYMOUS)
    if any(api_reach.operations.get(persona) != _labels() for persona in personae):
        pytest.skip("meaningful only once every operation ran for every persona (the whole module)")
    lists, details = _labels("GET", detail=False), _labels("GET", detail=True)
    must = {
        COORDINATOR: lists | details | _labels("PATCH"),
        REFERENT: lists | details | _labels("PATCH", resources={"actions", "funding-lines"}),
        PARTNER: lists
        | (details - _labels(resources={"committee-meetings"}))
        | _labels("PATCH", resources={"funding-lines"}),
        ANONYMOUS: set(),
    }
    missing = {persona: sorted(labels - api_reach.succeeded.get(persona, set())) for persona, labels in must.items()}
    assert missing == {persona: [] for persona in personae}
    assert not api_reach.succeeded.get(ANONYMOUS)
    # Each operation that answered a signed-in persona 2xx was asked again without credentials and with invalid ones.
    reached = set().union(*(api_reach.succeeded.get(persona, set()) for persona in (COORDINATOR, REFERENT, PARTNER)))
    assert sorted(reached - AUTH_ENFORCED) == []
    # And the partner asked for fiches and lines it may not see (each such answer was checked not 2xx).
    assert _labels("GET", resources={"actions", "funding-lines"}) <= api_reach.hidden.get(PARTNER, set())
