"""Aggregates equal the QuerySet roll-ups; tokens are created, used and revoked; list queries stay flat."""

import base64
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from actions.models import Action
from financing.models import FundingLine
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


def _oracle(persona, bethune):
    """What the rules say each persona's funding aggregates hold, written from the rules on plain rows (not by
    calling the QuerySets under test): the coordinator, every line of the Béthune fiches; the BDT partner,
    the fiches it funds or partners, and on them the accordé / versé lines of every funder; its own apart."""
    rows = list(
        FundingLine.objects.filter(action__convention__programme__code="acv").values(
            "id", "action_id", "funder__key", "status", "amount", "basis", "action__cost_basis"
        )
    )
    for row in rows:
        row["effective_basis"] = row["basis"] or row["action__cost_basis"]  # HT and TTC are never added
    # The ACV fiches of Béthune: the coordinator works in ACV; the Contrat de Ville's projects there are not its.
    fiches = set(
        Action.objects.filter(territory=bethune, convention__programme__code="acv").values_list("pk", flat=True)
    )
    if persona == "partner_bdt":
        funded = {row["action_id"] for row in rows if row["funder__key"] == "bdt"}
        partnered = set(
            Action.partners.through.objects.filter(organisation__key="bdt").values_list("action_id", flat=True)
        )
        fiches &= funded | partnered
        scope = [r for r in rows if r["action_id"] in fiches and r["status"] in ("granted", "paid")]
        own = [r for r in rows if r["action_id"] in fiches and r["funder__key"] == "bdt"]
        return fiches, scope, own
    return fiches, [r for r in rows if r["action_id"] in fiches], None


def _sum(rows, statuses=("planned", "requested", "granted", "paid")):
    return _money(sum((r["amount"] or 0 for r in rows if r["status"] in statuses), Decimal("0")))


@pytest.mark.parametrize("persona", ["coordinator", "partner_bdt"])
def test_aggregates_hold_what_the_rules_say(reference_data, client_for, persona, request, bethune):
    user = request.getfixturevalue(persona)
    body = client_for(persona).get("/api/v1/aggregates/", {"territory": bethune.pk}).json()
    fiches, scope, own = _oracle(persona, bethune)
    assert body["actions"]["count"] == len(fiches) > 0
    actions = Action.objects.visible_to(user).filter(territory=bethune)
    assert body["actions"]["by_status"] == list(actions.by_status())
    assert body["funding"]["scope"] == ("settled" if own is not None else "all")
    bases = {r["effective_basis"] for r in scope}
    by_basis = {row["basis"]: row for row in body["funding"]["by_basis"]}
    assert set(by_basis) == bases
    for basis in bases:
        rows = [r for r in scope if r["effective_basis"] == basis]
        assert by_basis[basis]["total"] == _sum(rows)
        assert by_basis[basis]["lines"] == len(rows)
        for status in ("granted", "paid"):
            assert by_basis[basis][status] == _sum(rows, (status,))
    if len(bases) > 1:
        assert body["funding"]["by_status"] is None  # one figure may only add amounts of one basis
    else:
        assert body["funding"]["by_status"]["total"] == _sum(scope)
    by_funder = {(r["funder__key"], r["basis_of_line"]): r["total"] for r in body["funding"]["by_funder"]}
    keys = {(r["funder__key"], r["effective_basis"]) for r in scope}
    assert by_funder == {
        key: _sum([r for r in scope if (r["funder__key"], r["effective_basis"]) == key]) for key in keys
    }
    settled = [r for r in scope if r["status"] in ("granted", "paid")]
    assert all(row["acquired"] is not None for row in body["actions"]["comparable"]["by_basis"])
    if own is None:
        assert body["own_funding"] is None
        assert all(row["planned"] is not None for row in body["actions"]["comparable"]["by_basis"])
    else:
        own_bases = {r["effective_basis"] for r in own}
        if len(own_bases) <= 1:
            assert body["own_funding"]["by_status"]["total"] == _sum(own)
        else:
            assert body["own_funding"]["by_status"] is None
        assert all(row["planned"] is None for row in body["actions"]["comparable"]["by_basis"])
        assert settled == scope  # a partner's funding section never holds a negotiation


def test_a_partners_own_years_over_the_programme_are_those_of_all_its_lines_there(reference_data, client_for, bdt):
    """Over the whole programme, `own_funding.by_year` adds up the years of every line of the partner in the
    programme, in every state, and nothing else: not another funder's, not its line in another programme."""
    from financing.models import FundingLineYear

    acv = FundingLine.objects.filter(action__convention__programme__code="acv").exclude(amount=None).order_by("pk")
    own = list(acv.filter(funder=bdt)[:3])
    assert {line.status for line in own} - {"granted", "paid"}  # a negotiation of its own is in it too
    for index, line in enumerate(own):
        FundingLineYearFactory(funding_line=line, year=2025 + index % 2, amount=Decimal("1000.10") * (index + 1))
    FundingLineYearFactory(funding_line=acv.exclude(funder=bdt).first(), year=2025, amount=Decimal("7"))
    elsewhere = Action.objects.exclude(convention__programme__code="acv").first()
    FundingLineYearFactory(
        funding_line=FundingLineFactory(action=elsewhere, funder=bdt, amount=Decimal("9"), status="planned"),
        year=2025,
        amount=Decimal("9"),
    )
    expected = {}
    for split in FundingLineYear.objects.filter(funding_line__in=own).select_related("funding_line"):
        key = (split.year, split.funding_line.status)
        expected[key] = expected.get(key, Decimal("0")) + split.amount

    body = client_for("partner_bdt").get("/api/v1/aggregates/").json()

    got = {}
    for row in body["own_funding"]["by_year"]:
        for status in ("planned", "requested", "granted", "paid", "refused"):
            if Decimal(row.get(status) or 0):
                got[(row["year"], status)] = got.get((row["year"], status), Decimal("0")) + Decimal(row[status])
    assert got == expected


def test_aggregates_for_a_partner_leave_out_other_funders_negotiations(reference_data, client_for):
    body = client_for("partner_bdt").get("/api/v1/aggregates/").json()
    negotiating = FundingLine.objects.exclude(funder__key="bdt").exclude(status__in=["granted", "paid"])
    for row in body["funding"]["by_basis"]:
        assert row["planned"] == row["requested"] == row["refused"] == "0.00"
    assert negotiating.exists()  # there were negotiations to leak


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
    # Each call makes a new key and drops the previous one (keys are kept as digests: none is shown twice).
    again = client.post("/api/v1/auth/token/", HTTP_AUTHORIZATION=_basic("partenaire.bdt"))
    assert again.status_code == 201
    machine = APIClient()
    assert machine.get("/api/v1/funding-lines/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    token = again.json()["token"]
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
