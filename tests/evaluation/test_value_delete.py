"""Removing a value of the grid: the coordination does, from the indicator page or the cell (a confirmation page,
no JavaScript needed) and through the API, all through indicator_value_delete; the référent, the partners and
the comité read the value and may not remove it; the indicator's history keeps what was removed."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from evaluation.models import IndicatorValue, Series
from evaluation.services import indicator_value_delete, indicator_value_save

READERS = ["referent_bethune", "partner_bdt", "partner_region", "committee_member"]


@pytest.fixture
def value(grid_programme, coordinator, bethune):
    return indicator_value_save(
        user=coordinator,
        data={"indicator": grid_programme["housing"], "territory": bethune, "period": "2024", "value": Decimal("420")},
    )


def _page(value):
    return f"/evaluation/valeurs/{value.pk}/supprimer/"


def test_the_coordinator_removes_a_value_and_the_history_keeps_it(value, coordinator):
    pk = value.pk
    indicator_value_delete(user=coordinator, value=value)
    assert not IndicatorValue.objects.filter(pk=pk).exists()
    records = IndicatorValue.history.filter(id=pk).order_by("history_date")
    assert [(r.history_type, r.value, r.history_user) for r in records] == [
        ("+", Decimal("420.0000"), coordinator),
        ("-", Decimal("420.0000"), coordinator),
    ]


@pytest.mark.parametrize("persona", READERS)
def test_readers_may_not_remove_a_value(value, request, persona):
    with pytest.raises(PermissionDenied):
        indicator_value_delete(user=request.getfixturevalue(persona), value=value)
    assert IndicatorValue.objects.filter(pk=value.pk).exists()


class TestPage:
    def test_a_confirmation_then_the_removal(self, value, client, coordinator):
        client.force_login(coordinator)
        confirm = client.get(_page(value), {"next": "/evaluation/grille/?territory=1"})
        html = confirm.content.decode()
        assert confirm.status_code == 200
        assert "Supprimer cette valeur ?" in html and "420\u00a0logements" in html and "Ville de Béthune" in html
        assert 'name="next" value="/evaluation/grille/?territory=1"' in html
        assert IndicatorValue.objects.filter(pk=value.pk).exists()  # nothing removed by looking
        done = client.post(_page(value), {"next": "/evaluation/grille/?territory=1"})
        assert (done.status_code, done["Location"]) == (302, "/evaluation/grille/?territory=1")
        assert not IndicatorValue.objects.filter(pk=value.pk).exists()
        page = client.get(f"/evaluation/indicateurs/{value.indicator_id}/").content.decode()
        assert "Valeurs supprimées" in page
        assert "Ville de Béthune, 2024 (mesuré) : 420\u00a0logements, supprimée le" in page

    def test_another_site_is_no_place_to_go_back_to(self, value, client, coordinator):
        client.force_login(coordinator)
        done = client.post(_page(value), {"next": "https://exemple.org/"})
        assert done["Location"] == f"/evaluation/indicateurs/{value.indicator_id}/"

    def test_the_buttons_are_for_the_coordination_only(self, value, client, coordinator, committee_member):
        indicator_page = f"/evaluation/indicateurs/{value.indicator_id}/"
        client.force_login(coordinator)
        assert _page(value) in client.get(indicator_page).content.decode()
        cell = client.get(
            f"/evaluation/grille/cellule/?indicator={value.indicator_id}&territory={value.territory_id}&column=2024"
        )
        assert _page(value) in cell.content.decode()
        client.force_login(committee_member)
        assert _page(value) not in client.get(indicator_page).content.decode()

    @pytest.mark.parametrize("persona", READERS)
    def test_readers_are_refused_and_nothing_is_removed(self, value, client, request, persona):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(_page(value)).status_code == 403
        assert client.post(_page(value)).status_code == 403
        assert IndicatorValue.objects.filter(pk=value.pk).exists()

    def test_an_outsider_and_anonymous(self, value, client, outsider):
        assert client.post(_page(value)).status_code == 302  # to the login page
        client.force_login(outsider)
        assert client.post(_page(value)).status_code == 403
        assert IndicatorValue.objects.filter(pk=value.pk).exists()


class TestApi:
    def test_the_coordinator_deletes(self, value, api_for):
        response = api_for("coordinator").delete(f"/api/v1/indicator-values/{value.pk}/")
        assert response.status_code == 204
        assert not IndicatorValue.objects.filter(pk=value.pk).exists()
        assert IndicatorValue.history.filter(id=value.pk, history_type="-").exists()
        assert api_for("coordinator").delete(f"/api/v1/indicator-values/{value.pk}/").status_code == 404

    @pytest.mark.parametrize(
        ("persona", "status"), [(p, 403) for p in READERS] + [("outsider", 403), ("anonymous", 401)]
    )
    def test_others_are_refused(self, value, api_for, persona, status):
        response = api_for(persona).delete(f"/api/v1/indicator-values/{value.pk}/")
        assert response.status_code == status
        assert IndicatorValue.objects.filter(pk=value.pk).exists()

    def test_a_target_removed_leaves_the_grid_without_it(self, grid_programme, value, api_for, coordinator, bethune):
        target = indicator_value_save(
            user=coordinator,
            data={
                "indicator": grid_programme["housing"],
                "territory": bethune,
                "period": "2026",
                "series": Series.TARGET,
                "value": Decimal("300"),
            },
        )
        api_for("coordinator").delete(f"/api/v1/indicator-values/{target.pk}/")
        body = api_for("committee_member").get("/api/v1/evaluation/grid/").json()
        housing = body["axes"][0]["criteria"][0]["indicators"][0]
        at_bethune = next(cell for cell in housing["cells"] if cell["place"] == str(bethune.pk))
        assert at_bethune["target"] is None
        assert at_bethune["values"]["2024"]["value"] == "420"
