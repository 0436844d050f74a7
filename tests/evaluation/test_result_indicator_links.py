"""A fiche's indicateur de résultat feeding an indicator of the grid: drawn and removed by the coordination from
the grid indicator's page, the API or the admin (one service), listed on that page with the fiche's target and
result, named on the fiche; read by whoever reads the fiche, never drawn by the others."""

import pytest
from django.core.exceptions import ValidationError

from evaluation.models import ResultIndicatorLink
from evaluation.services import result_indicator_link_save
from tests.factories import ActionFactory, CriterionFactory, FundingLineFactory, IndicatorFactory, ProgrammeFactory
from tests.factories import ResultIndicatorFactory as RI

READERS = ["referent_bethune", "partner_bdt", "partner_region", "committee_member"]


@pytest.fixture
def fed(grid_programme, bethune, bruay, bdt):
    """Two fiches of the programme (Béthune's funded by the BDT, Bruay's not), their result indicators, and the
    grid's vacant dwellings indicator they may feed."""
    convention = grid_programme["convention"]
    bethune_fiche = ActionFactory(code="FA 1", title="OPAH-RU", convention=convention, territory=bethune)
    bruay_fiche = ActionFactory(code="FA 51", title="Commerces", convention=convention, territory=bruay)
    FundingLineFactory(action=bethune_fiche, funder=bdt)
    return {
        "indicator": grid_programme["housing"],
        "vacant": RI(action=bethune_fiche, label="Logements vacants remis sur le marché", target_value=40, unit="lgts"),
        "renovated": RI(action=bethune_fiche, label="Logements rénovés", position=1),
        "shops": RI(action=bruay_fiche, label="Clients des commerces"),
    }


def _page(indicator):
    return f"/evaluation/indicateurs/{indicator.pk}/"


class TestPage:
    def test_the_coordinator_draws_a_link_and_the_fiche_names_it(self, fed, client, coordinator):
        client.force_login(coordinator)
        page = client.get(_page(fed["indicator"])).content.decode()
        assert "Aucun indicateur de résultat de fiche n'alimente encore cet indicateur." in page
        # The choices: the fiches' indicators that feed nothing yet, grouped by fiche.
        assert '<optgroup label="FA 1 – OPAH-RU">' in page and "Clients des commerces" in page
        response = client.post(f"{_page(fed['indicator'])}fiches/", {"result_indicator": fed["vacant"].pk})
        assert response.status_code == 302 and response["Location"].endswith("#fiches")
        link = ResultIndicatorLink.objects.get()
        assert (link.result_indicator, link.indicator, link.created_by) == (
            fed["vacant"],
            fed["indicator"],
            coordinator,
        )
        assert link.history.get().history_user == coordinator
        page = client.get(_page(fed["indicator"])).content.decode()
        listed = page[page.index('id="h-fiches"') : page.index('id="h-chart"')]
        assert "Logements vacants remis sur le marché" in listed and "40\u00a0lgts" in listed
        assert f'<option value="{fed["vacant"].pk}"' not in listed  # no longer a free choice
        fiche = client.get(f"/fiches/{fed['vacant'].action_id}/").content.decode()
        assert f'<a href="/evaluation/indicateurs/{fed["indicator"].pk}/">Logements vacants</a>' in fiche

    def test_a_missing_choice_is_said_next_to_the_field(self, fed, client, coordinator):
        client.force_login(coordinator)
        response = client.post(f"{_page(fed['indicator'])}fiches/", {"result_indicator": ""})
        assert response.status_code == 400
        assert "Choisissez l&#x27;indicateur de résultat d&#x27;une fiche." in response.content.decode()
        assert not ResultIndicatorLink.objects.exists()

    def test_an_indicator_that_feeds_another_is_refused(self, fed, client, coordinator):
        other = IndicatorFactory(criterion=fed["indicator"].criterion, name="Logements réhabilités")
        result_indicator_link_save(user=coordinator, result_indicator=fed["vacant"], indicator=other)
        with pytest.raises(ValidationError) as error:
            result_indicator_link_save(user=coordinator, result_indicator=fed["vacant"], indicator=fed["indicator"])
        assert "alimente déjà l'indicateur « Logements réhabilités »" in error.value.message_dict["result_indicator"][0]
        # And the page does not even offer it.
        client.force_login(coordinator)
        response = client.post(f"{_page(fed['indicator'])}fiches/", {"result_indicator": fed["vacant"].pk})
        assert response.status_code == 400
        assert ResultIndicatorLink.objects.get().indicator == other

    def test_an_indicator_of_another_programme_is_refused(self, fed, coordinator):
        elsewhere = IndicatorFactory(criterion=CriterionFactory(programme=ProgrammeFactory(code="cdv")))
        with pytest.raises(ValidationError) as error:
            result_indicator_link_save(user=coordinator, result_indicator=fed["shops"], indicator=elsewhere)
        assert "d'un autre programme que celui de la fiche FA 51" in str(error.value)
        assert not ResultIndicatorLink.objects.exists()

    def test_the_coordinator_removes_a_link(self, fed, client, coordinator):
        link = result_indicator_link_save(user=coordinator, result_indicator=fed["vacant"], indicator=fed["indicator"])
        client.force_login(coordinator)
        response = client.post(f"{_page(fed['indicator'])}fiches/{link.pk}/retirer/")
        assert response.status_code == 302
        assert not ResultIndicatorLink.objects.exists()
        assert fed["vacant"].__class__.objects.filter(pk=fed["vacant"].pk).exists()  # the fiche keeps its indicator
        assert [r.history_type for r in ResultIndicatorLink.history.order_by("history_date")] == ["+", "-"]

    @pytest.mark.parametrize("persona", READERS)
    def test_readers_read_the_links_and_may_not_draw_them(self, fed, client, request, coordinator, persona):
        link = result_indicator_link_save(user=coordinator, result_indicator=fed["vacant"], indicator=fed["indicator"])
        client.force_login(request.getfixturevalue(persona))
        page = client.get(_page(fed["indicator"])).content.decode()
        assert "Relier un indicateur de résultat" not in page and "Retirer" not in page
        # A partner reads the links of the fiches it sees only (the Région funds neither fiche here).
        assert ("Logements vacants remis sur le marché" in page) == (persona != "partner_region")
        assert (
            client.post(f"{_page(fed['indicator'])}fiches/", {"result_indicator": fed["shops"].pk}).status_code == 403
        )
        assert client.post(f"{_page(fed['indicator'])}fiches/{link.pk}/retirer/").status_code == 403
        assert list(ResultIndicatorLink.objects.all()) == [link]


