"""Two programmes in one instance: ACV and the Contrat de Ville (reference data of both), each user seeing only the
programme it works in. Roles are per programme: the Contrat de Ville's coordinator and partner have no role in
ACV, ACV's personae none in the Contrat de Ville; the direction coordinates both and switches between them.

Rows are checked, not only statuses: every list and export, every API list, read as a user of one programme,
holds no row of the other (and does hold rows of its own, so that an empty page cannot pass for isolation).
"""

import html
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from actions.models import Action
from conventions import roles
from conventions.models import Programme
from financing.models import FundingLine
from tests.conftest import programme_user
from tests.factories import UserProfileFactory


@pytest.fixture
def acv_coordinator(reference_data, coordinator):
    return coordinator


@pytest.fixture
def direction(reference_data):
    user = programme_user("direction", "acv", "coordinator", "cabbalr")
    UserProfileFactory(user=user, programme=Programme.objects.get(code="cdv"), role="coordinator")
    return user


def _ids(model, code):
    return set(model.objects.filter(convention__programme__code=code).values_list("pk", flat=True))


def _api_rows(client, name, **params):
    """Every row of an API list, page after page."""
    url = reverse(name)
    rows, page = [], 1
    while True:
        response = client.get(url, {**params, "page": page, "page_size": 100})
        assert response.status_code == 200, (name, response.status_code)
        data = response.json()
        rows += data["results"] if isinstance(data, dict) and "results" in data else data
        if not (isinstance(data, dict) and data.get("next")):
            return rows
        page += 1


def test_roles_are_per_programme(cdv_coordinator, cdv_partner, partner_bdt, direction):
    assert roles.role_of(cdv_coordinator) == "coordinator"
    assert roles.active_programme(cdv_coordinator).code == "cdv"
    # A partner of ACV is not, by that, a partner of the Contrat de Ville.
    partner_bdt.active_programme = "cdv"
    assert roles.role_of(partner_bdt) is None and not roles.has_programme_role(partner_bdt)
    assert not Action.objects.visible_to(partner_bdt).exists()
    # The direction works in the default programme unless it switches.
    assert roles.active_programme(direction).code == "acv"
    assert roles.programme_codes_of(direction) == ["acv", "cdv"]


