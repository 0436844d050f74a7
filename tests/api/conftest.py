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
