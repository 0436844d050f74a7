"""Journeys only a browser shows: htmx rows, totals after an edit, two people editing one fiche.

Run in the system Chromium (never `playwright install`). live_server flushes the database after each
test, so each test puts the reference programme back (tests/browser/conftest.py); conftest moves these tests to
the end.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from actions.models import Action
from conventions.models import Organisation, Programme, Role, UserProfile
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Playwright's sync API runs an event loop; Django must still allow its ORM calls in this thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def programme(reference_programme):
    agglomeration = Organisation.objects.get(key="cabbalr")
    for username, role, organisation in (
        ("coordinateur", Role.COORDINATOR, agglomeration),
        ("admin.acv", Role.ADMIN, None),
    ):
        user = UserFactory(username=username, first_name=username.capitalize(), last_name="Test")
        UserProfile.objects.create(
            programme=Programme.objects.get_or_create(code="acv", defaults={"name": "Action Cœur de Ville"})[0],
            user=user,
            role=role,
            organisation=organisation,
        )
    return Action.objects.get(code="FA 54")


def log_in(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = sign_in(context.new_page(), live_server.url, username)
    expect(page.get_by_role("heading", name="Tableau de bord du programme")).to_be_visible()
    return page


def test_coordinator_filters_opens_fa54_edits_cost_and_adds_a_funding_line(programme, browser, live_server):
    page = log_in(browser, live_server, "coordinateur")
    page.get_by_role("link", name="Fiches action", exact=True).click()
    page.get_by_label("Commune").select_option(label="Bruay-La-Buissière")
    page.get_by_label("Axe", exact=True).select_option(index=4)
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"territory=\d+.*axis=\d+"))
    results = page.locator("#results")
    expect(results.get_by_role("link", name="FA 54", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Plan de Mobilité Durable")).to_have_count(0)

    results.get_by_role("link", name="FA 54", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Place Nature")
    page.get_by_role("link", name="Modifier la fiche").click()

    page.get_by_label("Montant (€)", exact=True).first.fill("2 000 000")
    page.get_by_role("button", name="Ajouter une ligne de financement").click()
    new_row = page.locator("fieldset.formset-row", has_text="Nouvelle ligne de financement")
    expect(new_row).to_have_count(1)
    region = Organisation.objects.get(key="region")
    new_row.get_by_label("Financeur").select_option(value=str(region.pk))
    new_row.get_by_label("Montant (€)").fill("275 000")
    new_row.get_by_label("État").select_option(label="accordé")
    page.get_by_role("button", name="Enregistrer la fiche").click()

    expect(page.get_by_role("status").filter(has_text="Fiche FA 54 enregistrée.")).to_be_visible()
    budget = page.locator("#budget")
    expect(budget).to_contain_text("2\u202f000\u202f000\u00a0€")
    expect(budget).to_contain_text("500\u202f000\u00a0€")  # 225 000 + 275 000
    expect(budget).to_contain_text("25,0\u00a0%")
    history = page.locator("#historique")
    expect(history).to_contain_text("Coordinateur Test")
    expect(history).to_contain_text("2\u202f000\u202f000\u00a0€")
    expect(history).to_contain_text(f"Financement {region}")


def test_two_people_edit_the_same_fiche_and_the_second_sees_the_conflict(programme, browser, live_server):
    first = log_in(browser, live_server, "coordinateur")
    second = log_in(browser, live_server, "admin.acv")
    edit_url = f"{live_server.url}/fiches/{programme.pk}/modifier/"
    first.goto(edit_url)
    second.goto(edit_url)

    first.get_by_label("Intitulé").fill("Place Nature – version de la coordinatrice")
    first.get_by_role("button", name="Enregistrer la fiche").click()
    expect(first.get_by_role("status").filter(has_text="enregistrée")).to_be_visible()

    second.get_by_label("Intitulé").fill("Place Nature – version de l'administrateur")
    second.get_by_role("button", name="Enregistrer la fiche").click()
    expect(second.get_by_role("alert").first).to_contain_text("Quelqu'un a enregistré cette fiche")
    conflict = second.locator(".conflict")
    expect(conflict).to_contain_text("Place Nature – version de la coordinatrice")
    expect(conflict).to_contain_text("Place Nature – version de l'administrateur")
    expect(second.get_by_label("Intitulé")).to_have_value("Place Nature – version de l'administrateur")

    # Re-applying knowingly: the form now carries the current version.
    second.get_by_role("button", name="Enregistrer la fiche").click()
    expect(second.get_by_role("status").filter(has_text="enregistrée")).to_be_visible()
    history = second.locator("#historique")
    expect(history).to_contain_text("version de la coordinatrice")
    expect(history).to_contain_text("version de l'administrateur")
    expect(history).to_contain_text("Coordinateur Test")
    expect(history).to_contain_text("Admin.acv Test")


def test_a_region_line_over_the_bethune_envelope_is_stored_and_flagged_everywhere(programme, browser, live_server):
    """The avenant caps the Région at 500 000 € per commune for 2023-2026: 600 000 € accordés on FA 42 (Béthune,
    September 2022 – October 2023) take the Béthune envelope 100 000 € over. The line is stored; the coordinator
    is told on save, on the fiche and on the Enveloppes page."""
    fiche = Action.objects.get(code="FA 42")
    page = log_in(browser, live_server, "coordinateur")
    page.goto(f"{live_server.url}/fiches/{fiche.pk}/modifier/")
    page.get_by_role("button", name="Ajouter une ligne de financement").click()
    new_row = page.locator("fieldset.formset-row", has_text="Nouvelle ligne de financement")
    new_row.get_by_label("Financeur").select_option(value=str(Organisation.objects.get(key="region").pk))
    new_row.get_by_label("Montant (€)").fill("600 000")
    new_row.get_by_label("État").select_option(label="accordé")
    page.get_by_role("button", name="Enregistrer la fiche").click()

    expect(page.get_by_role("status").filter(has_text="Fiche FA 42 enregistrée.")).to_be_visible()
    expect(page.get_by_text(re.compile("plafond 500\u202f000\u00a0€")).first).to_be_visible()
    alerts = page.get_by_role("status").filter(has_text="Enveloppes à surveiller")
    expect(alerts).to_contain_text("dépassée")
    expect(alerts).to_contain_text("600\u202f000")

    page.get_by_role("link", name="Voir toutes les enveloppes").click()
    row = page.get_by_role("row").filter(has_text=re.compile(r"\bBéthune\b")).filter(has_text="2023-2026")
    expect(row).to_contain_text(re.compile("dépassée", re.IGNORECASE))
    expect(row).to_contain_text("600\u202f000")
    # The row counts the fiches behind the envelope; its link lists them, and the list says which envelope.
    row.get_by_role("link", name="1 fiche action").click()
    expect(page.locator("p.note")).to_contain_text(
        re.compile(r"compte dans l'enveloppe\s+Région Hauts-de-France, Ville de Béthune")
    )
    expect(page.get_by_role("link", name="FA 42", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="1 fiche action")).to_be_visible()
