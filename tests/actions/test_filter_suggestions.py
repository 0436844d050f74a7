"""A fiche filter with more choices than a list can show (250 communes at national scale) becomes a text input
whose suggestions load as the user types: the list page stays small, and the suggestions offer exactly the choices
the filter would (the same restricted rows)."""

import html
import re

import pytest
from django.urls import reverse

from tests import factories as f

COMMUNES = ["Ville de Béthune", "Ville de Beuvry", "Ville de Bruay-La-Buissière", "Ville d'Annezin", "Ville de Lillers"]


@pytest.fixture
def communes(db, settings):
    settings.ACV_FILTER_MAX_OPTIONS = 3
    fiches = {}
    for number, name in enumerate(COMMUNES):
        commune = f.OrganisationFactory(key=f"commune-{number}", name=name)
        fiches[name] = f.ActionFactory(code=f"FA {300 + number}", territory=commune)
    return fiches


def _codes(response):
    return sorted(set(re.findall(r">(FA \d+)<", response.content.decode())))


def _suggestions(client, name, typed):
    response = client.get(reverse("actions:filter_choices", args=[name]), {name: typed})
    assert response.status_code == 200
    return [html.unescape(value) for value in re.findall(r'<option value="([^"]*)">', response.content.decode())]


def test_a_long_filter_is_a_text_input_with_suggestions(client, coordinator, communes):
    client.force_login(coordinator)

    page = client.get(reverse("actions:action_list")).content.decode()

    assert '<select name="territory"' not in page
    field = re.search(r'<input type="text" name="territory"[^>]*>', page).group(0)
    assert 'list="id_territory_options"' in field and 'hx-get="/fiches/choix/territory/"' in field
    assert 'aria-describedby="id_territory_helptext"' in field
    assert '<datalist id="id_territory_options"></datalist>' in page
    assert "Tapez quelques lettres, puis choisissez dans la liste proposée." in page
    # No commune is listed in the page itself.
    assert not re.search(r"<option[^>]*>Ville de Lillers", page)


def test_suggestions_match_what_is_typed_whatever_the_case_and_accents(client, coordinator, communes):
    client.force_login(coordinator)

    assert _suggestions(client, "territory", "bethune") == ["Ville de Béthune"]
    assert _suggestions(client, "territory", "de B") == [
        "Ville de Béthune",
        "Ville de Beuvry",
        "Ville de Bruay-La-Buissière",
    ]
    assert _suggestions(client, "territory", "paris") == []
    assert client.get(reverse("actions:filter_choices", args=["status"])).status_code == 404


def test_a_typed_name_filters_and_stays_in_the_input(client, coordinator, communes):
    client.force_login(coordinator)

    response = client.get(reverse("actions:action_list"), {"territory": "ville de bethune"})

    assert _codes(response) == ["FA 300"]
    assert 'value="Ville de Béthune"' in response.content.decode()


def test_a_link_that_gives_the_id_shows_the_name(client, coordinator, communes):
    client.force_login(coordinator)
    lillers = communes["Ville de Lillers"].territory

    response = client.get(reverse("actions:action_list"), {"territory": lillers.pk})

    assert _codes(response) == ["FA 304"]
    assert 'value="Ville de Lillers"' in response.content.decode()


def test_a_name_that_is_no_choice_says_so_and_selects_nothing(client, coordinator, communes):
    client.force_login(coordinator)

    response = client.get(reverse("actions:action_list"), {"territory": "Paris"})

    assert "« Paris » ne figure pas parmi les choix : choisissez dans la liste proposée." in html.unescape(
        response.content.decode()
    )
    assert _codes(response) == []


def test_a_partner_is_suggested_no_funder_whose_lines_it_may_not_read(client, settings, partner_bdt, bdt, region):
    settings.ACV_FILTER_MAX_OPTIONS = 0
    fiche = f.ActionFactory(code="FA 310")
    f.FundingLineFactory(action=fiche, funder=bdt, status="granted")
    f.FundingLineFactory(action=fiche, funder=region, status="planned")  # the Région's negotiation
    client.force_login(partner_bdt)

    assert _suggestions(client, "funder", "") == ["Banque des Territoires"]
    response = client.get(reverse("actions:action_list"), {"funder": "Région Hauts-de-France"})
    assert "« Région Hauts-de-France » ne figure pas parmi les choix" in html.unescape(response.content.decode())
    assert _codes(response) == []


def test_a_short_filter_stays_a_list(client, coordinator, communes, settings):
    settings.ACV_FILTER_MAX_OPTIONS = 60
    client.force_login(coordinator)

    page = client.get(reverse("actions:action_list")).content.decode()

    select = re.search(r'<select name="territory"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    labels = [html.unescape(label) for label in re.findall(r"<option[^>]*>(.*?)</option>", select)]
    assert labels[0] == "Toutes" and sorted(labels[1:]) == sorted(COMMUNES)