class TestApi:
    URL = "/api/v1/result-indicator-links/"

    def test_the_coordinator_draws_reads_and_removes(self, fed, api_for):
        api = api_for("coordinator")
        created = api.post(
            self.URL, {"result_indicator": fed["shops"].pk, "indicator": fed["indicator"].pk}, format="json"
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["result_indicator"], body["indicator"], body["action"]) == (
            fed["shops"].pk,
            fed["indicator"].pk,
            fed["shops"].action_id,
        )
        assert [row["id"] for row in api.get(self.URL, {"action": fed["shops"].action_id}).json()["results"]] == [
            body["id"]
        ]
        assert api.get(self.URL, {"action": fed["vacant"].action_id}).json()["results"] == []
        again = api.post(
            self.URL, {"result_indicator": fed["shops"].pk, "indicator": fed["indicator"].pk}, format="json"
        )
        assert (again.status_code, again.json()["id"]) == (201, body["id"])  # the same link: nothing new
        assert ResultIndicatorLink.objects.count() == 1
        assert api.delete(f"{self.URL}{body['id']}/").status_code == 204
        assert not ResultIndicatorLink.objects.exists()

    def test_a_second_grid_indicator_is_a_french_400(self, fed, api_for, coordinator):
        other = IndicatorFactory(criterion=fed["indicator"].criterion, name="Logements réhabilités")
        result_indicator_link_save(user=coordinator, result_indicator=fed["vacant"], indicator=other)
        response = api_for("coordinator").post(
            self.URL, {"result_indicator": fed["vacant"].pk, "indicator": fed["indicator"].pk}, format="json"
        )
        assert response.status_code == 400
        assert "retirez d'abord ce lien" in response.json()["fields"]["result_indicator"][0]
        assert ResultIndicatorLink.objects.get().indicator == other

    @pytest.mark.parametrize("persona", READERS)
    def test_readers_may_not_write(self, fed, api_for, coordinator, persona):
        link = result_indicator_link_save(user=coordinator, result_indicator=fed["vacant"], indicator=fed["indicator"])
        api = api_for(persona)
        data = {"result_indicator": fed["shops"].pk, "indicator": fed["indicator"].pk}
        assert api.post(self.URL, data, format="json").status_code == 403
        # The Région sees neither fiche, so not their links: a 404 rather than a 403.
        assert api.delete(f"{self.URL}{link.pk}/").status_code == (404 if persona == "partner_region" else 403)
        assert list(ResultIndicatorLink.objects.all()) == [link]
        listed = [row["id"] for row in api.get(self.URL).json()["results"]]
        assert listed == ([] if persona == "partner_region" else [link.pk])


def test_the_indicator_page_costs_the_same_for_more_links(fed, client, coordinator, grid_programme, bethune):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def batch(tag, n):
        for index in range(n):
            fiche = ActionFactory(code=f"FA {tag}{index}", convention=grid_programme["convention"], territory=bethune)
            item = RI(action=fiche, label=f"Indicateur {tag}{index}", target_value=index, unit="places")
            result_indicator_link_save(user=coordinator, result_indicator=item, indicator=fed["indicator"])

    client.force_login(coordinator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(_page(fed["indicator"]))
        return len(queries), page.content.decode().count("Indicateur ")

    batch("7", 1)
    small = count()
    batch("8", 5)
    large = count()
    assert large[1] == small[1] + 5 * 2  # each new link's row names it twice: its label and its « Retirer » button
    assert large[0] == small[0]
