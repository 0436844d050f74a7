"""Who may read and write what through the API: the same rules as the pages (roles + visible_to/editable_by)."""

import pytest

from tests.api.conftest import PERSONAE
from tests.factories import AxisFactory

# Béthune's square: every reader sees it; BDT and Région fund it; the référent of Béthune carries it.
SQUARE_READ = {
    "anonymous": 401,
    "coordinator": 200,
    "referent_bethune": 200,
    "partner_bdt": 200,
    "partner_region": 200,
    "committee_member": 200,
    "outsider": 403,
}
SQUARE_PATCH = {
    "anonymous": 401,
    "coordinator": 200,
    "referent_bethune": 200,
    "partner_bdt": 403,
    "partner_region": 403,
    "committee_member": 403,
    "outsider": 403,
}
CREATE = {
    "anonymous": 401,
    "coordinator": 201,
    "referent_bethune": 403,
    "partner_bdt": 403,
    "partner_region": 403,
    "committee_member": 403,
    "outsider": 403,
}


@pytest.mark.parametrize("persona", PERSONAE)
def test_fiche_read_and_write_by_persona(client_for, programme, persona):
    client = client_for(persona)
    square = programme["square"]
    assert client.get(f"/api/v1/actions/{square.pk}/").status_code == SQUARE_READ[persona]
    response = client.patch(f"/api/v1/actions/{square.pk}/", {"title": "Place du marché rénovée"})
    assert response.status_code == SQUARE_PATCH[persona], response.content


@pytest.mark.parametrize("persona", PERSONAE)
def test_fiche_creation_by_persona(client_for, programme, persona):
    square = programme["square"]
    data = {
        "convention": square.convention_id,
        "code": "FA 99",
        "title": "Nouvelle fiche",
        "territory": square.territory_id,
        "cost_kind": "unknown",
        "axes": [AxisFactory(number="2").pk],
    }
    response = client_for(persona).post("/api/v1/actions/", data)
    assert response.status_code == CREATE[persona], response.content


def test_fiche_list_is_scoped(client_for, programme):
    # The test convention only: the session's reference programme may be in the database too.
    params = {"convention": programme["square"].convention_id}

    def codes(persona):
        return {row["code"] for row in client_for(persona).get("/api/v1/actions/", params).json()["results"]}

    assert codes("coordinator") == {"AM.90", "FA 90"}
    assert codes("partner_bdt") == {"AM.90"}
    assert codes("partner_region") == {"AM.90", "FA 90"}
    assert client_for("outsider").get("/api/v1/actions/").status_code == 403
    assert client_for("anonymous").get("/api/v1/actions/").status_code == 401


def test_anonymous_gets_401_with_the_token_scheme(client_for, programme):
    response = client_for("anonymous").get("/api/v1/funding-lines/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Informations d'authentification non fournies.", "code": "not_authenticated"}


def test_referent_edits_only_the_fiches_its_organisation_carries(client_for, programme):
    client = client_for("referent_bethune")
    assert client.patch(f"/api/v1/actions/{programme['square'].pk}/", {"status": "in_progress"}).status_code == 200
    assert client.patch(f"/api/v1/actions/{programme['other'].pk}/", {"status": "in_progress"}).status_code == 403


def test_partner_cannot_see_other_partner_lines_by_list_or_by_id(client_for, programme):
    lines = programme["lines"]
    client = client_for("partner_bdt")
    seen = set()
    for fiche in (programme["square"], programme["other"]):
        body = client.get("/api/v1/funding-lines/", {"action": fiche.pk}).json()
        seen |= {row["id"] for row in body["results"]}
    # Its own line, and the État's granted line on a fiche it funds; not the Région's lines (planned).
    assert seen == {lines["bdt"].pk, lines["etat"].pk}
    assert client.get(f"/api/v1/funding-lines/{lines['region'].pk}/").status_code == 404
    assert client.get(f"/api/v1/funding-lines/{lines['region_bruay'].pk}/").status_code == 404
    nested = client.get(f"/api/v1/actions/{programme['square'].pk}/").json()["funding_lines"]
    assert {row["id"] for row in nested} == {lines["bdt"].pk, lines["etat"].pk}


def test_partner_reads_its_own_notes_not_other_funders(client_for, programme):
    lines = programme["lines"]
    client = client_for("partner_bdt")
    own = client.get(f"/api/v1/funding-lines/{lines['bdt'].pk}/").json()
    other = client.get(f"/api/v1/funding-lines/{lines['etat'].pk}/").json()
    assert own["note"] == "Négociation BDT"
    assert "note" not in other and "source_text" not in other
    assert other["amount"] == "100000.00"
    assert client_for("coordinator").get(f"/api/v1/funding-lines/{lines['etat'].pk}/").json()["note"] == "Note État"


