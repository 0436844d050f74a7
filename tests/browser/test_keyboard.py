"""A coordinator edits a fiche with the keyboard alone: Tab, Enter and Space, the focus checked at every step.

What the déclaration d'accessibilité says was tested: reach the form, jump to a section, add a funding line
(focus in its first field, announced), remove it (focus back on the line before, announced), add one again,
fill it and save from the sticky bar — without the mouse.
"""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from financing.models import FundingLine
from tests.browser.conftest import PASSWORD
from tests.factories import (
    ActionFactory,
    AxisFactory,
    FundingLineFactory,
    OrganisationFactory,
    UserFactory,
    UserProfileFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def focused(page):
    """What has the focus: its id, or else its tag and text, as a person tabbing through would hear it."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.id || (e.tagName + ':' + (e.textContent || '').trim().replace(/\\s+/g, ' ')); }"
    )


def tab_to(page, target, limit):
    """Press Tab until `target` (an id, or TAG:text) has the focus; the number of presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return presses
    raise AssertionError(f"{target} pas atteint en {limit} tabulations (focus sur {focused(page)})")


def test_coordinator_adds_removes_and_saves_a_funding_line_with_the_keyboard(transactional_db, browser, live_server):
    agglomeration = OrganisationFactory(key="cabbalr", name="Communauté d'agglomération", kind="epci")
    region = OrganisationFactory(key="region", name="Région Hauts-de-France", kind="region")
    user = UserFactory(username="coordinateur", password=PASSWORD)
    UserProfileFactory(user=user, role="coordinator", organisation=agglomeration)
    fiche = ActionFactory(
        code="FA 1", title="Suivi et animation d'une OPAH-RU", project_owner=agglomeration, axes=[AxisFactory()]
    )
    FundingLineFactory(action=fiche, funder=agglomeration, amount=Decimal("50000"), status="planned")

    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
    page.goto(f"{live_server.url}/connexion/")
    page.keyboard.press("Tab")  # « Aller au contenu »
    tab_to(page, "id_username", 10)
    page.keyboard.type("coordinateur")
    page.keyboard.press("Tab")
    assert focused(page) == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord du programme")

    page.goto(f"{live_server.url}/fiches/{fiche.pk}/")
    tab_to(page, "A:Modifier la fiche action", 60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la fiche action FA 1")

    # The sections' links come first: one of them leads to the funding lines.
    tab_to(page, "A:Lignes de financement", 40)
    page.keyboard.press("Enter")
    assert focused(page) == "s-financement"
    presses = tab_to(page, "add-funding", 40)
    assert presses < 20  # the one existing line's fields, then the button

    page.keyboard.press("Enter")
    expect(page.locator("#funding-1-row")).to_be_visible()
    assert focused(page) == "id_funding-1-funder"  # the new line's first field
    expect(page.locator("#annonces")).to_have_text("Ligne de financement ajoutée (2 au total).")

    tab_to(page, "BUTTON:Retirer cette ligne", 20)
    page.keyboard.press("Space")
    expect(page.locator("#funding-1-row")).to_have_count(0)
    assert focused(page) == "id_funding-0-funder"  # the line before it, not the top of the page
    expect(page.locator("#annonces")).to_have_text("Ligne de financement retirée (1 restante).")

    tab_to(page, "add-funding", 30)
    page.keyboard.press("Enter")
    expect(page.locator("#funding-2-row")).to_be_visible()
    assert focused(page) == "id_funding-2-funder"
    page.keyboard.type("Région")  # a select picks the option typed
    tab_to(page, "id_funding-2-status", 10)
    page.keyboard.type("accordé")
    tab_to(page, "id_funding-2-amount", 10)
    page.keyboard.type("275 000")

    # « Enregistrer » is in the sticky bar, a few Tabs after the last line (not 140).
    presses = tab_to(page, "s-enregistrer", 30)
    assert presses < 20
    expect(page.locator("#s-enregistrer")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Fiche FA 1 enregistrée.")).to_be_visible()

    lines = FundingLine.objects.filter(action=fiche).order_by("pk")
    assert [(line.funder.key, line.amount, line.status) for line in lines] == [
        ("cabbalr", Decimal("50000"), "planned"),
        ("region", Decimal("275000"), "granted"),
    ]
    assert region.pk == lines[1].funder_id
