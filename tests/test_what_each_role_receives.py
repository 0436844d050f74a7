"""What each role receives — funding-line ids and amounts — on every list, detail, export and PDF, compared with
an oracle written here from the rules of DESIGN.md on plain rows (not by calling the QuerySets under test):

- the roles that read everything (admin, coordinator, référent, comité): every line of every fiche;
- a partner: the fiches it funds (any line of its own) or is named partner of; on them its own lines, and the
  other funders' lines once accordé or versé; nothing else, whichever the door;
- an account without a role: nothing.
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from actions.models import Action
from financing.models import FundingLine
from tests import factories as f
from tests.evaluation.pdf import pdf_text

D = Decimal
READERS = ("coordinator", "referent_bethune", "committee_member")
PARTNERS = ("partner_bdt", "partner_region")


@pytest.fixture
def plan(db, bethune, bruay, bdt, region, agglomeration):
    """Three fiches, every funder in every state, amounts all distinct."""
    axis = f.AxisFactory(number="1")
    etat = f.OrganisationFactory(key="etat-test", name="État (test)", kind="etat")
    fiches = {
        "place": f.ActionFactory(code="FA 901", title="Place", territory=bethune, cost_amount=D("1000000")),
        "halles": f.ActionFactory(code="FA 902", title="Halles", territory=bethune, cost_amount=D("800000")),
        "parc": f.ActionFactory(code="FA 903", title="Parc", territory=bruay, cost_amount=D("600000")),
    }
    for fiche in fiches.values():
        fiche.axes.set([axis])
    fiches["parc"].partners.set([bdt])  # BDT is named partner of the park without funding it
    amount = 1000
    for fiche in fiches.values():
        for funder in (bdt, region, etat):
            if fiche.code == "FA 903" and funder == bdt:
                continue
            for status in ("planned", "requested", "granted", "refused", "paid"):
                amount += 1
                f.FundingLineFactory(
                    action=fiche, funder=funder, amount=D(amount), status=status, note=f"note {amount}"
                )
    return fiches


def oracle(persona, user):
    """{line id: amount} the rules give this persona, and the set of line ids whose notes it may read."""
    rows = list(
        FundingLine.objects.filter(action__convention__key="acv-test").values(
            "id", "action_id", "funder_id", "status", "amount"
        )
    )
    if persona in READERS:
        return {r["id"]: r["amount"] for r in rows}, {r["id"] for r in rows}
    organisation = user.profiles.get().organisation_id
    partnered = set(
        Action.partners.through.objects.filter(organisation_id=organisation).values_list("action_id", flat=True)
    )
    fiches = {r["action_id"] for r in rows if r["funder_id"] == organisation} | partnered
    seen = {
        r["id"]: r["amount"]
        for r in rows
        if r["action_id"] in fiches and (r["funder_id"] == organisation or r["status"] in ("granted", "paid"))
    }
    return seen, {r["id"] for r in rows if r["funder_id"] == organisation}


def _api(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", READERS + PARTNERS)
def test_funding_lines_endpoint(plan, request, persona):
    user = request.getfixturevalue(persona)
    expected, with_notes = oracle(persona, user)
    convention = plan["place"].convention_id
    rows = [
        row
        for fiche in plan.values()
        for row in _api(user).get("/api/v1/funding-lines/", {"action": fiche.pk, "page_size": 100}).json()["results"]
    ]
    assert all(row["action"] in {fiche.pk for fiche in plan.values()} for row in rows) and convention
    assert {row["id"]: D(row["amount"]) for row in rows} == expected
    assert {row["id"] for row in rows if "note" in row} == with_notes
    for line_id in FundingLine.objects.filter(action__convention=convention).values_list("pk", flat=True):
        status = _api(user).get(f"/api/v1/funding-lines/{line_id}/").status_code
        assert status == (200 if line_id in expected else 404)


@pytest.mark.parametrize("persona", READERS + PARTNERS)
def test_fiche_list_and_detail_nest_the_same_lines(plan, request, persona):
    user = request.getfixturevalue(persona)
    expected, _ = oracle(persona, user)
    params = {"convention": plan["place"].convention_id, "page_size": 100}
    listed = _api(user).get("/api/v1/actions/", params).json()["results"]
    nested = {line["id"]: D(line["amount"]) for fiche in listed for line in fiche["funding_lines"]}
    assert nested == expected
    for fiche in listed:
        detail = _api(user).get(f"/api/v1/actions/{fiche['id']}/").json()
        assert {line["id"] for line in detail["funding_lines"]} == {line["id"] for line in fiche["funding_lines"]}


@pytest.mark.parametrize("persona", READERS + PARTNERS)
def test_fiche_pages_show_exactly_these_lines(client, plan, request, persona):
    user = request.getfixturevalue(persona)
    expected, _ = oracle(persona, user)
    client.force_login(user)
    shown = {}
    for fiche in plan.values():
        response = client.get(reverse("actions:action_detail", args=[fiche.pk]))
        if response.status_code == 404:
            continue
        shown |= {line.pk: line.amount for line in response.context["lines"]}
        body = response.content.decode()
        for line in FundingLine.objects.filter(action=fiche):
            if line.pk not in expected:
                assert f"note {line.amount}" not in body
    assert shown == expected


@pytest.mark.parametrize("persona", READERS + PARTNERS)
def test_export_holds_exactly_these_lines(client, plan, request, persona):
    user = request.getfixturevalue(persona)
    expected, with_notes = oracle(persona, user)
    client.force_login(user)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(reverse("financing:funding_export")).content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    amount, note, code = header.index("Montant (€)"), header.index("Remarque"), header.index("Fiche action")
    ours = {fiche.code for fiche in plan.values()}  # the reference programme may be in the database too
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    rows = [row for row in rows if row[code] in ours]
    assert sorted(D(row[amount]) for row in rows) == sorted(expected.values())
    notes = {row[note] for row in rows if row[note]}
    assert notes == {f"note {expected[pk]:.0f}" for pk in with_notes if pk in expected}


@pytest.mark.parametrize("persona", PARTNERS)
def test_fiche_pdf_shows_a_partner_only_its_lines_and_others_settled_ones(client, plan, request, persona):
    user = request.getfixturevalue(persona)
    expected, _ = oracle(persona, user)
    client.force_login(user)
    for fiche in plan.values():
        response = client.get(reverse("evaluation:action_pdf", args=[fiche.pk]))
        if response.status_code == 404:
            assert not FundingLine.objects.filter(action=fiche, pk__in=expected).exists()
            continue
        text = pdf_text(response.content).replace("\u202f", " ").replace("\xa0", " ")
        for line in FundingLine.objects.filter(action=fiche):
            shown = f"{line.amount:,.0f}".replace(",", " ") + " €" in text
            assert shown == (line.pk in expected), (fiche.code, line.funder_id, line.status, line.amount)


def test_outsider_receives_nothing(client, plan, outsider):
    client.force_login(outsider)
    assert client.get(reverse("financing:funding_export")).status_code == 403
    assert _api(outsider).get("/api/v1/funding-lines/").status_code == 403
    for fiche in plan.values():
        assert client.get(reverse("actions:action_detail", args=[fiche.pk])).status_code == 403
