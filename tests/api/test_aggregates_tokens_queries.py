"""Aggregates equal the QuerySet roll-ups; tokens are created, used and revoked; list queries stay flat."""

import base64
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from actions.models import Action
from financing.models import FundingLine, FundingLineYear
from tests.factories import (
    ActionFactory,
    AmendmentFactory,
    AxisFactory,
    CommitteeMeetingFactory,
    ConventionFactory,
    CriterionFactory,
    FundingLineFactory,
    FundingLineYearFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    OperationFactory,
    OrganisationFactory,
    ProgressUpdateFactory,
    SubAxisFactory,
)


def _money(value):
    return f"{Decimal(value):.2f}"


@pytest.mark.parametrize("persona", ["coordinator", "partner_bdt"])
def test_aggregates_equal_the_queryset_methods(reference_data, client_for, persona, request, bethune):
    user = request.getfixturevalue(persona)
    body = client_for(persona).get("/api/v1/aggregates/", {"territory": bethune.pk}).json()
    actions = Action.objects.visible_to(user).filter(territory=bethune)
    lines = FundingLine.objects.visible_to(user).for_actions(actions)
    assert body["actions"]["count"] == actions.count() > 0
    assert body["actions"]["by_status"] == list(actions.by_status())
    assert [(r["territory_id"], r["count"]) for r in body["actions"]["by_territory"]] == [
        (r["territory_id"], r["count"]) for r in actions.by_territory()
    ]
    assert [(r["axes__number"], r["count"], r["cost_low"]) for r in body["actions"]["by_axis"]] == [
        (r["axes__number"], r["count"], _money(r["cost_low"])) for r in actions.by_axis()
    ]
    assert [(r["sub_axis__code"], r["count"]) for r in body["actions"]["by_sub_axis"]] == [
        (r["sub_axis__code"], r["count"]) for r in actions.by_sub_axis()
    ]
    expected_status = lines.by_status()
    assert body["funding"]["by_status"]["total"] == _money(expected_status["total"])
    assert body["funding"]["by_status"]["lines"] == expected_status["lines"]
    assert [(r["funder__key"], r["total"]) for r in body["funding"]["by_funder"]] == [
        (r["funder__key"], _money(r["total"])) for r in lines.by_funder()
    ]
    assert [(r["year"], r["total"]) for r in body["funding"]["by_year"]] == [
        (r["year"], _money(r["total"])) for r in FundingLineYear.objects.for_lines(lines).by_year()
    ]
    assert len(body["funding"]["by_sub_axis"]) == len(list(lines.by_sub_axis()))
    assert len(body["funding"]["by_territory"]) == len(list(lines.by_territory()))
    assert body["actions"]["cost_totals"]["by_basis"][0]["count"] == actions.cost_totals()["by_basis"][0]["count"]


def test_aggregates_for_a_partner_leave_out_other_funders_negotiations(reference_data, client_for):
    funders = {
        r["funder__key"] for r in client_for("partner_bdt").get("/api/v1/aggregates/").json()["funding"]["by_funder"]
    }
    assert funders == {"bdt"}


def test_aggregates_refuse_invalid_filters(db, client_for, coordinator):
    response = client_for("coordinator").get("/api/v1/aggregates/", {"status": "nope"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def _basic(username, password="mot-de-passe-de-test"):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_token_create_use_and_revoke(db, partner_bdt):
    client = APIClient()
    created = client.post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt"))
    assert created.status_code == 201
    token = created.json()["token"]
    again = client.post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt"))
    assert (again.status_code, again.json()["token"]) == (200, token)
    machine = APIClient()
    assert machine.get("/api/v1/funding-lines/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    # A token cannot mint or drop tokens: password or session only.
    assert machine.delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert client.delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt")).status_code == 204
    assert machine.get("/api/v1/funding-lines/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_token_by_session_and_wrong_password(db, client_for, coordinator):
    assert client_for("coordinator").post("/api/v1/auth/token/").status_code == 201
    wrong = APIClient().post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("coordinateur", "faux"))
    assert wrong.status_code == 401
    assert APIClient().post("/api/v1/auth/token/").status_code == 401


def _rich_fiche(convention, territory, funder, axis, sub_axis):
    fiche = ActionFactory(convention=convention, territory=territory, sub_axis=sub_axis, axes=[axis])
    fiche.partners.add(funder)
    OperationFactory(action=fiche)
    ProgressUpdateFactory(action=fiche)
    line = FundingLineFactory(action=fiche, funder=funder)
    FundingLineYearFactory(funding_line=line)
    return fiche


def _make_rows(count, bdt):
    """`count` rows of everything a list shows, each with its related rows."""
    convention = ConventionFactory(key="acv-queries")
    axis = AxisFactory(number="1")
    for n in range(count):
        territory = OrganisationFactory()
        sub_axis = SubAxisFactory(axis=axis)
        _rich_fiche(convention, territory, bdt, axis, sub_axis)
        AmendmentFactory(convention=convention)
        meeting = CommitteeMeetingFactory(convention=convention)
        meeting.attending_organisations.add(territory)
        indicator = IndicatorFactory()
        IndicatorValueFactory(indicator=indicator, territory=territory)
        CriterionFactory()
        del n


LISTS = [
    "actions",
    "funding-lines",
    "organisations",
    "conventions",
    "amendments",
    "axes",
    "sub-axes",
    "committee-meetings",
    "criteria",
    "indicators",
    "indicator-values",
    "aggregates",
]


@pytest.mark.parametrize("persona", ["coordinator", "partner_bdt"])
def test_list_queries_do_not_grow_with_rows(db, client_for, persona, bdt):
    client = client_for(persona)

    def counts():
        result = {}
        for endpoint in LISTS:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/{endpoint}/", {"page_size": 25})
            assert response.status_code == 200, endpoint
            result[endpoint] = len(queries)
        return result

    _make_rows(1, bdt)
    one = counts()
    _make_rows(24, bdt)
    many = counts()
    assert many == one
