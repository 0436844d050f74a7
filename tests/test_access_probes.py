"""The audit's probes, each as the user who tried it: what a partner, a référent or the coordinator received.

The programme (built here, distinct amounts so every figure tells where it came from):
- « Place » (Béthune): BDT 300 000 € sollicité (its own), Région 200 000 € accordé (note « Note Région accordée »),
  Région 70 000 € sollicité (negotiation), cost 1 000 000 €;
- « Halles » (Béthune): BDT 40 000 € prévu, Région 90 000 € prévu only (negotiation), cost 500 000 €;
- « Parc » (Bruay): Région 50 000 € accordé only (BDT does not fund it: invisible to BDT).
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from actions.models import Action
from financing.models import FundingLine
from financing.services import funding_line_update
from tests import factories as f

D = Decimal


@pytest.fixture
def plan(db, bethune, bruay, bdt, region, coordinator):
    place = f.ActionFactory(code="FA 801", title="Place", territory=bethune, cost_amount=D("1000000"))
    halles = f.ActionFactory(code="FA 802", title="Halles", territory=bethune, cost_amount=D("500000"))
    parc = f.ActionFactory(code="FA 803", title="Parc", territory=bruay, cost_amount=D("400000"))
    axis = f.AxisFactory(number="1")
    for fiche in (place, halles, parc):
        fiche.axes.set([axis])
    lines = {
        "bdt_place": f.FundingLineFactory(action=place, funder=bdt, amount=D("300000"), status="requested", note="BDT"),
        "region_place_granted": f.FundingLineFactory(
            action=place, funder=region, amount=D("200000"), status="granted", note="Note Région accordée"
        ),
        "region_place_requested": f.FundingLineFactory(
            action=place, funder=region, amount=D("70000"), status="requested", note="Négociation Région"
        ),
        "bdt_halles": f.FundingLineFactory(action=halles, funder=bdt, amount=D("40000"), status="planned"),
        "region_halles": f.FundingLineFactory(action=halles, funder=region, amount=D("90000"), status="planned"),
        "region_parc": f.FundingLineFactory(action=parc, funder=region, amount=D("50000"), status="granted"),
    }
    return {"place": place, "halles": halles, "parc": parc, "lines": lines}


def mine(**params):
    """Only the fiches built here: the reference programme may be loaded in the same database."""
    from conventions.models import Convention

    return {"convention": Convention.objects.get(key="acv-test").pk, **params}


def api(user):
    client = APIClient()
    client.force_login(user)
    return client


def codes(rows):
    return sorted(row["code"] for row in rows)


# 1. Filtering by another funder or by a funding state finds only what the partner may read.


def test_partner_filtering_by_the_region_finds_only_fiches_where_the_region_is_settled(
    client, plan, partner_bdt, region
):
    rows = api(partner_bdt).get("/api/v1/actions/", mine(funder=region.pk)).json()["results"]
    assert codes(rows) == ["FA 801"]  # not « Halles », where the Région only negotiates
    client.force_login(partner_bdt)
    page = client.get(reverse("actions:action_list"), mine(funder=region.pk))
    assert [action.code for action in page.context["actions"]] == ["FA 801"]
    aggregates = api(partner_bdt).get("/api/v1/aggregates/", mine(funder=region.pk)).json()
    assert aggregates["actions"]["count"] == 1


def test_partner_filtering_on_sollicite_finds_only_its_own_requests(plan, partner_bdt):
    rows = api(partner_bdt).get("/api/v1/actions/", mine(funding_status="requested")).json()["results"]
    assert codes(rows) == ["FA 801"]  # its own request; the Région's request on « Place » plays no part
    rows = api(partner_bdt).get("/api/v1/actions/", mine(funding_status="planned")).json()["results"]
    assert codes(rows) == ["FA 802"]  # its own planned line on « Halles »


def test_partner_cannot_even_name_a_funder_it_never_sees(plan, partner_bdt, bethune):
    stranger = f.OrganisationFactory(key="anru-test", name="ANRU test", kind="agence")
    f.FundingLineFactory(action=plan["place"], funder=stranger, amount=D("1000"), status="requested")
    response = api(partner_bdt).get("/api/v1/actions/", {"funder": stranger.pk})
    assert response.status_code == 400  # not a choice it has: the filter does not confirm the negotiation
    assert response.json()["fields"]["funder"]


# 2. Sorting on funding sorts on what the partner's columns show.


def test_partner_sorting_by_funded_sorts_on_the_part_acquise(plan, partner_bdt, coordinator):
    # Part prévue would put « Place » (570 000) before « Halles » (130 000) for the coordinator; for the
    # partner the figure is the part acquise: « Place » 200 000, « Halles » 0.
    partner = codes_in_order(api(partner_bdt), "-funded")
    assert partner == ["FA 801", "FA 802"]
    partner_asc = codes_in_order(api(partner_bdt), "funded")
    assert partner_asc == ["FA 802", "FA 801"]
    # A negotiation that would reverse the order if it counted must not move anything.
    FundingLine.objects.filter(pk=plan["lines"]["region_halles"].pk).update(amount=D("9000000"))
    assert codes_in_order(api(partner_bdt), "-funded") == ["FA 801", "FA 802"]
    assert codes_in_order(api(partner_bdt), "-share") == ["FA 801", "FA 802"]
    assert codes_in_order(api(coordinator), "-funded") == ["FA 802", "FA 801", "FA 803"]


def codes_in_order(client, ordering):
    return [row["code"] for row in client.get("/api/v1/actions/", mine(ordering=ordering)).json()["results"]]


def test_partner_list_rows_carry_no_part_prevue(plan, partner_bdt):
    rows = {row["code"]: row["totals"] for row in api(partner_bdt).get("/api/v1/actions/", mine()).json()["results"]}
    assert rows["FA 801"]["acquired"] == "200000.00"
    assert rows["FA 801"]["acquired_share"] == "20.0"
    assert rows["FA 801"]["own"] == "300000.00"
    assert rows["FA 801"]["planned"] is None and rows["FA 801"]["funded_by_status"] is None


# 3. The partner's export carries no other funder's notes.


def test_partner_export_carries_no_note_of_other_funders_settled_lines(client, plan, partner_bdt):
    client.force_login(partner_bdt)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("financing:funding_export")).content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, [cell.value for cell in row], strict=False)) for row in sheet.iter_rows(min_row=2)]
    seen = {(row["Fiche action"], row["Financeur"], row["Montant (€)"], row["Remarque"]) for row in rows}
    assert seen == {
        ("FA 801", "Banque des Territoires", 300000, "BDT"),
        ("FA 801", "Région Hauts-de-France", 200000, None),
        ("FA 802", "Banque des Territoires", 40000, None),
    }
    totals = [[cell.value for cell in row] for row in workbook["Totaux"].iter_rows(min_row=2) if row[0].value]
    groups = {(row[0].split(" — ")[0], row[1]): row[2] for row in totals if row[1]}
    assert groups[("Vos lignes", "Sollicité")] == 300000
    assert groups[("Autres financeurs (accordé, versé)", "Accordé")] == 200000
    assert ("Autres financeurs (accordé, versé)", "Sollicité") not in groups
    assert all(" — " in row[0] for row in totals if row[1])  # each group is given per HT / TTC basis


# 4. « Ce qui a changé depuis votre dernière visite » shows only its own lines.


def test_what_changed_shows_no_other_funder_negotiation(client, plan, partner_bdt, coordinator):
    profile = partner_bdt.profiles.get()
    profile.last_portal_visit = timezone.now()
    profile.save()
    lines = plan["lines"]
    funding_line_update(
        line=lines["region_place_requested"],
        changes={"status": "granted", "amount": D("75000")},
        years=None,
        user=coordinator,
        expected_version=None,
    )
    funding_line_update(
        line=lines["bdt_place"], changes={"status": "granted"}, years=None, user=coordinator, expected_version=None
    )
    client.force_login(partner_bdt)
    changes = client.get(reverse("financing:partner_portal")).context["changes"]
    assert {change["row"].id for change in changes} == {lines["bdt_place"].pk}
    body = client.get(reverse("financing:partner_portal")).content.decode()
    assert "75\u202f000" not in body and "70\u202f000" not in body


def test_fiche_timeline_shows_a_partner_only_its_own_lines_history(client, plan, partner_bdt, coordinator):
    funding_line_update(
        line=plan["lines"]["region_place_requested"],
        changes={"amount": D("71000")},
        years=None,
        user=coordinator,
        expected_version=None,
    )
    client.force_login(partner_bdt)
    body = client.get(reverse("actions:action_detail", args=[plan["place"].pk])).content.decode()
    assert "71\u202f000" not in body and "70\u202f000" not in body
    assert "Négociation Région" not in body and "Note Région accordée" not in body


# 5. Committee meetings: the API answers partners as the pages do.


def test_partner_reads_no_meeting_through_the_api(client, plan, partner_bdt, coordinator):
    meeting = f.CommitteeMeetingFactory(convention=plan["place"].convention, minutes="Région : 70 000 € en discussion")
    assert api(partner_bdt).get("/api/v1/committee-meetings/").json()["count"] == 0
    assert api(partner_bdt).get(f"/api/v1/committee-meetings/{meeting.pk}/").status_code == 404
    assert api(coordinator).get(f"/api/v1/committee-meetings/{meeting.pk}/").json()["minutes"].startswith("Région")
    client.force_login(partner_bdt)
    assert client.get(reverse("conventions:meeting_detail", args=[meeting.pk])).status_code == 403


# 6. A référent cannot move its line onto another commune's fiche.


def test_referent_cannot_move_its_line_onto_a_bruay_fiche(plan, referent_bethune, bethune):
    line = f.FundingLineFactory(action=plan["place"], funder=bethune, amount=D("10000"))
    response = api(referent_bethune).patch(f"/api/v1/funding-lines/{line.pk}/", {"action": plan["parc"].pk})
    assert response.status_code == 403
    line.refresh_from_db()
    assert line.action_id == plan["place"].pk and line.version == 1


# 7. The coordinator cannot raise itself (or anyone) to administrator or coordinator in the admin.


def test_coordinator_cannot_raise_its_own_profile_in_the_admin(client, coordinator, partner_bdt):
    client.force_login(coordinator)
    profile = coordinator.profiles.get()
    url = reverse("admin:conventions_userprofile_change", args=[profile.pk])
    response = client.post(url, {"user": coordinator.pk, "role": "admin", "organisation": profile.organisation_id})
    assert response.status_code in (403, 404) or "readonly" in response.content.decode()
    profile.refresh_from_db()
    assert profile.role == "coordinator"
    partner_profile = partner_bdt.profiles.get()
    url = reverse("admin:conventions_userprofile_change", args=[partner_profile.pk])
    client.post(url, {"user": partner_bdt.pk, "role": "coordinator", "organisation": partner_profile.organisation_id})
    partner_profile.refresh_from_db()
    assert partner_profile.role == "partner"
    page = client.get(url).content.decode()
    assert 'value="admin"' not in page and 'value="coordinator"' not in page


# 8. No silent overwrite: the admin does not write fiches; lines edited from the fiche form move their version.


def test_the_admin_does_not_write_fiches_behind_the_form(client, admin_user, plan):
    client.force_login(admin_user)
    fiche = plan["place"]
    response = client.post(reverse("admin:actions_action_change", args=[fiche.pk]), {"title": "Changé en douce"})
    assert response.status_code == 403
    fiche.refresh_from_db()
    assert fiche.title == "Place" and fiche.version == 1


def test_a_line_edited_from_the_fiche_form_moves_its_version_and_old_etags_fail(client, plan, coordinator):
    from tests.actions.test_views import form_data

    client.force_login(coordinator)
    fiche, line = plan["halles"], plan["lines"]["bdt_halles"]
    old_etag = api(coordinator).get(f"/api/v1/funding-lines/{line.pk}/")["ETag"]
    data = form_data(client, fiche)
    index = next(i for i in range(10) if data.get(f"funding-{i}-id") == str(line.pk))
    data[f"funding-{index}-amount"] = "45000"
    assert client.post(reverse("actions:action_update", args=[fiche.pk]), data).status_code == 302
    line.refresh_from_db()
    assert line.amount == D("45000") and line.version == 2
    stale = api(coordinator).patch(f"/api/v1/funding-lines/{line.pk}/", {"amount": "1.00"}, HTTP_IF_MATCH=old_etag)
    assert stale.status_code == 412


def test_fiche_form_refuses_to_overwrite_a_decision_the_partner_recorded_meanwhile(
    client, plan, coordinator, partner_bdt
):
    from tests.actions.test_views import form_data

    client.force_login(coordinator)
    fiche, line = plan["halles"], plan["lines"]["bdt_halles"]
    data = form_data(client, fiche)  # the coordinator opens the form…
    funding_line_update(  # …the partner records its decision from its portal…
        line=line, changes={"status": "granted"}, years=None, user=partner_bdt, expected_version=1
    )
    index = next(i for i in range(10) if data.get(f"funding-{i}-id") == str(line.pk))
    data[f"funding-{index}-amount"] = "41000"
    response = client.post(reverse("actions:action_update", args=[fiche.pk]), data)  # …then saves
    assert response.status_code == 409
    line.refresh_from_db()
    assert line.status == "granted" and line.amount == D("40000")


# 9. Absurd dates are refused with a French message, nowhere a 500.


def test_a_start_in_year_9999_is_refused_in_french_by_the_api_and_the_form(client, plan, coordinator):
    fiche = plan["place"]
    response = api(coordinator).patch(
        f"/api/v1/actions/{fiche.pk}/", {"start_on": "9999-12-31", "start_precision": "quarter"}
    )
    assert response.status_code == 400
    assert "1900" in str(response.json()["fields"]["start_on"])
    from tests.actions.test_views import form_data

    client.force_login(coordinator)
    data = form_data(client, fiche)
    data.update({"start_on": "9999-10-01", "start_precision": "quarter"})
    response = client.post(reverse("actions:action_update", args=[fiche.pk]), data)
    assert response.status_code == 400
    assert "31 décembre 2100" in response.content.decode()
    fiche.refresh_from_db()
    assert fiche.start_on is None or fiche.start_on.year < 2100


# 11. Saving a fiche unchanged writes no history (browsers send CRLF).


def test_saving_a_fiche_unchanged_writes_no_history_even_with_crlf(client, plan, coordinator):
    from tests.actions.test_views import form_data

    fiche = plan["place"]
    Action.objects.filter(pk=fiche.pk).update(description="Première ligne\nDeuxième ligne")
    client.force_login(coordinator)
    before = fiche.history.count()
    data = form_data(client, fiche)
    data["description"] = data["description"].replace("\n", "\r\n")
    assert client.post(reverse("actions:action_update", args=[fiche.pk]), data).status_code == 302
    fiche.refresh_from_db()
    assert fiche.history.count() == before
    assert fiche.version == 1 and fiche.description == "Première ligne\nDeuxième ligne"
    for line in fiche.funding_lines.all():
        assert line.version == 1
