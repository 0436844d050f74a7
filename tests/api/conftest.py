"""API test helpers: a client per persona, and a small programme where access differs by persona."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import ActionFactory, FundingLineFactory, FundingLineYearFactory, OrganisationFactory

PERSONAE = [
    "anonymous",
    "coordinator",
    "referent_bethune",
    "partner_bdt",
    "partner_region",
    "committee_member",
    "outsider",
]


@pytest.fixture
def client_for(request):
    """client_for("partner_bdt") → an APIClient signed in (session) as that persona; "anonymous" → none."""

    def build(persona):
        client = APIClient()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return build


@pytest.fixture
def programme(db, bethune, bruay, bdt, region):
    """Two fiches: Béthune's square (BDT planned, Région planned, État granted) and a Bruay fiche
    funded by the Région only."""
    etat = OrganisationFactory(key="etat", name="État", kind="etat")
    square = ActionFactory(code="AM.90", title="Place du marché", territory=bethune, cost_amount=Decimal("1000000"))
    other = ActionFactory(code="FA 90", title="Parc", territory=bruay, cost_amount=Decimal("500000"))
    lines = {
        "bdt": FundingLineFactory(action=square, funder=bdt, amount=Decimal("300000.00"), note="Négociation BDT"),
        "region": FundingLineFactory(action=square, funder=region, amount=Decimal("200000.00"), note="Négo Région"),
        "etat": FundingLineFactory(
            action=square, funder=etat, amount=Decimal("100000.00"), status="granted", note="Note État"
        ),
        "region_bruay": FundingLineFactory(action=other, funder=region, amount=Decimal("50000.00")),
    }
    FundingLineYearFactory(funding_line=lines["bdt"], year=2025, amount=Decimal("150000.00"))
    return {"square": square, "other": other, "lines": lines}


class ApiReach:
    """What the schema-driven API tests reached, per persona: how many cases were sent, which operations
    answered 2xx at least once (a run that only meets 404s checks nothing real), and on which operations
    it asked for rows it may not see (so that refusing them was put to the test)."""

    def __init__(self):
        self.cases = {}
        self.operations = {}
        self.succeeded = {}
        self.hidden = {}

    def record(self, persona, operation, status_code, *, hidden=False):
        self.cases[persona] = self.cases.get(persona, 0) + 1
        self.operations.setdefault(persona, set()).add(operation)
        if 200 <= status_code < 300:
            self.succeeded.setdefault(persona, set()).add(operation)
        if hidden:
            self.hidden.setdefault(persona, set()).add(operation)

    def summary_lines(self):
        return [
            f"{persona}: {self.cases[persona]} cases, {len(self.succeeded.get(persona, ()))}/{len(operations)} "
            f"operations answered 2xx, {len(self.hidden.get(persona, ()))} asked for rows it may not see"
            for persona, operations in self.operations.items()
        ]


API_REACH = ApiReach()


@pytest.fixture(scope="session")
def api_reach():
    return API_REACH


def pytest_terminal_summary(terminalreporter):
    lines = API_REACH.summary_lines()
    if lines:
        terminalreporter.section("API reached by schemathesis")
        for line in lines:
            terminalreporter.write_line(line)
