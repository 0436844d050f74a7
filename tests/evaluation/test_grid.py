"""The grid: its contents against a small hand-built grid, the same matrix on the page and through one API
call, a fixed number of queries, who reads it and who fills it in (in place with htmx or with a plain form)."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import IndicatorValue, Series
from evaluation.services import indicator_value_save
from tests.factories import AxisFactory, CriterionFactory, DataSourceFactory, IndicatorFactory, SectorFactory

GRID_API = "/api/v1/evaluation/grid/"
GRID_PAGE = "/evaluation/grille/"
READERS = ["admin_user", "coordinator", "referent_bethune", "partner_bdt", "partner_region", "committee_member"]


def _put(user, indicator, territory, period, value, series=Series.MEASURED, sector=None):
    return indicator_value_save(
        user=user,
        data={
            "indicator": indicator,
            "territory": territory,
            "sector": sector,
            "period": period,
            "value": Decimal(value),
            "series": series,
        },
    )


@pytest.fixture
def filled(grid_programme, coordinator, bethune, bruay):
    g = grid_programme
    _put(coordinator, g["housing"], bethune, "2022", "412", Series.INITIAL)
    _put(coordinator, g["housing"], bethune, "2026", "300", Series.TARGET)
    _put(coordinator, g["housing"], bethune, "2024", "420")
    _put(coordinator, g["housing"], bethune, "2025", "388")
    _put(coordinator, g["housing"], bruay, "2022", "150", Series.INITIAL)
    _put(coordinator, g["housing"], bruay, "2025", "170", Series.ESTIMATED)
    _put(coordinator, g["vacancy"], bethune, "2022", "12.0", Series.INITIAL)
    _put(coordinator, g["vacancy"], bethune, "2025", "12.0")
    _put(coordinator, g["housing"], bethune, "2025", "95", sector=g["hypercentre"])
    return g


def _cells(body, indicator):
    rows = [i for a in body["axes"] for c in a["criteria"] for i in c["indicators"] if i["id"] == indicator.pk]
    assert len(rows) == 1
    return {cell["place"]: cell for cell in rows[0]["cells"]}


def test_the_matrix_of_a_small_grid(filled, api_for, bethune, bruay, agglomeration):
    body = api_for("committee_member").get(GRID_API).json()
    hypercentre = filled["hypercentre"]
    assert [p["key"] for p in body["periods"]] == ["2024", "2025"]
    assert [(p["label"], p["kind"]) for p in body["places"]] == [
        ("Ville de Béthune", "commune"),
        ("Ville de Béthune – Hypercentre", "sector"),
        ("Ville de Bruay-La-Buissière", "commune"),
        ("Communauté d'agglomération de Béthune-Bruay", "epci"),
    ]
    housing = _cells(body, filled["housing"])
    at_bethune = housing[str(bethune.pk)]
    assert (at_bethune["baseline"]["value"], at_bethune["baseline"]["period"]) == ("412", "2022")
    assert (at_bethune["target"]["value"], at_bethune["target"]["period"]) == ("300", "2026")
    assert at_bethune["latest"]["value"] == "388"
    # Fewer vacant dwellings is what the grid wants: 412 → 388 is better.
    assert (at_bethune["trend"], at_bethune["trend_label"]) == ("better", "mieux")
    assert {key: cell and cell["value"] for key, cell in at_bethune["values"].items()} == {"2024": "420", "2025": "388"}
    at_bruay = housing[str(bruay.pk)]
    assert at_bruay["values"]["2025"]["series"] == "estimated"
    assert at_bruay["values"]["2024"] is None
    assert (at_bruay["latest"], at_bruay["trend"]) == (None, "unknown")
    assert housing[f"{bethune.pk}-{hypercentre.pk}"]["values"]["2025"]["value"] == "95"
    assert housing[str(agglomeration.pk)] == {
        "place": str(agglomeration.pk),
        "baseline": None,
        "target": None,
        "latest": None,
        "trend": "unknown",
        "trend_label": "non mesurable",
        "values": {"2024": None, "2025": None},
    }
    vacancy = _cells(body, filled["vacancy"])[str(bethune.pk)]
    assert (vacancy["trend"], vacancy["trend_label"]) == ("stable", "stable")


def test_the_places_are_the_programme_perimeters(filled, api_for, bethune, bruay, agglomeration):
    places = api_for("coordinator").get(GRID_API).json()["places"]
    assert {p["territory"] for p in places} == {bethune.pk, bruay.pk, agglomeration.pk}
    assert [p["kind"] for p in places].count("sector") == 1


def test_filters_by_territory_period_and_axe(filled, api_for, bethune):
    client = api_for("partner_bdt")
    body = client.get(GRID_API, {"territory": bethune.pk, "period": "2024"}).json()
    assert [p["key"] for p in body["places"]] == [str(bethune.pk)]
    assert [p["key"] for p in body["periods"]] == ["2024"]
    assert _cells(body, filled["housing"])[str(bethune.pk)]["values"] == {
        "2024": {
            "id": IndicatorValue.objects.get(year=2024).pk,
            "value": "420",
            "series": "measured",
            "period": "2024",
            "period_label": "2024",
            "source": None,
            "measured_on": None,
        }
    }
    other_axis = AxisFactory(programme=filled["programme"], number="2")
    CriterionFactory(programme=filled["programme"], axis=other_axis)  # a criterion still without indicators
    assert client.get(GRID_API, {"axis": other_axis.pk}).json()["axes"] == []
    refused = client.get(GRID_API, {"period": "S9 2025"})
    assert refused.status_code == 400
    assert "n'est pas une période" in refused.json()["fields"]["period"][0]


@pytest.mark.parametrize("persona", READERS)
def test_every_programme_role_reads_the_grid(filled, api_for, client, request, persona):
    body = api_for(persona).get(GRID_API).json()
    assert [i["name"] for a in body["axes"] for c in a["criteria"] for i in c["indicators"]] == [
        "Logements vacants",
        "Taux de vacance commerciale",
        "Fréquentation des transports",
    ]
    client.force_login(request.getfixturevalue(persona))
    page = client.get(GRID_PAGE).content.decode()
    assert "Logements vacants" in page and "388\u00a0logements" in page
    # Only the coordination sees the links that fill the grid in.
    assert ("Saisir" in page) == (persona in ("admin_user", "coordinator"))


def test_outsiders_and_anonymous_get_nothing(filled, api_for, client, outsider):
    assert api_for("anonymous").get(GRID_API).status_code == 401
    assert api_for("outsider").get(GRID_API).status_code == 403
    client.force_login(outsider)
    assert client.get(GRID_PAGE).status_code == 403


def _second_batch(coordinator, programme, territories, n):
    """Indicators under another axe and criterion, with their own sources, sectors and values."""
    axis = AxisFactory(programme=programme, number=str(n), position=n)
    criterion = CriterionFactory(programme=programme, axis=axis)
    for index in range(n):
        indicator = IndicatorFactory(criterion=criterion, name=f"Indicateur {n}-{index}", position=index)
        indicator.sources.add(DataSourceFactory())
        for territory in territories:
            _put(coordinator, indicator, territory, "2022", str(10 + index), Series.INITIAL)
            _put(coordinator, indicator, territory, "2025", str(20 + index))
        sector = SectorFactory(commune=territories[0])
        _put(coordinator, indicator, territories[0], "2024", str(index), sector=sector)


def test_grid_queries_do_not_grow(grid_programme, api_for, client, coordinator, bethune, bruay):
    api, programme = api_for("partner_bdt"), grid_programme["programme"]
    client.force_login(coordinator)

    def count():
        with CaptureQueriesContext(connection) as api_queries:
            body = api.get(GRID_API).json()
        with CaptureQueriesContext(connection) as page_queries:
            page = client.get(GRID_PAGE)
        assert page.status_code == 200
        shown = [i["name"] for a in body["axes"] for c in a["criteria"] for i in c["indicators"]]
        return len(api_queries), len(page_queries), shown, page.content.decode()

    _second_batch(coordinator, programme, [bethune, bruay], 2)
    small = count()
    _second_batch(coordinator, programme, [bruay, bethune], 5)
    large = count()
    assert len(large[2]) == len(small[2]) + 5 == 3 + 2 + 5
    assert large[0] == small[0] <= 14
    assert large[1] == small[1] <= 14
    assert len(re.findall(r'class="eval-grid__value"', large[3])) > len(
        re.findall(r'class="eval-grid__value"', small[3])
    )


def test_the_schema_documents_the_grid(api_for, db):
    schema = api_for("anonymous").get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/evaluation/grid/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"axis", "territory", "sector", "period"}
    example = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert "mieux" in str(example)


class TestCellEditing:
    def _url(self, indicator, territory, column):
        return f"/evaluation/grille/cellule/?indicator={indicator.pk}&territory={territory.pk}&column={column}"

    def test_in_place_with_htmx(self, filled, client, coordinator, bruay):
        client.force_login(coordinator)
        url = self._url(filled["housing"], bruay, "2024")
        form = client.get(url, headers={"HX-Request": "true"})
        assert form.status_code == 200
        assert form.content.decode().lstrip().startswith(f'<td id="cell-{filled["housing"].pk}-{bruay.pk}-2024"')
        refused = client.post(
            url, {"period": "2024", "series": "measured", "value": "160,5"}, headers={"HX-Request": "true"}
        )
        # The form comes back in the cell (htmx swaps 2xx only) with the message next to the value.
        assert refused.status_code == 200
        assert "pas de décimale" in refused.content.decode()
        assert not IndicatorValue.objects.filter(territory=bruay, year=2024).exists()
        saved = client.post(
            url, {"period": "2024", "series": "measured", "value": "160"}, headers={"HX-Request": "true"}
        )
        html = saved.content.decode()
        assert "160\u00a0logements" in html
        assert "moins bien" in html  # 150 → 160 vacant dwellings: worse, written in words
        assert 'hx-swap-oob="true"' in html
        assert IndicatorValue.objects.get(territory=bruay, year=2024).entered_by == coordinator

    def test_without_javascript_a_page_and_a_400(self, filled, client, coordinator, bruay):
        client.force_login(coordinator)
        url = self._url(filled["vacancy"], bruay, "initial")
        page = client.get(url)
        assert "<h1>Saisir l'état initial</h1>" in page.content.decode()
        refused = client.post(url, {"period": "2022", "series": "initial", "value": "140"})
        assert refused.status_code == 400
        assert "inférieure ou égale à 100,0" in refused.content.decode()
        done = client.post(url, {"period": "2022", "series": "initial", "value": "14,5", "next": GRID_PAGE})
        assert (done.status_code, done["Location"]) == (302, GRID_PAGE)
        assert IndicatorValue.objects.get(territory=bruay, indicator=filled["vacancy"]).value == Decimal("14.5")

    @pytest.mark.parametrize("persona", ["referent_bethune", "partner_bdt", "committee_member"])
    def test_readers_may_not_fill_the_grid(self, filled, client, request, bruay, persona):
        client.force_login(request.getfixturevalue(persona))
        url = self._url(filled["housing"], bruay, "2024")
        assert client.get(url).status_code == 403
        assert client.post(url, {"period": "2024", "series": "measured", "value": "1"}).status_code == 403
        assert not IndicatorValue.objects.filter(territory=bruay, year=2024).exists()


def test_indicator_page_shows_values_history_and_an_accessible_chart(filled, client, committee_member, coordinator):
    value = IndicatorValue.objects.get(indicator=filled["housing"], year=2025, sector=None, series="measured")
    indicator_value_save(user=coordinator, data={"value": Decimal("380")}, value=value)
    client.force_login(committee_member)
    html = client.get(f"/evaluation/indicateurs/{filled['housing'].pk}/").content.decode()
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", html, re.S).group(0)
    assert "<a " not in svg
    description = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1)
    assert "Ville de Béthune : état initial 2022 : 412\u00a0logements" in description
    assert "2025 : 380\u00a0logements" in description and "cible 2026 : 300\u00a0logements" in description
    assert "Service Habitat" in html
    assert "2 versions" in html  # the corrected value keeps its history


def test_the_xlsx_has_the_layout_of_the_page(filled, client, partner_region, bethune):
    from openpyxl import load_workbook

    client.force_login(partner_region)
    response = client.get("/evaluation/grille/export.xlsx", {"territory": bethune.pk})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [sheet.cell(1, column).value for column in (1, 3)] == ["Indicateur", "Ville de Béthune"]
    assert [sheet.cell(2, column).value for column in range(3, 8)] == [
        "État initial",
        "2024",
        "2025",
        "Cible",
        "Évolution",
    ]
    rows = {sheet.cell(row, 1).value: row for row in range(1, sheet.max_row + 1)}
    housing = rows["Logements vacants"]
    assert [sheet.cell(housing, column).value for column in range(2, 8)] == [
        "logements",
        412,
        420,
        388,
        300,
        "mieux",
    ]
    assert sheet.cell(housing, 3).number_format == '#,##0 "(2022)"'
    assert sheet.cell(rows["Fréquentation des transports"], 4).value == "non renseigné"
