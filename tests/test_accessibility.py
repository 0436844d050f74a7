"""What a screen-reader user needs that the server writes: the error summary of a failed save, messages tied to
their fields, rows removed before saving, and the déclaration d'accessibilité (public, linked from every page).

The same pages are checked in Chromium with axe-core and the keyboard in tests/browser/.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from financing.models import FundingLine
from tests.actions.test_views import fiche_url, form_data
from tests.browser.test_accessibility import THIRD_PARTY
from tests.factories import ActionFactory, AxisFactory, FundingLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiche(agglomeration, bdt):
    action = ActionFactory(code="FA 54", title="Place Nature", territory=agglomeration, axes=[AxisFactory()])
    FundingLineFactory(action=action, funder=bdt, amount=Decimal("225000"))
    return action


def test_a_failed_save_lists_each_faulty_field_once_with_a_link_to_it(client, coordinator, fiche):
    client.force_login(coordinator)
    data = form_data(client, fiche)
    data.update({"title": "", "funding-0-amount": "-5"})

    response = client.post(fiche_url(fiche, "action_update"), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="error-summary"') == 1  # one banner, not one per form
    summary = html[html.index("data-error-summary") : html.index("</section>", html.index("data-error-summary"))]
    assert "2 erreurs à corriger" in summary
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        ("id_title", "Intitulé : Ce champ est obligatoire."),
        ("id_funding-0-amount", "Ligne de financement 1 – Montant (€) : Le montant doit être positif ou nul."),
    ]
    # Each message is the input's description, and the input says it is invalid.
    title = re.search(r"<input[^>]+id=\"id_title\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in title and "id_title_error" in title
    assert 'id="id_title_error"' in html
    amount = re.search(r"<input[^>]+id=\"id_funding-0-amount\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in amount and "id_funding-0-amount_error" in amount


def test_a_row_added_then_removed_before_saving_is_no_row(client, coordinator, fiche, region):
    """The counter of rows only goes up: the page sends rows 0 and 2, row 1 having been removed."""
    client.force_login(coordinator)
    data = form_data(client, fiche)
    data["funding-TOTAL_FORMS"] = "3"
    data.update({"funding-2-funder": str(region.pk), "funding-2-amount": "275 000", "funding-2-status": "granted"})

    assert client.post(fiche_url(fiche, "action_update"), data).status_code == 302
    assert sorted(FundingLine.objects.filter(action=fiche).values_list("funder__key", "amount")) == [
        ("bdt", Decimal("225000")),
        ("region", Decimal("275000")),
    ]


def test_the_progress_form_refused_says_why_at_the_top(client, coordinator, fiche):
    client.force_login(coordinator)
    response = client.post(reverse("actions:progress_create", args=[fiche.pk]), {"year": "2026", "semester": "3"})
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('class="error-summary"') == 1
    assert '<a href="#id_semester">Semestre : ' in html


def test_the_accessibility_statement_is_public_and_linked_from_every_page(client, coordinator):
    statement = client.get("/accessibilite/")
    assert statement.status_code == 200
    html = statement.content.decode()
    assert "<h1>Déclaration d'accessibilité</h1>" in html
    assert "<strong>non conforme</strong>" in html
    for part in ("Ce qui a été testé, et comment", "Contenus non accessibles", "Dérogations", "Voies de recours"):
        assert part in html
    assert "Défenseur des droits" in html and "axe-core" in html
    for path, name in THIRD_PARTY.items():  # what the tests leave out is declared
        assert path in html and name in html

    footer_link = f'href="{reverse("accessibility_statement")}"'
    login = client.get("/connexion/").content.decode()
    assert footer_link in login and "Accessibilité : non conforme (audit à venir)" in login
    client.force_login(coordinator)
    assert footer_link in client.get("/").content.decode()
