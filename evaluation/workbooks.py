"""The grid's values, both ways (see acv.workbooks): the « grille » kind of import and export, one row per value
(indicator × place × period × series), written and read by evaluation.services.indicator_value_save.

The period is written as people write it (« 2025 », « S1 2025 », « T2 2025 », « 31/03/2025 ») and read back by
Period.parse, which says in French what it cannot read.
"""

from dataclasses import dataclass

from acv.workbooks import CHOICE, DATE, DECIMAL, INT, TEXT, Column, SheetSpec
from conventions.models import Organisation, PriorityNeighbourhood, Sector
from evaluation.models import DataSource, Indicator, IndicatorValue, Series

VALUES_SHEET = "Valeurs"
VALUE_FIELDS = (
    "indicator",
    "territory",
    "sector",
    "neighbourhood",
    "period",
    "series",
    "value",
    "source",
    "measured_on",
    "note",
)


@dataclass
class GridLookups:
    indicators: dict
    organisations: dict
    sectors: dict
    neighbourhoods: dict
    sources: dict

    @classmethod
    def load(cls, user):
        """The indicators of the programme the user works in (visible_to); the perimeters are shared."""
        return cls(
            indicators=dict(Indicator.objects.visible_to(user).values_list("pk", "name")),
            organisations=dict(Organisation.objects.values_list("pk", "name")),
            sectors=dict(Sector.objects.values_list("pk", "key")),
            neighbourhoods=dict(PriorityNeighbourhood.objects.values_list("pk", "key")),
            sources=dict(DataSource.objects.values_list("pk", "key")),
        )


def values_sheet(lookups: GridLookups) -> SheetSpec:
    return SheetSpec(
        VALUES_SHEET,
        [
            Column("N° interne", "id", lambda value: value.pk, INT, editable=False, width=10),
            Column("N° de l'indicateur", "indicator", lambda value: value.indicator_id, INT, mandatory=True, width=10),
            Column(
                "Indicateur",
                "indicator_name",
                lambda value: lookups.indicators.get(value.indicator_id, ""),
                TEXT,
                editable=False,
                width=50,
            ),
            Column("Territoire", "territory", lambda value: value.territory_id, CHOICE, choices=lookups.organisations),
            Column("Secteur", "sector", lambda value: value.sector_id, CHOICE, choices=lookups.sectors),
            Column(
                "Quartier prioritaire",
                "neighbourhood",
                lambda value: value.neighbourhood_id,
                CHOICE,
                choices=lookups.neighbourhoods,
            ),
            Column("Période", "period", lambda value: value.period.label, TEXT, mandatory=True, width=12),
            Column("Série", "series", lambda value: value.series, CHOICE, mandatory=True, choices=dict(Series.choices)),
            Column("Valeur", "value", lambda value: value.value, DECIMAL, mandatory=True),
            Column("Source", "source", lambda value: value.source_id, CHOICE, choices=lookups.sources, width=20),
            Column("Date de la mesure", "measured_on", lambda value: value.measured_on, DATE, width=13),
            Column("Remarque", "note", lambda value: value.note, width=40),
        ],
    )


def values_for_workbook(values):
    return values.order_by("indicator_id", "territory_id", "neighbourhood_id", "sector_id", "year", "number", "pk")


def value_state(value):
    """The values of a value's editable columns, as an import compares them."""
    state = {
        name: getattr(value, IndicatorValue._meta.get_field(name).attname) for name in VALUE_FIELDS if name != "period"
    }
    state["period"] = value.period.label
    return state
