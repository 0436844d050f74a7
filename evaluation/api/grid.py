"""The grid matrix as JSON: built from evaluation.grid.build_grid (no query here), described for the OpenAPI
schema by the serializers below (they document the shape; the data is assembled by grid_data)."""

from rest_framework import serializers

from evaluation.grid import Grid


def _value(value):
    if value is None:
        return None
    return {
        "id": value.pk,
        "value": _plain_number(value.value),
        "series": value.series,
        "period": value.period.key,
        "period_label": value.period.label,
        "source": value.source_id,
        "measured_on": value.measured_on.isoformat() if value.measured_on else None,
    }


def _plain_number(value):
    return format(value.normalize(), "f")


def grid_data(grid: Grid) -> dict:
    """The matrix of the page, as the API gives it."""
    periods = [{"key": period.key, "label": period.label, "kind": period.kind} for period in grid.periods]
    places = [
        {
            "key": place.key,
            "territory": place.territory.pk if place.territory else None,
            "sector": place.sector.pk if place.sector else None,
            "neighbourhood": place.neighbourhood.pk if place.neighbourhood else None,
            "label": place.label,
            "kind": place.kind,
        }
        for place in grid.places
    ]
    axes = []
    for axis_rows in grid.axes:
        criteria = []
        for group in axis_rows.criteria:
            indicators = []
            for row in group.indicators:
                indicator = row.indicator
                indicators.append(
                    {
                        "id": indicator.pk,
                        "name": indicator.name,
                        "unit": indicator.unit_label,
                        "unit_kind": indicator.unit_kind,
                        "decimal_places": indicator.places,
                        "direction": indicator.direction,
                        "scope": indicator.scope,
                        "frequency": indicator.frequency,
                        "sources": [source.pk for source in indicator.sources.all()],
                        "cells": [
                            {
                                "place": place_row.place.key,
                                "baseline": _value(place_row.baseline),
                                "target": _value(place_row.target),
                                "latest": _value(place_row.latest),
                                "trend": place_row.trend,
                                "trend_label": place_row.trend_label,
                                "values": {cell.period.key: _value(cell.value) for cell in place_row.cells},
                            }
                            for place_row in row.places
                        ],
                    }
                )
            criteria.append(
                {
                    "id": group.criterion.pk,
                    "code": group.criterion.code,
                    "title": group.criterion.title,
                    "indicators": indicators,
                }
            )
        axis = axis_rows.axis
        axes.append(
            {
                "id": axis.pk if axis else None,
                "number": axis.number if axis else None,
                "title": axis_rows.title,
                "criteria": criteria,
            }
        )
    filters = grid.filters
    return {
        "programme": grid.programme.pk if grid.programme else None,
        "filters": {
            "axis": filters["axis"].pk if filters.get("axis") else None,
            "territory": filters["territory"].pk if filters.get("territory") else None,
            "sector": filters["sector"].pk if filters.get("sector") else None,
            "neighbourhood": filters["neighbourhood"].pk if filters.get("neighbourhood") else None,
            "period": filters["period"].key if filters.get("period") else None,
        },
        "periods": periods,
        "places": places,
        "axes": axes,
    }


# --- Documentation of the shape --------------------------------------------------------------------------


class GridValueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    value = serializers.CharField(help_text="Nombre décimal en texte (point décimal), sans unité.")
    series = serializers.ChoiceField(choices=["initial", "target", "measured", "estimated"])
    period = serializers.CharField(help_text="Clé de la période : 2025, 2025-S1, 2025-T2, 2025-03-31.")
    period_label = serializers.CharField()
    source = serializers.IntegerField(allow_null=True)
    measured_on = serializers.DateField(allow_null=True)


