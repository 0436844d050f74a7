"""The semester report is for a programme that reports every semester (ACV, avenant n°2): the Contrat de Ville
reports every year, so it is offered its annual report and no semester report — not on the reports page, not on
its comité pages, not through the API — and a request for one is refused with a French message."""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError

from actions.models import Action
from conventions.models import Convention
from evaluation.models import SemesterReport
from evaluation.services import NO_SEMESTER_REPORT, semester_report_present
from jobs.models import Job
from tests.factories import CommitteeMeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cdv_meeting(reference_data):
    return CommitteeMeetingFactory(
        convention=Convention.objects.get(key="cdv-cabbalr"), held_on=datetime.date(2026, 6, 15)
    )


@pytest.fixture
def acv_meeting(reference_data):
    return CommitteeMeetingFactory(
        convention=Convention.objects.get(key="acv-2018"), held_on=datetime.date(2026, 6, 16)
    )


def test_the_contrat_de_ville_reports_page_offers_the_annual_report_only(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    page = client.get("/cdv/rapports/").content.decode()
    assert "Produire le rapport annuel (PDF)" in page
    assert "semestriel" not in page.lower()
    assert "/rapports/semestriel/" not in page


def test_acv_reports_page_keeps_its_semester_report(client, coordinator, reference_data):
    client.force_login(coordinator)
    page = client.get("/rapports/").content.decode()
    assert "Produire le rapport semestriel (PDF)" in page
    assert "Rapports présentés en comité" in page
    assert "Produire le rapport annuel" not in page


def test_a_semester_report_asked_in_the_contrat_de_ville_is_refused_with_a_message(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    jobs = Job.objects.count()
    response = client.post("/cdv/rapports/semestriel/", {"year": "2026", "semester": "1"}, follow=True)
    assert NO_SEMESTER_REPORT in html.unescape(response.content.decode())
    assert Job.objects.count() == jobs


def test_the_semester_report_api_is_a_404_in_the_contrat_de_ville(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    jobs = Job.objects.count()
    response = client.post(
        "/cdv/api/v1/reports/semester/", {"year": 2026, "semester": 1}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == NO_SEMESTER_REPORT
    assert Job.objects.count() == jobs


def test_the_contrat_de_ville_meeting_pages_offer_no_semester_report(client, cdv_coordinator, cdv_meeting):
    client.force_login(cdv_coordinator)
    detail = client.get(f"/cdv/comites/{cdv_meeting.pk}/").content.decode()
    assert "semestriel" not in detail.lower()
    assert f"/comites/{cdv_meeting.pk}/rapport/" not in detail
    assert "produire le rapport annuel" in detail
    listing = client.get("/cdv/comites/").content.decode()
    assert "Produire le rapport annuel" in listing
    assert "rapport semestriel" not in listing.lower()


def test_acv_meeting_page_offers_its_semester_report(client, coordinator, acv_meeting):
    client.force_login(coordinator)
    detail = client.get(f"/comites/{acv_meeting.pk}/").content.decode()
    assert "Présenter un rapport semestriel à ce comité" in detail
    assert "Produire un rapport semestriel" in client.get("/comites/").content.decode()


def test_presenting_a_semester_report_to_a_contrat_de_ville_meeting_is_refused(client, cdv_coordinator, cdv_meeting):
    client.force_login(cdv_coordinator)
    response = client.post(f"/cdv/comites/{cdv_meeting.pk}/rapport/", {"year": "2026", "semester": "1"}, follow=True)
    assert NO_SEMESTER_REPORT in html.unescape(response.content.decode())
    assert not SemesterReport.objects.filter(meeting=cdv_meeting).exists()


def test_the_service_keeps_no_semester_report_for_an_annual_programme(cdv_coordinator, cdv_meeting):
    with pytest.raises(ValidationError, match="il n'a pas de rapport semestriel"):
        semester_report_present(
            meeting=cdv_meeting,
            fiches=Action.objects.filter(convention=cdv_meeting.convention),
            year=2026,
            semester=1,
            user=cdv_coordinator,
        )
    assert not SemesterReport.objects.filter(meeting=cdv_meeting).exists()
