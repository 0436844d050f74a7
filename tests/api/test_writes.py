"""Writes validate as the forms do (the models' rules, French messages) and honour If-Match."""

import pytest

from actions.models import Action


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for("coordinator")


def test_fiche_etag_if_match_and_412(coordinator_client, programme):
    url = f"/api/v1/actions/{programme['square'].pk}/"
    first = coordinator_client.get(url)
    etag = first["ETag"]
    assert etag == f'"action-{programme["square"].pk}-v1"'
    changed = coordinator_client.patch(url, {"title": "Place rénovée"}, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    assert changed.json()["version"] == 2
    stale = coordinator_client.patch(url, {"title": "Autre titre"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert Action.objects.get(pk=programme["square"].pk).title == "Place rénovée"
    # No If-Match: no check, the change is applied to the current version.
    assert coordinator_client.patch(url, {"title": "Sans contrôle"}).status_code == 200


def test_fiche_write_records_who_in_history(coordinator_client, programme):
    coordinator_client.patch(f"/api/v1/actions/{programme['square'].pk}/", {"status": "in_progress"})
    assert programme["square"].history.first().history_user.username == "coordinateur"


def test_funding_line_etag_if_match_and_412(coordinator_client, programme):
    line = programme["lines"]["bdt"]
    url = f"/api/v1/funding-lines/{line.pk}/"
    etag = coordinator_client.get(url)["ETag"]
    changed = coordinator_client.patch(url, {"amount": "320000.00"}, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] == f'"fundingline-{line.pk}-v2"'
    assert coordinator_client.patch(url, {"amount": "1.00"}, HTTP_IF_MATCH=etag).status_code == 412
    line.refresh_from_db()
    assert (line.amount, line.version) == (320000, 2)
    assert line.history.first().history_user.username == "coordinateur"


def test_invalid_fiche_gives_the_models_french_messages(coordinator_client, programme):
    url = f"/api/v1/actions/{programme['square'].pk}/"
    response = coordinator_client.patch(url, {"cost_kind": "range", "cost_min": "500.00"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"] == {"cost_max": ["Une fourchette demande ses deux bornes."]}
    ended = coordinator_client.patch(
        url,
        {"start_on": "2025-01-01", "start_precision": "day", "end_on": "2024-01-01", "end_precision": "day"},
    )
    assert ended.json()["fields"]["end_on"] == ["La fin ne peut pas précéder le début."]
    negative = coordinator_client.patch(url, {"cost_amount": "-1"})
    assert negative.json()["fields"]["cost_amount"] == ["Le montant doit être positif ou nul."]
    assert Action.objects.get(pk=programme["square"].pk).version == 1


def test_duplicate_code_is_refused_by_the_constraint(coordinator_client, programme):
    response = coordinator_client.patch(f"/api/v1/actions/{programme['other'].pk}/", {"code": "AM.90"})
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"] == ["Une fiche de cette convention porte déjà ce code."]


def test_invalid_funding_line_and_years(coordinator_client, programme):
    url = f"/api/v1/funding-lines/{programme['lines']['bdt'].pk}/"
    share = coordinator_client.patch(url, {"share": "150"})
    assert share.status_code == 400
    assert share.json()["fields"] == {"non_field_errors": ["La part est comprise entre 0 et 100 %."]}
    years = coordinator_client.patch(
        url, {"years": [{"year": 2025, "amount": "1.00"}, {"year": 2025, "amount": "2.00"}]}
    )
    assert years.status_code == 400
    assert years.json()["fields"]["years"] == ["2025 : cette année figure deux fois dans l'échéancier."]
    line = programme["lines"]["bdt"]
    line.refresh_from_db()
    assert line.version == 1
    assert [(y.year, y.amount) for y in line.years.all()] == [(2025, 150000)]


def test_reference_write_runs_model_rules(coordinator_client, db):
    created = coordinator_client.post(
        "/api/v1/organisations/", {"key": "test-api-org", "name": "Organisation API", "kind": "agence"}
    )
    assert created.status_code == 201, created.content
    again = coordinator_client.post(
        "/api/v1/organisations/", {"key": "test-api-org", "name": "Organisation API 2", "kind": "agence"}
    )
    assert again.status_code == 400
    assert "key" in again.json()["fields"]
    convention = coordinator_client.post(
        "/api/v1/conventions/",
        {"key": "c", "programme": None, "title": "C", "starts_on": "2025-01-01", "ends_on": "2024-01-01"},
    )
    assert convention.status_code == 400


def test_convention_dates_rule_in_french(coordinator_client, db):
    from tests.factories import ProgrammeFactory

    programme = ProgrammeFactory()
    response = coordinator_client.post(
        "/api/v1/conventions/",
        {"key": "c", "programme": programme.pk, "title": "C", "starts_on": "2025-01-01", "ends_on": "2024-01-01"},
    )
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"] == ["La fin ne peut pas précéder le début."]


def test_the_api_writes_a_fiche_operations_and_milestones_through_the_fiche_service(coordinator_client, programme):
    from tests.factories import MilestoneFactory, OperationFactory

    square = programme["square"]
    kept = OperationFactory(action=square, name="Études", cost_kind="unknown", cost_amount=None)
    removed = OperationFactory(action=square, name="Ancienne tranche", cost_kind="unknown", cost_amount=None)
    milestone = MilestoneFactory(action=square, label="Permis de construire")
    url = f"/api/v1/actions/{square.pk}/"
    response = coordinator_client.patch(
        url,
        {
            "operations": [
                {"id": kept.pk, "name": "Études de maîtrise d'œuvre"},
                {"id": removed.pk, "delete": True},
                {"name": "Travaux", "cost_kind": "exact", "cost_amount": "250000.00", "cost_basis": "HT"},
            ],
            "milestones": [{"id": milestone.pk, "achieved_on": "2026-03-02"}],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(op["name"] for op in body["operations"]) == ["Travaux", "Études de maîtrise d'œuvre"]
    assert [m["achieved_on"] for m in body["milestones"]] == ["2026-03-02"]
    # Every change is in the fiche's history, with its author; the fiche itself did not change (version 1).
    assert body["version"] == 1
    assert kept.history.first().history_user.username == "coordinateur"
    assert removed.history.filter(history_type="-").exists()


def test_an_invalid_row_changes_nothing_and_names_the_row(coordinator_client, programme):
    from actions.models import Operation

    square = programme["square"]
    url = f"/api/v1/actions/{square.pk}/"
    response = coordinator_client.patch(
        url,
        {
            "title": "Nouveau titre",
            "operations": [
                {"name": "Bonne ligne", "cost_kind": "unknown"},
                {"name": "Fourchette inversée", "cost_kind": "range", "cost_min": "50000", "cost_max": "10000"},
            ],
        },
    )
    assert response.status_code == 400
    assert "Ligne 2" in str(response.json()["fields"]["operations"])
    assert not Operation.objects.filter(action=square).exists()
    square.refresh_from_db()
    assert square.title == "Place du marché" and square.version == 1


def test_an_operation_of_another_fiche_cannot_be_reached_by_its_id(client_for, programme):
    from tests.factories import OperationFactory

    foreign = OperationFactory(action=programme["other"], name="Bruay", cost_kind="unknown", cost_amount=None)
    client = client_for("referent_bethune")
    response = client.patch(
        f"/api/v1/actions/{programme['square'].pk}/", {"operations": [{"id": foreign.pk, "name": "Détournée"}]}
    )
    assert response.status_code == 400
    foreign.refresh_from_db()
    assert foreign.name == "Bruay" and foreign.action_id == programme["other"].pk