class GridCellSerializer(serializers.Serializer):
    place = serializers.CharField(help_text="Clé du territoire (voir `places`).")
    baseline = GridValueSerializer(allow_null=True, help_text="Dernier état initial.")
    target = GridValueSerializer(allow_null=True, help_text="Dernière cible (son année est sa période).")
    latest = GridValueSerializer(allow_null=True, help_text="Dernière valeur mesurée, toutes périodes.")
    trend = serializers.ChoiceField(choices=["better", "worse", "stable", "up", "down", "unknown"])
    trend_label = serializers.CharField(help_text="mieux, moins bien, stable, en hausse, en baisse…")
    values = serializers.DictField(
        child=GridValueSerializer(allow_null=True),
        help_text="Par clé de période demandée : la valeur mesurée, sinon estimée, sinon null.",
    )


class GridIndicatorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    unit_kind = serializers.CharField()
    decimal_places = serializers.IntegerField()
    direction = serializers.CharField()
    scope = serializers.CharField()
    frequency = serializers.CharField()
    sources = serializers.ListField(child=serializers.IntegerField())
    cells = GridCellSerializer(many=True)


class GridCriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    indicators = GridIndicatorSerializer(many=True)


class GridAxisSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    criteria = GridCriterionSerializer(many=True)


class GridPeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()


class GridPlaceSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="« 3 » (territoire), « 3-5 » (secteur ORT 5 de 3), « q2 » (quartier 2).")
    territory = serializers.IntegerField(allow_null=True, help_text="Commune ou EPCI ; null pour un quartier.")
    sector = serializers.IntegerField(allow_null=True)
    neighbourhood = serializers.IntegerField(allow_null=True, help_text="Quartier prioritaire (QPV), sinon null.")
    label = serializers.CharField()
    kind = serializers.CharField(help_text="commune, epci, sector ou neighbourhood (quartier prioritaire).")


class GridFiltersSerializer(serializers.Serializer):
    axis = serializers.IntegerField(allow_null=True)
    territory = serializers.IntegerField(allow_null=True)
    sector = serializers.IntegerField(allow_null=True)
    neighbourhood = serializers.IntegerField(allow_null=True)
    period = serializers.CharField(allow_null=True)


class GridSerializer(serializers.Serializer):
    programme = serializers.IntegerField(allow_null=True)
    filters = GridFiltersSerializer()
    periods = GridPeriodSerializer(many=True)
    places = GridPlaceSerializer(many=True)
    axes = GridAxisSerializer(many=True)


_BASELINE = {
    "id": 7,
    "value": "412",
    "series": "initial",
    "period": "2022",
    "period_label": "2022",
    "source": 2,
    "measured_on": None,
}
_MEASURED = {**_BASELINE, "id": 9, "value": "388", "series": "measured", "period": "2025", "period_label": "2025"}
GRID_EXAMPLE = {
    "programme": 1,
    "filters": {"axis": 1, "territory": 3, "sector": None, "neighbourhood": None, "period": "2025"},
    "periods": [{"key": "2025", "label": "2025", "kind": "year"}],
    "places": [
        {"key": "3", "territory": 3, "sector": None, "neighbourhood": None, "label": "Béthune", "kind": "commune"}
    ],
    "axes": [
        {
            "id": 1,
            "number": "1",
            "title": "Axe 1 – De la réhabilitation à la restructuration…",
            "criteria": [
                {
                    "id": 1,
                    "code": "1.1",
                    "title": "Le nombre de logements insalubres est réduit",
                    "indicators": [
                        {
                            "id": 1,
                            "name": "Nombre de logements vacants",
                            "unit": "logements",
                            "unit_kind": "count",
                            "decimal_places": 0,
                            "direction": "down",
                            "scope": "local",
                            "frequency": "year",
                            "sources": [1, 2, 3],
                            "cells": [
                                {
                                    "place": "3",
                                    "baseline": _BASELINE,
                                    "target": {
                                        **_BASELINE,
                                        "id": 8,
                                        "value": "300",
                                        "series": "target",
                                        "period": "2026",
                                        "period_label": "2026",
                                    },
                                    "latest": _MEASURED,
                                    "trend": "better",
                                    "trend_label": "mieux",
                                    "values": {"2025": _MEASURED},
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}
