"""The evaluation grid is programme configuration (Programme.has_evaluation_grid): ACV follows its results in the
Article 8 grid of its avenant n°2, the Contrat de Ville has none. A Contrat de Ville user is offered no grid, meets
a 404 at every grid address (pages, exports and API), and a semester report of its fiches has no section 7."""

import datetime
import html
from decimal import Decimal

import pytest

from actions.models import Action
from conventions.models import Organisation, Programme
from evaluation.models import Indicator, IndicatorValue, Series
from evaluation.reports import semester_report_pdf
from evaluation.services import indicator_value_save
from tests.evaluation.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def acv_value(reference_data, coordinator):
    """A value of ACV's grid, entered by its coordinator: what a Contrat de Ville user must not reach."""
    indicator = Indicator.objects.filter(criterion__programme__code="acv").order_by("pk").first()
    return indicator_value_save(
        user=coordinator,
        data={
            "indicator": indicator,
            "territory": Organisation.objects.get(key="bethune"),
            "period": "2025",
            "value": Decimal("12"),
            "series": Series.MEASURED,
        },
    )


def test_the_reference_data_gives_the_grid_to_acv_only(reference_data):
    assert Programme.objects.get(code="acv").has_evaluation_grid
    assert not Programme.objects.get(code="cdv").has_evaluation_grid


def test_acv_users_are_offered_the_grid(client, coordinator, acv_value):
    client.force_login(coordinator)
    assert ">Grille d'évaluation</a>" in client.get("/").content.decode()
    page = client.get("/evaluation/grille/")
    assert page.status_code == 200
    assert acv_value.indicator.name in page.content.decode()


def test_the_contrat_de_ville_nav_offers_no_grid(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    page = client.get("/cdv/").content.decode()
    assert "Grille d'évaluation" not in page
    assert "/evaluation/grille/" not in page


def test_every_grid_page_is_a_404_in_the_contrat_de_ville(client, cdv_coordinator, acv_value):
    client.force_login(cdv_coordinator)
    indicator = acv_value.indicator
    cell = f"indicator={indicator.pk}&territory={acv_value.territory_id}&column=2025"
    for url in (
        "/cdv/evaluation/grille/",
        "/cdv/evaluation/grille/export.xlsx",
        f"/cdv/evaluation/grille/cellule/?{cell}",
        f"/cdv/evaluation/indicateurs/{indicator.pk}/",
        f"/cdv/evaluation/valeurs/{acv_value.pk}/supprimer/",
        "/cdv/classeurs/export/grille.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert indicator.name not in response.content.decode(), url
    for url in (
        f"/cdv/evaluation/grille/cellule/?{cell}",
        f"/cdv/evaluation/indicateurs/{indicator.pk}/fiches/",
        f"/cdv/evaluation/valeurs/{acv_value.pk}/supprimer/",
    ):
        assert client.post(url, {"value": "99"}).status_code == 404, url
    acv_value.refresh_from_db()
    assert acv_value.value == Decimal("12")


def test_the_grid_api_is_a_404_in_the_contrat_de_ville(client, cdv_coordinator, acv_value):
    client.force_login(cdv_coordinator)
    for url in (
        "/cdv/api/v1/evaluation/grid/",
        "/cdv/api/v1/criteria/",
        "/cdv/api/v1/indicators/",
        f"/cdv/api/v1/indicators/{acv_value.indicator_id}/",
        "/cdv/api/v1/indicator-values/",
        "/cdv/api/v1/result-indicator-links/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"] == "Ce programme n'a pas de grille d'évaluation.", url
    assert client.delete(f"/cdv/api/v1/indicator-values/{acv_value.pk}/").status_code == 404
    assert IndicatorValue.objects.filter(pk=acv_value.pk).exists()


def test_the_grid_api_still_answers_acv(client, coordinator, acv_value):
    client.force_login(coordinator)
    assert client.get("/api/v1/evaluation/grid/").status_code == 200
    names = [row["name"] for row in client.get("/api/v1/indicators/", {"page_size": 500}).json()["results"]]
    assert acv_value.indicator.name in names


def test_the_workbooks_page_of_the_contrat_de_ville_offers_no_grid_values(client, cdv_coordinator, coordinator):
    client.force_login(cdv_coordinator)
    page = client.get("/cdv/classeurs/").content.decode()
    assert "grille" not in page.lower()
    client.force_login(coordinator)
    assert "Valeurs de la grille d'évaluation (XLSX)" in client.get("/classeurs/").content.decode()


def test_a_fiche_of_the_contrat_de_ville_names_no_grid_indicator(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    project = Action.objects.filter(convention__programme__code="cdv").order_by("pk").first()
    page = client.get(f"/cdv/fiches/{project.pk}/").content.decode()
    assert "grille d'évaluation" not in page.lower()


def test_a_semester_report_of_a_programme_without_grid_has_no_section_7(reference_data):
    year = datetime.date.today().year
    projects = Action.objects.filter(pk__in=Action.objects.filter(convention__programme__code="cdv").values("pk")[:3])
    text = pdf_text(semester_report_pdf(projects, year=year, semester=2))
    assert "6. Notes de qualité des données à traiter" in text
    assert "Grille d'évaluation" not in text


def test_a_semester_report_of_acv_keeps_its_section_7(reference_data):
    year = datetime.date.today().year
    fiches = Action.objects.filter(pk__in=Action.objects.filter(convention__programme__code="acv").values("pk")[:3])
    text = pdf_text(semester_report_pdf(fiches, year=year, semester=2))
    assert text.count("7. Grille d'évaluation (Article 8)") == 2  # the contents and the chapter


def test_a_third_programme_with_its_own_grid_shows_its_own(client, reference_data):
    """Not the first programme that has a grid (ACV): the grid of the programme of the request."""
    from tests.factories import CriterionFactory, IndicatorFactory, ProgrammeFactory, UserFactory, UserProfileFactory

    pvd = ProgrammeFactory(code="pvd", name="Petites Villes de Demain", has_evaluation_grid=True)
    IndicatorFactory(criterion=CriterionFactory(programme=pvd), name="Commerces rouverts en centre-bourg")
    user = UserFactory(username="coordinateur.pvd")
    UserProfileFactory(user=user, programme=pvd, role="coordinator")
    client.force_login(user)

    page = html.unescape(client.get("/pvd/evaluation/grille/").content.decode())
    api = client.get("/pvd/api/v1/evaluation/grid/").json()

    acv_indicator = Indicator.objects.filter(criterion__programme__code="acv").order_by("pk").first()
    assert "(Petites Villes de Demain)" in page and acv_indicator.name not in page
    # ACV's text is not cited for another programme's grid.
    assert "Article 8" not in page
    names = [row["name"] for axis in api["axes"] for criterion in axis["criteria"] for row in criterion["indicators"]]
    assert names == ["Commerces rouverts en centre-bourg"]