def test_partner_changes_only_status_decision_and_years_of_its_own_lines(client_for, programme):
    lines = programme["lines"]
    client = client_for("partner_bdt")
    url = f"/api/v1/funding-lines/{lines['bdt'].pk}/"
    response = client.patch(
        url,
        {"status": "granted", "decision_reference": "CDC-2026-14", "years": [{"year": 2026, "amount": "300000.00"}]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "granted"
    assert body["years"] == [{"year": 2026, "amount": "300000.00"}]
    refused = client.patch(url, {"amount": "999999.00"})
    assert refused.status_code == 403
    assert "montant" in refused.json()["detail"]
    # Visible (settled) but not its own: 403.
    assert client.patch(f"/api/v1/funding-lines/{lines['etat'].pk}/", {"status": "paid"}).status_code == 403
    lines["bdt"].refresh_from_db()
    assert lines["bdt"].amount == 300000
    assert lines["bdt"].history.first().history_user.username == "partenaire.bdt"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("coordinator", 200),
        ("referent_bethune", 200),
        ("partner_region", 404),
        ("committee_member", 403),
        ("outsider", 403),
    ],
)
def test_funding_line_write_by_persona(client_for, programme, persona, expected):
    url = f"/api/v1/funding-lines/{programme['lines']['bdt'].pk}/"
    assert client_for(persona).patch(url, {"amount": "310000.00"}).status_code == expected


def test_funding_line_creation(client_for, programme, bdt):
    data = {"action": programme["square"].pk, "funder": bdt.pk, "amount": "1000.00", "status": "planned"}
    assert client_for("committee_member").post("/api/v1/funding-lines/", data).status_code == 403
    assert client_for("referent_bethune").post("/api/v1/funding-lines/", data).status_code == 201
    other = {**data, "action": programme["other"].pk}
    assert client_for("referent_bethune").post("/api/v1/funding-lines/", other).status_code == 403
    created = client_for("coordinator").post(
        "/api/v1/funding-lines/", {**data, "years": [{"year": 2025, "amount": "1000.00"}]}
    )
    assert created.status_code == 201
    assert created.json()["years"] == [{"year": 2025, "amount": "1000.00"}]


REFERENCE_LISTS = [
    "organisations",
    "conventions",
    "amendments",
    "axes",
    "sub-axes",
    "committee-meetings",
    "criteria",
    "indicators",
    "indicator-values",
]


@pytest.mark.parametrize("endpoint", REFERENCE_LISTS)
@pytest.mark.parametrize("persona", PERSONAE)
def test_reference_lists_are_read_by_every_role(reference_data, client_for, programme, persona, endpoint):
    response = client_for(persona).get(f"/api/v1/{endpoint}/")
    if persona == "anonymous":
        assert response.status_code == 401
    elif persona == "outsider":
        assert response.status_code == 403  # an account with no role reads nothing, and is told why
    else:
        assert response.status_code == 200
        assert response.json()["count"] > 0 or endpoint in ("committee-meetings", "indicator-values")


def test_partners_read_no_committee_meeting_through_the_api_as_on_the_pages(client_for, programme, coordinator):
    from tests.factories import CommitteeMeetingFactory

    meeting = CommitteeMeetingFactory(convention=programme["square"].convention, decisions="Région : 200 000 €")
    assert client_for("coordinator").get("/api/v1/committee-meetings/").json()["count"] == 1
    for partner in ("partner_bdt", "partner_region"):
        client = client_for(partner)
        assert client.get("/api/v1/committee-meetings/").json()["count"] == 0
        assert client.get(f"/api/v1/committee-meetings/{meeting.pk}/").status_code == 404
        assert client.get(f"/comites/{meeting.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 401),
        ("coordinator", 201),
        ("referent_bethune", 403),
        ("partner_bdt", 403),
        ("committee_member", 403),
        ("outsider", 403),
    ],
)
def test_reference_data_is_kept_by_the_coordination(client_for, db, persona, expected):
    data = {"key": "test-api-nouvelle", "name": "Organisation nouvelle", "kind": "agence"}
    assert client_for(persona).post("/api/v1/organisations/", data).status_code == expected


def test_meetings_are_read_only(client_for, programme):
    assert client_for("coordinator").post("/api/v1/committee-meetings/", {}).status_code == 405
