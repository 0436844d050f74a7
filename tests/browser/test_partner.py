"""A partner's round in the browser: its commitments, a line it updates, their export, the fiches it may only read.

The Content-Security-Policy is checked on every page of the accessibility sweep (test_accessibility.py)."""

import os

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from actions.models import Action
from conventions.models import Organisation, Programme, Role, UserProfile
from financing.models import FundingLine
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def people(reference_programme):
    user = UserFactory(username="partenaire.bdt", first_name="Partenaire", last_name="Test")
    UserProfile.objects.create(
        programme=Programme.objects.get_or_create(code="acv", defaults={"name": "Action Cœur de Ville"})[0],
        user=user,
        role=Role.PARTNER,
        organisation=Organisation.objects.get(key="bdt"),
    )


def log_in_anywhere(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR", accept_downloads=True)
    return sign_in(context.new_page(), live_server.url, username)


def test_partner_updates_its_line_downloads_its_commitments_and_cannot_edit_fiches(
    people,
    browser,
    live_server,
):
    fa42 = Action.objects.get(code="FA 42")
    page = log_in_anywhere(browser, live_server, "partenaire.bdt")
    page.get_by_role("link", name="Mes engagements", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mes engagements")
    states = page.get_by_role("table", name="Montant de vos engagements par état")
    expect(states.get_by_role("row", name="Prévu")).to_contain_text("22\u202f000")
    expect(page.get_by_text("3 lignes au montant à déterminer")).to_be_visible()

    page.get_by_role("link", name="Mettre à jour la ligne de la fiche action FA 42").click()
    page.get_by_label("État").select_option(label="accordé")
    page.get_by_label("Référence de la décision").fill("Comité d'engagement CDC 2026-15")
    page.get_by_label("Date de la décision").fill("2026-10-05")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("FA 42 mise à jour")
    expect(states.get_by_role("row", name="Accordé")).to_contain_text("22\u202f000")
    line = FundingLine.objects.get(action=fa42, funder__key="bdt")
    assert line.history.first().history_user.username == "partenaire.bdt"

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en XLSX").click()
    with open(download.value.path(), "rb") as content:
        sheet = load_workbook(content).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"AM.25", "FA 42", "FA 51", "FA 57"}
    assert rows["FA 42"]["Montant (€)"].value == 22000
    assert "€" in rows["FA 42"]["Montant (€)"].number_format
    assert rows["FA 42"]["État"].value == "Accordé"
    assert rows["FA 42"]["Référence de la décision"].value == "Comité d'engagement CDC 2026-15"
    assert rows["FA 42"]["Date de la décision"].is_date
    assert rows["FA 51"]["Montant (€)"].value is None

    page.goto(f"{live_server.url}/fiches/{fa42.pk}/")
    expect(page.get_by_role("link", name="Modifier la fiche")).to_have_count(0)
    page.goto(f"{live_server.url}/fiches/{fa42.pk}/modifier/")
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    page.goto(f"{live_server.url}/fiches/nouvelle/")
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
