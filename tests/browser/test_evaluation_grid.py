"""The evaluation grid in the browser: the coordinator fills in one cell in place (htmx) and the indicator's
chart draws it."""

import os
import re

import pytest
from playwright.sync_api import expect

from conventions.models import Organisation, Programme, Role, UserProfile
from evaluation.models import Criterion, Indicator, IndicatorValue
from tests.browser.conftest import sign_in
from tests.factories import (
    AxisFactory,
    ConventionFactory,
    CriterionFactory,
    IndicatorFactory,
    OrganisationFactory,
    SignatoryFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def coordinator_account(transactional_db):
    """The grid's first criterion as the avenant writes it, on a programme whose perimeters are Béthune, Bruay
    and the agglomeration (built here rather than loading the whole reference programme: faster)."""
    convention = ConventionFactory()
    organisations = {}
    for key, name, kind in (
        ("bethune", "Ville de Béthune", "commune"),
        ("bruay", "Ville de Bruay-La-Buissière", "commune"),
        ("cabbalr", "Communauté d'agglomération de Béthune-Bruay", "epci"),
    ):
        organisations[key] = OrganisationFactory(
            key=key, name=name, short_name=name.removeprefix("Ville de "), kind=kind
        )
        SignatoryFactory(convention=convention, organisation=organisations[key], role="beneficiary")
    axis = AxisFactory(programme=convention.programme, number="1", title="De la réhabilitation à la restructuration")
    # The reference programme may already be in the database (browser tests share the session's data): its
    # criterion 1.1 and indicators are then the same rows.
    criterion = Criterion.objects.filter(programme=convention.programme, code="1.1").first() or CriterionFactory(
        programme=convention.programme, axis=axis, code="1.1", title="Le nombre de logements insalubres est réduit"
    )
    for name, unit, unit_kind in (
        ("Nombre de logements vacants", "logements", "count"),
        ("Evolution du taux de vacance", "%", "percent"),
    ):
        same = Indicator.objects.filter(criterion=criterion, name=name)
        same.update(unit=unit, unit_kind=unit_kind, decimal_places=0)
        if not same.exists():
            IndicatorFactory(criterion=criterion, name=name, unit=unit, unit_kind=unit_kind)
    user = UserFactory(username="coordinateur", first_name="Claire", last_name="Test")
    UserProfile.objects.create(
        programme=Programme.objects.get_or_create(code="acv", defaults={"name": "Action Cœur de Ville"})[0],
        user=user,
        role=Role.COORDINATOR,
        organisation=organisations["cabbalr"],
    )
    return user


def test_coordinator_enters_the_2025_value_for_bethune_and_the_chart_shows_it(
    coordinator_account, browser, live_server
):
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
    sign_in(page, live_server.url, "coordinateur")
    page.get_by_role("link", name="Grille d'évaluation").click()

    page.get_by_label("Territoire", exact=True).select_option(label="Béthune")
    page.get_by_label("Période", exact=True).fill("2025")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"territory=\d+.*period=2025"))

    indicator = Indicator.objects.get(name="Nombre de logements vacants")
    bethune = Organisation.objects.get(key="bethune")
    cell = page.locator(f"#cell-{indicator.pk}-{bethune.pk}-2025")
    expect(cell).to_contain_text("non renseigné")
    cell.get_by_role("link", name=re.compile("Saisir")).click()
    # The form opens in the cell itself (htmx): the page stays the grid.
    value = cell.get_by_label("Valeur (logements)")
    expect(value).to_be_visible()
    expect(page).to_have_url(re.compile(r"/evaluation/grille/\?"))
    value.fill("1 390,5")
    cell.get_by_role("button", name="Enregistrer").click()
    expect(cell.get_by_role("alert")).to_contain_text("pas de décimale")
    cell.get_by_label("Valeur (logements)").fill("1 390")
    cell.get_by_role("button", name="Enregistrer").click()
    expect(cell).to_contain_text("1\u202f390\u00a0logements")
    assert IndicatorValue.objects.get(indicator=indicator, territory=bethune).value == 1390

    page.get_by_role("link", name="Nombre de logements vacants", exact=True).click()
    chart = page.get_by_role("img", name=re.compile("Nombre de logements vacants"))
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("2025 : 1\u202f390\u00a0logements")
    expect(page.get_by_role("table")).to_contain_text("Béthune")
