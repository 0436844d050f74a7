"""Quartiers prioritaires (QPV) as places of the grid: a value on a QPV of the programme is taken by the service,
the API, the grid's cell form and the admin alike; a QPV elsewhere, an organisation that is no perimeter, two
places at once or none are refused in French with nothing stored. QPV columns in the page, the matrix endpoint
and the XLSX, in a number of queries that does not grow with them."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import IndicatorValue, Series
from evaluation.services import indicator_value_save
from tests.factories import AxisFactory, CriterionFactory, IndicatorFactory, OrganisationFactory, SectorFactory
from tests.factories import PriorityNeighbourhoodFactory as QPV

GRID_API = "/api/v1/evaluation/grid/"
GRID_PAGE = "/evaluation/grille/"
VALUES_API = "/api/v1/indicator-values/"


@pytest.fixture
def quartiers(grid_programme, bethune, bruay):
    """Mont-Liébaut on Béthune; a quartier straddling Bruay and a commune outside the programme; one far away."""
    elsewhere = OrganisationFactory(key="auchel", name="Ville d'Auchel", kind="commune")
    return {
        "mont_liebaut": QPV(name="Mont-Liébaut", communes=[bethune]),
        "straddling": QPV(name="Provinces", communes=[elsewhere, bruay]),
        "far": QPV(name="Rimbert", communes=[elsewhere]),
    }


def _save(user, **data):
    return indicator_value_save(user=user, data={"period": "2025", "value": Decimal("40"), **data})


def _refused(user, field, text, **data):
    before = IndicatorValue.objects.count()
    with pytest.raises(ValidationError) as error:
        _save(user, **data)
    assert any(text in message for message in error.value.message_dict.get(field, [])), error.value.message_dict
    assert IndicatorValue.objects.count() == before


class TestRules:
    def test_a_value_on_a_qpv_of_the_programme(self, grid_programme, quartiers, coordinator):
        value = _save(coordinator, indicator=grid_programme["housing"], neighbourhood=quartiers["mont_liebaut"])
        value.refresh_from_db()
        assert (value.territory, value.sector, value.neighbourhood) == (None, None, quartiers["mont_liebaut"])
        assert value.place_label == "QPV Mont-Liébaut"
        assert [record.neighbourhood_id for record in value.history.all()] == [quartiers["mont_liebaut"].pk]

    def test_a_qpv_straddling_a_commune_of_the_programme_is_one_of_its_places(
        self, grid_programme, quartiers, coordinator
    ):
        value = _save(coordinator, indicator=grid_programme["housing"], neighbourhood=quartiers["straddling"])
        assert value.pk is not None

    def test_a_qpv_on_no_commune_of_the_programme_is_refused(self, grid_programme, quartiers, coordinator):
        _refused(
            coordinator,
            "neighbourhood",
            "Le quartier prioritaire « Rimbert » n'est sur aucune commune du programme.",
            indicator=grid_programme["housing"],
            neighbourhood=quartiers["far"],
        )

    def test_one_place_not_two(self, grid_programme, quartiers, coordinator, bethune):
        _refused(
            coordinator,
            "neighbourhood",
            "pas sur les deux",
            indicator=grid_programme["housing"],
            territory=bethune,
            neighbourhood=quartiers["mont_liebaut"],
        )

    def test_one_place_not_none(self, grid_programme, coordinator):
        _refused(coordinator, "territory", "Indiquez où porte la valeur", indicator=grid_programme["housing"])

    def test_a_sector_is_no_part_of_a_qpv(self, grid_programme, quartiers, coordinator):
        _refused(
            coordinator,
            "sector",
            "pas d'un quartier prioritaire",
            indicator=grid_programme["housing"],
            neighbourhood=quartiers["mont_liebaut"],
            sector=grid_programme["hypercentre"],
        )

    def test_an_organisation_that_is_no_perimeter_is_refused(self, grid_programme, coordinator, bdt):
        _refused(
            coordinator,
            "territory",
            "une valeur porte sur une commune, un EPCI, un secteur ORT ou un quartier prioritaire (QPV)",
            indicator=grid_programme["housing"],
            territory=bdt,
        )

    def test_one_value_per_qpv_cell_and_series(self, grid_programme, quartiers, coordinator, bethune):
        _save(coordinator, indicator=grid_programme["housing"], neighbourhood=quartiers["mont_liebaut"])
        # The commune and its quartier are two places: the same period and series on Béthune is another cell.
        _save(coordinator, indicator=grid_programme["housing"], territory=bethune)
        _refused(
            coordinator,
            "__all__",
            "existe déjà pour QPV Mont-Liébaut, 2025",
            indicator=grid_programme["housing"],
            neighbourhood=quartiers["mont_liebaut"],
        )

    def test_the_database_refuses_two_places_too(self, grid_programme, quartiers, bethune):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            IndicatorValue.objects.create(
                indicator=grid_programme["housing"],
                territory=bethune,
                neighbourhood=quartiers["mont_liebaut"],
                period="2025",
                value=1,
            )


class TestApi:
    def test_created_on_a_qpv(self, grid_programme, quartiers, api_for):
        response = api_for("coordinator").post(
            VALUES_API,
            {
                "indicator": grid_programme["housing"].pk,
                "neighbourhood": quartiers["mont_liebaut"].pk,
                "period": "2025",
                "value": "40",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["territory"], body["sector"], body["neighbourhood"]) == (None, None, quartiers["mont_liebaut"].pk)
        assert IndicatorValue.objects.get(pk=body["id"]).neighbourhood == quartiers["mont_liebaut"]

    @pytest.mark.parametrize(
        ("place", "field", "text"),
        [
            ("bdt", "territory", "est de type agence / opérateur"),
            ("far", "neighbourhood", "n'est sur aucune commune du programme"),
            ("both", "neighbourhood", "pas sur les deux"),
            ("none", "territory", "Indiquez où porte la valeur"),
        ],
    )
    def test_refused_with_a_french_400_and_nothing_stored(
        self, grid_programme, quartiers, api_for, bdt, bethune, place, field, text
    ):
        data = {"indicator": grid_programme["housing"].pk, "period": "2025", "value": "40"}
        data.update(
            {
                "bdt": {"territory": bdt.pk},
                "far": {"neighbourhood": quartiers["far"].pk},
                "both": {"territory": bethune.pk, "neighbourhood": quartiers["mont_liebaut"].pk},
                "none": {},
            }[place]
        )
        response = api_for("coordinator").post(VALUES_API, data, format="json")
        assert response.status_code == 400
        assert any(text in message for message in response.json()["fields"][field])
        assert not IndicatorValue.objects.exists()

    def test_the_matrix_has_the_qpv_column(self, grid_programme, quartiers, coordinator, api_for, bethune):
        _save(coordinator, indicator=grid_programme["housing"], neighbourhood=quartiers["mont_liebaut"])
        body = api_for("partner_bdt").get(GRID_API).json()
        qpv = quartiers["mont_liebaut"]
        assert body["places"][-1] == {
            "key": f"q{qpv.pk}",
            "territory": None,
            "sector": None,
            "neighbourhood": qpv.pk,
            "label": "QPV Mont-Liébaut",
            "kind": "neighbourhood",
        }
        # Only the quartiers that hold a value are columns when no filter names one.
        assert [p["neighbourhood"] for p in body["places"] if p["neighbourhood"]] == [qpv.pk]
        housing = next(
            i for a in body["axes"] for c in a["criteria"] for i in c["indicators"] if i["name"] == "Logements vacants"
        )
        cell = next(cell for cell in housing["cells"] if cell["place"] == f"q{qpv.pk}")
        assert cell["values"]["2025"]["value"] == "40"

    def test_filtered_on_a_qpv_without_values_yet(self, grid_programme, quartiers, api_for, bethune):
        straddling = quartiers["straddling"]
        body = api_for("committee_member").get(GRID_API, {"neighbourhood": straddling.pk}).json()
        assert [p["key"] for p in body["places"]] == [f"q{straddling.pk}"]
        assert body["filters"]["neighbourhood"] == straddling.pk
        # A quartier of no commune of the programme is not a choice of the filter.
        far = api_for("committee_member").get(GRID_API, {"neighbourhood": quartiers["far"].pk})
        assert far.status_code == 400
        both = api_for("committee_member").get(GRID_API, {"neighbourhood": straddling.pk, "territory": bethune.pk})
        assert both.status_code == 400
        assert "se consulte seul" in both.json()["fields"]["neighbourhood"][0]


class TestPages:
    def _url(self, indicator, qpv, column):
        return f"/evaluation/grille/cellule/?indicator={indicator.pk}&neighbourhood={qpv.pk}&column={column}"

    def test_the_coordinator_fills_a_qpv_cell(self, grid_programme, quartiers, client, coordinator):
        client.force_login(coordinator)
        qpv, housing = quartiers["mont_liebaut"], grid_programme["housing"]
        page = client.get(GRID_PAGE, {"neighbourhood": qpv.pk}).content.decode()
        assert "QPV Mont-Liébaut" in page and "quartier prioritaire, Ville de Béthune" in page
        assert f"neighbourhood={qpv.pk}" in page  # the cells' « Saisir » links
        url = self._url(housing, qpv, "2025")
        refused = client.post(url, {"period": "2025", "series": "measured", "value": "40,5"})
        assert refused.status_code == 400
        assert "pas de décimale" in refused.content.decode()
        assert not IndicatorValue.objects.exists()
        saved = client.post(
            url, {"period": "2025", "series": "measured", "value": "40"}, headers={"HX-Request": "true"}
        )
        assert "40\u00a0logements" in saved.content.decode()
        assert IndicatorValue.objects.get().neighbourhood == qpv

    def test_a_cell_of_a_qpv_or_organisation_outside_the_programme_is_not_found(
        self, grid_programme, quartiers, client, coordinator, bdt
    ):
        client.force_login(coordinator)
        housing = grid_programme["housing"]
        assert client.get(self._url(housing, quartiers["far"], "2025")).status_code == 404
        url = f"/evaluation/grille/cellule/?indicator={housing.pk}&territory={bdt.pk}&column=2025"
        assert client.post(url, {"period": "2025", "series": "measured", "value": "4"}).status_code == 404
        assert not IndicatorValue.objects.exists()

    def test_the_admin_form_refuses_an_organisation_that_is_no_perimeter(self, grid_programme, client, admin_user, bdt):
        client.force_login(admin_user)
        response = client.post(
            "/admin/evaluation/indicatorvalue/add/",
            {
                "indicator": grid_programme["housing"].pk,
                "territory": bdt.pk,
                "period_kind": "year",
                "year": "2025",
                "number": "0",
                "series": "measured",
                "value": "4",
            },
        )
        assert response.status_code == 200
        assert "est de type agence / opérateur" in response.content.decode()
        assert not IndicatorValue.objects.exists()

    def test_the_xlsx_has_the_qpv_column(self, grid_programme, quartiers, client, coordinator, committee_member):
        from openpyxl import load_workbook

        _save(coordinator, indicator=grid_programme["housing"], neighbourhood=quartiers["mont_liebaut"])
        client.force_login(committee_member)
        sheet = load_workbook(io.BytesIO(client.get("/evaluation/grille/export.xlsx").content)).active
        headers = {sheet.cell(1, column).value: column for column in range(1, sheet.max_column + 1)}
        first = headers["QPV Mont-Liébaut"]
        rows = {sheet.cell(row, 1).value: row for row in range(1, sheet.max_row + 1)}
        housing = rows["Logements vacants"]
        columns = {sheet.cell(2, column).value: column for column in range(first, sheet.max_column + 1)}
        assert sheet.cell(2, first).value == "État initial"
        assert sheet.cell(housing, columns["2025"]).value == 40
        assert sheet.cell(housing, first).value == "non renseigné"


def test_qpv_columns_do_not_add_queries(grid_programme, api_for, client, coordinator, bethune, bruay):
    """Two sizes of distinct data (more quartiers, indicators and values): the same number of queries."""
    programme = grid_programme["programme"]
    api = api_for("partner_bdt")
    client.force_login(coordinator)

    def batch(n):
        axis = AxisFactory(programme=programme, number=str(n), position=n)
        criterion = CriterionFactory(programme=programme, axis=axis)
        for index in range(n):
            indicator = IndicatorFactory(criterion=criterion, name=f"Indicateur {n}-{index}", position=index)
            qpv = QPV(name=f"Quartier {n}-{index}", communes=[bethune if index % 2 else bruay])
            _save(coordinator, indicator=indicator, neighbourhood=qpv, series=Series.INITIAL, period="2022")
            _save(coordinator, indicator=indicator, neighbourhood=qpv)
            _save(coordinator, indicator=indicator, territory=bethune, sector=SectorFactory(commune=bethune))

    def count():
        with CaptureQueriesContext(connection) as api_queries:
            body = api.get(GRID_API).json()
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get(GRID_PAGE).status_code == 200
        return len(api_queries), len(page_queries), len(body["places"])

    batch(2)
    small = count()
    batch(5)
    large = count()
    assert large[2] == small[2] + 10  # five more quartiers and five more sectors as columns
    assert large[:2] == small[:2]


def test_the_semester_report_states_the_qpv_too(grid_programme, quartiers, coordinator, bethune):
    """The report's evaluation chapter: a QPV with values is one more place of the indicator, with its baseline,
    latest value and trend."""
    import datetime

    from evaluation.reports import evaluation_section

    housing = grid_programme["housing"]
    _save(coordinator, indicator=housing, neighbourhood=quartiers["mont_liebaut"], period="2022", series="initial")
    _save(coordinator, indicator=housing, neighbourhood=quartiers["mont_liebaut"], period="2025", value=Decimal("31"))
    _save(coordinator, indicator=housing, territory=bethune, period="2025", value=Decimal("388"))
    report = evaluation_section(
        grid_programme["programme"], start=datetime.date(2026, 1, 1), last_day=datetime.date(2026, 6, 30)
    )
    item = next(item for axis in report["axes"] for item in axis["indicators"] if item.indicator == housing)
    assert [(line.place, line.baseline, line.latest, line.trend) for line in item.lines] == [
        ("Ville de Béthune", "non renseigné", "388", "non mesurable"),
        ("QPV Mont-Liébaut", "40 (2022)", "31", "mieux"),
    ]
