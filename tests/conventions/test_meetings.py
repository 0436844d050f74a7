"""Comité meetings: who may read and write them, creating and editing them with French messages."""

import datetime
import html

import pytest

from conventions.models import CommitteeMeeting
from tests.factories import CommitteeMeetingFactory, ConventionFactory, OrganisationFactory


@pytest.fixture
def convention(db):
    return ConventionFactory()


@pytest.fixture
def meeting(convention):
    return CommitteeMeetingFactory(
        convention=convention,
        held_on=datetime.date(2026, 6, 15),
        title="Comité de printemps",
        attendees="Mme Durand, sous-préfète\nM. Martin, maire",
        decisions="Le comité valide l'avenant n°3.",
    )


def valid_data(convention, **changes):
    data = {
        "convention": convention.pk,
        "kind": "project",
        "held_on": "2026-12-10",
        "title": "Comité de fin d'année",
        "attendees": "Mme Durand\nM. Martin",
        "agenda": "1. Bilan du semestre",
        "decisions": "Validation du rapport semestriel.",
        "minutes": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("url", ["/comites/", "/comites/nouveau/", "/comites/1/", "/comites/1/modifier/"])
def test_anonymous_is_sent_to_login(db, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/connexion/")


@pytest.mark.parametrize("persona", ["outsider", "partner_bdt"])
def test_outsiders_and_partners_cannot_read_meetings(client, request, persona, meeting):
    client.force_login(request.getfixturevalue(persona))
    for url in ("/comites/", f"/comites/{meeting.pk}/", "/comites/nouveau/", f"/comites/{meeting.pk}/modifier/"):
        assert client.get(url).status_code == 403, url
    assert 'href="/comites/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("persona", ["committee_member", "referent_bethune"])
def test_readers_see_meetings_but_cannot_change_them(client, request, persona, meeting, convention):
    client.force_login(request.getfixturevalue(persona))
    listing = client.get("/comites/").content.decode()
    assert "15 juin 2026" in listing and "Comité de printemps" in listing
    page = client.get(f"/comites/{meeting.pk}/").content.decode()
    assert "Mme Durand, sous-préfète" in page and "Le comité valide l&#x27;avenant n°3." in page
    assert "Modifier la réunion" not in page and "Produire et conserver" not in page
    assert client.get("/comites/nouveau/").status_code == 403
    assert client.post("/comites/nouveau/", valid_data(convention)).status_code == 403
    assert client.post(f"/comites/{meeting.pk}/modifier/", valid_data(convention)).status_code == 403
    assert client.post(f"/comites/{meeting.pk}/rapport/", {"year": "2026", "semester": "1"}).status_code == 403
    assert CommitteeMeeting.objects.count() == 1


def test_coordinator_creates_a_meeting(client, coordinator, convention):
    bdt = OrganisationFactory(key="bdt", name="Banque des Territoires", kind="agence")
    client.force_login(coordinator)
    assert client.get("/comites/nouveau/").status_code == 200

    response = client.post("/comites/nouveau/", valid_data(convention, attending_organisations=[bdt.pk]))
    meeting = CommitteeMeeting.objects.get()
    assert response.status_code == 302 and response.url == f"/comites/{meeting.pk}/"
    assert meeting.held_on == datetime.date(2026, 12, 10) and meeting.kind == "project"
    assert list(meeting.attending_organisations.all()) == [bdt]
    page = client.get(response.url).content.decode()
    assert "Comité de projet du 10 décembre 2026" in page and "Banque des Territoires" in page
    assert "Produire et conserver le rapport" in page


def test_invalid_meeting_shows_french_errors_and_saves_nothing(client, coordinator, convention):
    client.force_login(coordinator)
    response = client.post("/comites/nouveau/", valid_data(convention, held_on="", kind="assemblée"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Indiquez la date de la réunion." in body
    assert "Sélectionnez un choix valide. assemblée n’en fait pas partie." in body
    assert "La réunion n'a pas été enregistrée" in body
    assert not CommitteeMeeting.objects.exists()


def test_meeting_before_the_signature_is_refused(client, coordinator, convention):
    client.force_login(coordinator)
    response = client.post("/comites/nouveau/", valid_data(convention, held_on="2017-01-05"))
    assert response.status_code == 400
    assert "La réunion ne peut pas précéder la signature de la convention (24/09/2018)." in response.content.decode()


def test_coordinator_edits_a_meeting(client, coordinator, meeting, convention):
    client.force_login(coordinator)
    form = client.get(f"/comites/{meeting.pk}/modifier/").content.decode()
    assert 'value="2026-06-15"' in form

    response = client.post(
        f"/comites/{meeting.pk}/modifier/",
        valid_data(convention, held_on="2026-06-16", kind="technical", minutes="Compte rendu validé."),
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.kind == "technical" and meeting.held_on == datetime.date(2026, 6, 16)
    assert meeting.minutes == "Compte rendu validé."


def test_invalid_edit_keeps_the_meeting(client, coordinator, meeting, convention):
    client.force_login(coordinator)
    response = client.post(f"/comites/{meeting.pk}/modifier/", valid_data(convention, held_on="31/02/2026"))
    assert response.status_code == 400
    assert "Saisissez une date valide." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.held_on == datetime.date(2026, 6, 15)


def test_unknown_meeting_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/comites/999999/").status_code == 404
    assert client.get("/comites/999999/modifier/").status_code == 404
    assert client.post("/comites/999999/rapport/", {"year": "2026", "semester": "1"}).status_code == 404


def test_meeting_list_query_count_does_not_grow(client, coordinator, convention, django_assert_max_num_queries):
    client.force_login(coordinator)
    CommitteeMeetingFactory.create_batch(2, convention=convention)
    with django_assert_max_num_queries(12):
        client.get("/comites/")
    CommitteeMeetingFactory.create_batch(20, convention=convention)
    with django_assert_max_num_queries(12):
        client.get("/comites/")


def test_the_meetings_page_says_per_year_whether_the_comite_met_twice(client, convention, coordinator):
    from tests.factories import AmendmentFactory

    AmendmentFactory(
        convention=convention,
        number=2,
        covers_from=datetime.date(2024, 1, 1),
        covers_to=datetime.date(2026, 12, 31),
        project_committees_per_year=2,
    )
    for held_on, kind in [
        ("2024-03-01", "project"),
        ("2024-10-01", "project"),
        ("2025-06-01", "project"),
        ("2025-11-01", "technical"),  # a comité technique is not a comité de projet
        ("2026-06-15", "project"),
        ("2026-12-28", "project"),  # planned, not held yet on 2 December
    ]:
        CommitteeMeetingFactory(convention=convention, held_on=held_on, kind=kind)
    client.force_login(coordinator)
    response = client.get("/comites/")
    rows = [(r["year"], r["held"], r["met"], r["in_progress"]) for r in response.context["rhythm"]]
    assert rows == [(2026, 1, False, True), (2025, 1, False, False), (2024, 2, True, False)]
    page = response.content.decode()
    assert "année en cours : 1 sur 2" in page and "non atteint : 1 sur 2" in page and "atteint</span>" in page
    # The minimum is said as the avenant sets it, not as ACV's avenant n°2 happens to.
    assert f"{convention}, avenant n°2 : au minimum 2 comités de projet par an." in html.unescape(page)
