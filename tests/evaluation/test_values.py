"""Typed values of the grid: the rules of IndicatorValue, applied alike by the service (page, admin) and the
API, with French messages and nothing stored when a rule is broken."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evaluation.models import IndicatorValue, Series
from evaluation.periods import Period, PeriodError, PeriodKind
from evaluation.services import indicator_value_save
from tests.factories import OrganisationFactory


def _save(user, **data):
    return indicator_value_save(user=user, data=data)


def _refused(user, field, text, **data):
    before = IndicatorValue.objects.count()
    with pytest.raises(ValidationError) as error:
        _save(user, **data)
    messages = error.value.message_dict
    assert any(text in message for message in messages.get(field, [])), messages
    assert IndicatorValue.objects.count() == before


class TestPeriod:
    @pytest.mark.parametrize(
        ("text", "kind", "key", "label"),
        [
            ("2025", PeriodKind.YEAR, "2025", "2025"),
            ("S1 2025", PeriodKind.SEMESTER, "2025-S1", "S1 2025"),
            ("2025-s2", PeriodKind.SEMESTER, "2025-S2", "S2 2025"),
            ("T3 2024", PeriodKind.QUARTER, "2024-T3", "T3 2024"),
            ("31/03/2025", PeriodKind.DATE, "2025-03-31", "31 mars 2025"),
        ],
    )
    def test_reads_the_written_forms(self, text, kind, key, label):
        period = Period.parse(text)
        assert (period.kind, period.key, period.label) == (kind, key, label)
        assert Period.parse(period.key) == period

    @pytest.mark.parametrize("text", ["S3 2025", "T5 2024", "deux mille", "1850", "2025-02-30"])
    def test_refuses_what_is_no_period(self, text):
        with pytest.raises(PeriodError):
            Period.parse(text)

    def test_bounds_and_order(self):
        semester = Period.parse("S2 2025")
        assert (semester.start, semester.end) == (datetime.date(2025, 7, 1), datetime.date(2025, 12, 31))
        ordered = sorted(map(Period.parse, ["2025", "S2 2024", "2024", "T1 2025"]), key=Period.sort_key)
        assert [p.key for p in ordered] == ["2024-S2", "2024", "2025-T1", "2025"]


@pytest.mark.django_db
class TestRules:
    def test_the_coordinator_enters_a_value(self, grid_programme, coordinator, bethune):
        value = _save(
            coordinator,
            indicator=grid_programme["housing"],
            territory=bethune,
            period="2025",
            value=Decimal("412"),
            source=grid_programme["source"],
        )
        value.refresh_from_db()
        assert (value.period_kind, value.year, value.number, value.series) == ("year", 2025, 0, Series.MEASURED)
        assert value.entered_by == coordinator
        assert [record.history_user for record in value.history.all()] == [coordinator]

    def test_a_partner_organisation_is_no_territory(self, grid_programme, coordinator, bdt):
        _refused(
            coordinator,
            "territory",
            "est de type agence / opérateur",
            indicator=grid_programme["housing"],
            territory=bdt,
            period="2025",
            value=Decimal("1"),
        )

    def test_a_commune_outside_the_programme_is_refused(self, grid_programme, coordinator):
        other = OrganisationFactory(name="Ville d'ailleurs", kind="commune")
        _refused(
            coordinator,
            "territory",
            "n'est pas un territoire du programme",
            indicator=grid_programme["housing"],
            territory=other,
            period="2025",
            value=Decimal("1"),
        )

    def test_a_sector_belongs_to_its_commune(self, grid_programme, coordinator, bethune):
        _refused(
            coordinator,
            "sector",
            "n'est pas un secteur de Ville de Béthune",
            indicator=grid_programme["housing"],
            territory=bethune,
            sector=grid_programme["elsewhere"],
            period="2025",
            value=Decimal("1"),
        )
        value = _save(
            coordinator,
            indicator=grid_programme["housing"],
            territory=bethune,
            sector=grid_programme["hypercentre"],
            period="2025",
            value=Decimal("40"),
        )
        assert value.place_label == "Ville de Béthune – Hypercentre"

    def test_the_period_follows_the_frequency(self, grid_programme, coordinator, bethune):
        _refused(
            coordinator,
            "period",
            "fréquence annuelle : la période doit être une année",
            indicator=grid_programme["housing"],
            territory=bethune,
            period="S1 2025",
            value=Decimal("1"),
        )
        _refused(
            coordinator,
            "period",
            "fréquence semestrielle : la période doit être un semestre",
            indicator=grid_programme["visits"],
            territory=bethune,
            period="2025",
            value=Decimal("1"),
        )
        assert (
            _save(
                coordinator,
                indicator=grid_programme["visits"],
                territory=bethune,
                period="S2 2025",
                value=Decimal("3.5"),
            ).period.label
            == "S2 2025"
        )

    def test_a_target_is_a_year(self, grid_programme, coordinator, bethune):
        _refused(
            coordinator,
            "period",
            "Une cible porte sur une année",
            indicator=grid_programme["visits"],
            territory=bethune,
            period="S2 2026",
            series=Series.TARGET,
            value=Decimal("1"),
        )

    def test_unit_and_precision(self, grid_programme, coordinator, bethune):
        cell = {"territory": bethune, "period": "2025"}
        _refused(
            coordinator, "value", "pas de décimale", indicator=grid_programme["housing"], value=Decimal("2.5"), **cell
        )
        _refused(
            coordinator,
            "value",
            "12,25 a 2 décimales ; cet indicateur en admet 1 au plus",
            indicator=grid_programme["vacancy"],
            value=Decimal("12.25"),
            **cell,
        )
        _refused(
            coordinator,
            "value",
            "inférieure ou égale à 100,0",
            indicator=grid_programme["vacancy"],
            value=Decimal("120"),
            **cell,
        )
        _refused(
            coordinator,
            "value",
            "supérieure ou égale à 0",
            indicator=grid_programme["housing"],
            value=Decimal("-3"),
            **cell,
        )

    def test_one_value_per_cell_and_series(self, grid_programme, coordinator, bethune):
        cell = {"indicator": grid_programme["housing"], "territory": bethune, "period": "2025"}
        _save(coordinator, value=Decimal("412"), **cell)
        _refused(
            coordinator, "__all__", "Une valeur « mesuré » existe déjà pour Ville de Béthune, 2025", value=1, **cell
        )
        # The estimate of the same cell is another series: it may stand beside the measure.
        _save(coordinator, value=Decimal("400"), series=Series.ESTIMATED, **cell)
        assert IndicatorValue.objects.filter(territory=bethune).count() == 2

    @pytest.mark.parametrize("persona", ["referent_bethune", "partner_bdt", "committee_member", "outsider"])
    def test_only_the_coordination_writes(self, request, grid_programme, bethune, persona):
        with pytest.raises(PermissionDenied):
            _save(
                request.getfixturevalue(persona),
                indicator=grid_programme["housing"],
                territory=bethune,
                period="2025",
                value=Decimal("1"),
            )
        assert not IndicatorValue.objects.exists()


@pytest.mark.django_db
class TestAPI:
    URL = "/api/v1/indicator-values/"

    def test_created_through_the_service(self, grid_programme, api_for, coordinator, bethune):
        response = api_for("coordinator").post(
            self.URL,
            {"indicator": grid_programme["vacancy"].pk, "territory": bethune.pk, "period": "2025", "value": "12.5"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["period"], body["period_label"], body["series"], body["entered_by"]) == (
            "2025",
            "2025",
            "measured",
            coordinator.pk,
        )
        assert IndicatorValue.objects.get().value == Decimal("12.5")

    @pytest.mark.parametrize(
        ("change", "field", "text"),
        [
            ({"territory": "bdt"}, "territory", "est de type agence / opérateur"),
            ({"period": "S1 2025"}, "period", "fréquence annuelle"),
            ({"period": "S5 2025"}, "period", "n'est pas une période"),
            ({"value": "12.25"}, "value", "cet indicateur en admet 1 au plus"),
            ({"value": "101"}, "value", "inférieure ou égale à 100,0"),
        ],
    )
    def test_refused_with_a_french_400_and_nothing_stored(
        self, request, grid_programme, api_for, coordinator, bethune, change, field, text
    ):
        data = {"indicator": grid_programme["vacancy"].pk, "territory": bethune.pk, "period": "2025", "value": "12.5"}
        if change.get("territory"):
            change = {"territory": request.getfixturevalue(change["territory"]).pk}
        response = api_for("coordinator").post(self.URL, {**data, **change}, format="json")
        assert response.status_code == 400
        assert any(text in message for message in response.json()["fields"][field]), response.json()
        assert not IndicatorValue.objects.exists()

    def test_duplicate_is_a_400(self, grid_programme, api_for, coordinator, bethune):
        data = {"indicator": grid_programme["vacancy"].pk, "territory": bethune.pk, "period": "2025", "value": "12.5"}
        client = api_for("coordinator")
        assert client.post(self.URL, data, format="json").status_code == 201
        response = client.post(self.URL, {**data, "value": "13"}, format="json")
        assert response.status_code == 400
        assert "existe déjà" in response.json()["fields"]["non_field_errors"][0]
        assert list(IndicatorValue.objects.values_list("value", flat=True)) == [Decimal("12.5")]

    def test_patch_runs_the_same_rules(self, grid_programme, api_for, coordinator, bethune):
        value = _save(
            coordinator, indicator=grid_programme["vacancy"], territory=bethune, period="2025", value=Decimal("12.5")
        )
        client = api_for("coordinator")
        assert client.patch(f"{self.URL}{value.pk}/", {"value": "12.55"}, format="json").status_code == 400
        response = client.patch(f"{self.URL}{value.pk}/", {"value": "11.5", "note": "corrigé"}, format="json")
        assert response.status_code == 200
        value.refresh_from_db()
        assert (value.value, value.note, value.history.count()) == (Decimal("11.5"), "corrigé", 2)

    @pytest.mark.parametrize("persona", ["referent_bethune", "partner_bdt", "committee_member"])
    def test_readers_read_and_may_not_write(self, grid_programme, api_for, coordinator, bethune, persona):
        value = _save(
            coordinator, indicator=grid_programme["vacancy"], territory=bethune, period="2025", value=Decimal("12.5")
        )
        client = api_for(persona)
        assert [row["id"] for row in client.get(self.URL).json()["results"]] == [value.pk]
        assert client.patch(f"{self.URL}{value.pk}/", {"value": "1"}, format="json").status_code == 403
        value.refresh_from_db()
        assert value.value == Decimal("12.5")