@pytest.mark.parametrize("persona", ["cdv_coordinator", "cdv_partner"])
def test_api_lists_of_the_contrat_de_ville_hold_no_acv_row(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    acv_actions, cdv_actions = _ids(Action, "acv"), _ids(Action, "cdv")
    actions = {row["id"] for row in _api_rows(client, "api:action-list")}
    assert actions and actions <= cdv_actions and not actions & acv_actions
    lines = _api_rows(client, "api:funding-line-list")
    assert lines and {row["action"] for row in lines} <= cdv_actions
    conventions = {row["key"] for row in _api_rows(client, "api:convention-list")}
    assert conventions == {"cdv-cabbalr"}
    assert not _api_rows(client, "api:amendment-list")  # the Contrat de Ville has no avenant loaded
    axes = {row["number"] for row in _api_rows(client, "api:axis-list")}
    assert axes == {"1", "2", "3", "T", "P"}
    # The evaluation grid is ACV's: a programme without one has no such endpoints.
    for name in ("api:criterion-list", "api:indicator-list", "api:indicator-value-list"):
        assert client.get(reverse(name)).status_code == 404, name
    assert not _api_rows(client, "api:committee-meeting-list")
    # Shared by every programme: organisations and the quartiers prioritaires.
    assert len(_api_rows(client, "api:priority-neighbourhood-list")) == 16
    # The aggregates add up the Contrat de Ville's lines only.
    response = client.get(reverse("api:aggregates"))
    assert response.status_code == 200
    assert "FA 42" not in response.content.decode()


@pytest.mark.parametrize("persona", ["acv_coordinator", "partner_bdt"])
def test_api_lists_of_acv_hold_no_contrat_de_ville_row(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    cdv_actions = _ids(Action, "cdv")
    actions = {row["id"] for row in _api_rows(client, "api:action-list")}
    assert actions and not actions & cdv_actions
    assert not {row["action"] for row in _api_rows(client, "api:funding-line-list")} & cdv_actions
    assert "cdv-cabbalr" not in {row["key"] for row in _api_rows(client, "api:convention-list")}
    assert {row["number"] for row in _api_rows(client, "api:axis-list")} == {"1", "2", "3", "4", "5", "T"}


PAGES = [
    "actions:dashboard",
    "actions:action_list",
    "actions:document_list",
    "financing:envelope_list",
    "conventions:meeting_list",
    "evaluation:report_index",
    "evaluation:grid",
]


def test_pages_and_export_of_one_programme_show_nothing_of_the_other(client, cdv_coordinator, acv_coordinator):
    acv_codes = set(Action.objects.filter(convention__programme__code="acv").values_list("code", flat=True))
    for user, own, other in ((cdv_coordinator, "CV19-", ("FA 42", "AM.7")), (acv_coordinator, "AM.1", ("CV19-",))):
        client.force_login(user)
        for name in PAGES:
            content = client.get(reverse(name)).content.decode()
            for marker in other:
                assert marker not in content, (user.username, name, marker)
        listing = client.get(reverse("actions:action_list"), {"page_size": 200}).content.decode()
        assert own in listing
        response = client.get(reverse("financing:funding_export"))
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None}
        if own == "CV19-":
            assert any(cell.startswith("CV19-FDC") for cell in cells)
            assert not cells & acv_codes
        else:
            assert "FA 42" in cells and not any(cell.startswith("CV19-") for cell in cells)


def test_filter_suggestions_of_one_programme_name_nothing_of_the_other(client, cdv_coordinator, cdv_partner):
    from conventions.models import Convention

    for user in (cdv_coordinator, cdv_partner):
        client.force_login(user)
        response = client.get(reverse("actions:filter_choices", args=["convention"]), {"convention": ""})
        titles = set(re.findall(r'<option value="([^"]*)">', html.unescape(response.content.decode())))
        assert titles and titles <= set(
            Convention.objects.filter(programme__code="cdv").values_list("title", flat=True)
        )
        assert not titles & set(Convention.objects.filter(programme__code="acv").values_list("title", flat=True))
        response = client.get(reverse("actions:filter_choices", args=["funder"]), {"funder": ""})
        funders = set(re.findall(r'<option value="([^"]*)">', html.unescape(response.content.decode())))
        # The Banque des Territoires funds ACV fiches only: none of its lines is a Contrat de Ville line.
        assert "Banque des Territoires" not in funders


def test_details_of_the_other_programme_do_not_exist(client, cdv_coordinator, cdv_partner, acv_coordinator):
    acv_fiche = Action.objects.get(convention__key="acv-2018", code="AM.7")
    cdv_project = Action.objects.get(convention__key="cdv-cabbalr", code="CV19-FDC-1")
    acv_line = FundingLine.objects.filter(action__convention__programme__code="acv").first()
    for user in (cdv_coordinator, cdv_partner):
        client.force_login(user)
        assert client.get(reverse("actions:action_detail", args=[acv_fiche.pk])).status_code == 404
        assert client.get(reverse("api:action-detail", args=[acv_fiche.pk])).status_code == 404
        assert client.get(reverse("api:funding-line-detail", args=[acv_line.pk])).status_code == 404
        assert client.get(reverse("evaluation:action_pdf", args=[acv_fiche.pk])).status_code == 404
    client.force_login(acv_coordinator)
    assert client.get(reverse("actions:action_detail", args=[cdv_project.pk])).status_code == 404
    client.force_login(cdv_coordinator)
    page = client.get(reverse("actions:action_detail", args=[cdv_project.pk]))
    assert page.status_code == 200 and "Transformation de 3 logements en cantine scolaire" in page.content.decode()


def test_the_switcher_offers_only_the_programmes_where_the_user_has_a_role(client, direction, partner_bdt):
    client.force_login(partner_bdt)
    page = client.get(reverse("actions:dashboard")).content.decode()
    assert 'id="programme-choice"' not in page and "Action Cœur de Ville" in page
    assert client.post(reverse("programme_switch"), {"programme": "cdv"}).status_code == 403
    client.force_login(direction)
    page = client.get(reverse("actions:dashboard")).content.decode()
    assert 'id="programme-choice"' in page and '<option value="cdv">Contrat de Ville</option>' in page
    response = client.post(reverse("programme_switch"), {"programme": "cdv", "next": "/fiches/?q=permis"})
    assert response.status_code == 302 and response.url == "/cdv/fiches/?q=permis"
    listing = client.get(response.url).content.decode()
    assert "CV19-" in listing and "FA 42" not in listing
    assert "Projets" in listing  # the Contrat de Ville calls its fiches « projets »
    # Back to the default programme: served without a prefix.
    response = client.post("/cdv/programme/", {"programme": "acv", "next": "/cdv/fiches/"})
    assert response.url == "/fiches/"


def test_the_programme_is_in_the_url(client, direction, partner_bdt):
    client.force_login(direction)
    cdv = client.get("/cdv/fiches/").content.decode()
    acv = client.get("/fiches/").content.decode()
    assert "CV19-" in cdv and "CV19-" not in acv and "D.1" in acv
    # Every link of a Contrat de Ville page stays in the Contrat de Ville.
    assert 'href="/cdv/fiches/"' in cdv and 'href="/fiches/"' not in cdv
    rows = client.get("/cdv/api/v1/actions/", {"page_size": 100}).json()["results"]
    assert rows and all(row["code"].startswith("CV19-") for row in rows)
    # A partner of ACV has no role in the Contrat de Ville: its pages and API refuse it there.
    client.force_login(partner_bdt)
    assert client.get("/cdv/fiches/").status_code == 403
    assert client.get("/cdv/api/v1/actions/").status_code == 403
    # A segment that is no programme is no prefix.
    assert client.get("/inconnu/fiches/").status_code == 404


def test_a_job_asked_in_the_contrat_de_ville_works_on_its_rows(client, direction):
    """Regression: the worker has no request, and a programme export asked at /cdv/ by a coordinator of both
    programmes was built from ACV's fiches. The job keeps the programme it was asked in."""
    from jobs.models import Job

    client.force_login(direction)
    response = client.post("/cdv" + reverse("exchange:programme_export"))
    assert response.status_code == 302
    job = Job.objects.get(requested_by=direction)
    assert job.programme.code == "cdv"
    with job.result_file.open("rb") as stream:
        sheet = openpyxl.load_workbook(io.BytesIO(stream.read()), read_only=True)["Fiches"]
        rows = list(sheet.iter_rows(values_only=True))
    ids = {row[rows[0].index("N° interne")] for row in rows[1:]}
    assert ids and ids <= _ids(Action, "cdv") and not ids & _ids(Action, "acv")

    # It is followed in the programme it was asked in, by the same person: listed there, not in ACV.
    assert response.url.startswith(f"/cdv/traitements/{job.pk}/")
    assert str(job.pk) in client.get("/cdv/traitements/").content.decode()
    assert str(job.pk) not in client.get("/traitements/").content.decode()
    assert client.get(f"/traitements/{job.pk}/").status_code == 404
    assert client.get(f"/traitements/{job.pk}/fichier/").status_code == 404
    assert client.get(f"/cdv/traitements/{job.pk}/fichier/").status_code == 200
