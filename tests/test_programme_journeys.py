"""The same journey on both programmes — create a fiche (a project), add a funding line, export, report — and
what only a user of both programmes sees: the Contrat de Ville's annual report and the cross-programme view.

One PDF is rendered (the annual report, read back as text); the semester report of ACV is covered elsewhere.
"""

import io

import openpyxl
import pytest
from django.urls import reverse

from actions.models import Action
from conventions import roles
from conventions.models import Axis, Convention, Organisation, Programme
from financing.models import FundingLine
from jobs.models import Job
from tests.evaluation.pdf import pdf_text
from tests.factories import UserFactory, UserProfileFactory


@pytest.fixture
def direction(reference_data):
    """The agglomeration's direction: coordinator of ACV and of the Contrat de Ville."""
    user = UserFactory(username="direction")
    cabbalr = Organisation.objects.get(key="cabbalr")
    for code in ("acv", "cdv"):
        UserProfileFactory(
            user=user, programme=Programme.objects.get(code=code), role="coordinator", organisation=cabbalr
        )
    return user


def _url(code, name, *args):
    """The URL of a page in a programme: the default programme's without a prefix, the others' under their code."""
    return ("" if code == "acv" else f"/{code}") + reverse(name, args=args)


@pytest.mark.parametrize(
    ("code", "convention_key", "axis", "territory"),
    [("acv", "acv-2018", "2", "bethune"), ("cdv", "cdv-cabbalr", "1", "lillers")],
)
def test_the_same_journey_on_both_programmes(client, direction, code, convention_key, axis, territory):
    """Create a fiche (a project), add a funding line, export, report: in one programme, nothing of it in the
    other."""
    client.force_login(direction)
    convention = Convention.objects.get(key=convention_key)
    data = {
        "convention": convention.pk,
        "code": "PARCOURS 1",
        "title": f"Parcours commun {code}",
        "territory": Organisation.objects.get(key=territory).pk,
        "cost_kind": "exact",
        "cost_amount": "10000.00",
        "cost_basis": "TTC",
        "axes": [Axis.objects.get(programme__code=code, number=axis).pk],
    }
    response = client.post(_url(code, "api:action-list"), data, content_type="application/json")
    assert response.status_code == 201, response.content
    fiche = Action.objects.get(pk=response.json()["id"])
    line = {"action": fiche.pk, "funder": Organisation.objects.get(key="cabbalr").pk, "amount": "2000.00"}
    response = client.post(
        _url(code, "api:funding-line-list"), {**line, "status": "granted"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    listing = client.get(_url(code, "actions:action_list"), {"q": "Parcours commun"}).content.decode()
    assert "PARCOURS 1" in listing
    export = client.get(_url(code, "financing:funding_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert "PARCOURS 1" in {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}
    # In the other programme the fiche does not exist, and the other programme's convention takes no fiche here.
    other = "cdv" if code == "acv" else "acv"
    listing = client.get(_url(other, "actions:action_list"), {"q": "Parcours commun"}).content.decode()
    assert "PARCOURS 1" not in listing
    assert client.get(_url(other, "actions:action_detail", fiche.pk)).status_code == 404
    response = client.post(
        _url(other, "api:action-list"), {**data, "code": "PARCOURS 2"}, content_type="application/json"
    )
    assert response.status_code in (400, 403) and not Action.objects.filter(code="PARCOURS 2").exists()


def test_the_annual_report_of_the_contrat_de_ville(client, direction):
    client.force_login(direction)
    index = client.get(_url("cdv", "evaluation:report_index")).content.decode()
    assert "Rapport annuel" in index and 'action="/cdv/rapports/annuel/"' in index
    response = client.post(_url("cdv", "evaluation:annual_report_start"), {"year": "2019"})
    job = Job.objects.get(kind="annual_report")
    assert response.url == "/cdv" + job.get_absolute_url() and job.status == "done", job.error
    assert job.programme.code == "cdv"
    text = pdf_text(client.get(_url("cdv", "jobs:job_file", job.pk)).getvalue())
    assert "Rapport sur la mise en œuvre – année 2019" in text
    # The programming by pillar: computed from the projects (96, 10, 16) beside the report's (87, 14, 25).
    assert "Pilier 1 – Cohésion sociale 96 87" in text
    assert "Pilier 3 – Emploi, insertion et développement économique 16 25" in text
    assert "1.3.3 – Réduire les inégalités" in text
    assert "Etat - CGET 35,3 %" in text
    assert "471 974 €" in text  # the four fonds de concours, granted
    assert "109,2 %" in text  # the report's shares do not add up: a data-quality note
    assert "FA 42" not in text and "Action Cœur de Ville" not in text


def test_the_annual_report_is_for_the_programme_that_reports_every_year(client, direction):
    client.force_login(direction)
    assert "Rapport annuel" not in client.get(reverse("evaluation:report_index")).content.decode()
    client.post(reverse("evaluation:annual_report_start"), {"year": "2019"})
    assert not Job.objects.filter(kind="annual_report").exists()


def test_the_cross_programme_view(client, direction, coordinator):
    client.force_login(coordinator)  # ACV only
    assert client.get(reverse("evaluation:cross_programme")).status_code == 403
    client.force_login(direction)
    page = client.get(reverse("evaluation:cross_programme"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Action Cœur de Ville" in content and "Contrat de Ville" in content
    acv_count = Action.objects.filter(convention__programme__code="acv").count()
    cdv_count = Action.objects.filter(convention__programme__code="cdv").count()
    assert f"{acv_count} fiches action" in content and f"{cdv_count} projets" in content
    # The agglomeration works in both; Béthune is a territory of both.
    shared = [organisation.key for organisation in page.context["shared_organisations"]]
    assert "cabbalr" in shared and "bethune" in shared
    # The QPV Mont-Liébaut is also an ACV intervention sector: the Contrat de Ville's project there, and the ACV
    # fiches that name the quartier.
    places = {place.neighbourhood.name: place for place in page.context["places"]}
    mont_liebaut = places["Mont-Liébaut"]
    found = {programme.code: {action.code for action in actions} for programme, actions in mont_liebaut.by_programme}
    assert found["cdv"] and found["acv"]
    assert FundingLine.objects.filter(action__convention__programme__code="cdv").exists()


def test_demo_accounts_have_a_contrat_de_ville_coordinator_and_partner(reference_data, settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("create_demo_accounts", verbosity=0)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    coordinator = users.get(username="coordinateur.cdv")
    partner = users.get(username="partenaire.caf")
    assert roles.programme_codes_of(coordinator) == ["cdv"] and roles.role_of(coordinator) == "coordinator"
    assert roles.programme_codes_of(partner) == ["cdv"] and roles.role_of(partner) == "partner"
    assert roles.programme_codes_of(users.get(username="partenaire.bdt")) == ["acv"]
    assert roles.sees_cross_programme_view(users.get(username="direction"))
