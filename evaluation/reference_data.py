"""Loading the evaluation grid of Article 8 (see conventions.reference_data)."""

from conventions import reference_data as ref
from evaluation.models import Criterion, DataSource, Frequency, Indicator, IndicatorScope, UnitKind

# The grid writes no unit kind: it is read from the unit, « % » a percentage, a noun a count.
COUNT_UNITS = {"logements", "commerces", "chantiers", "équipements", "pôles culturels"}


def unit_kind_of(unit):
    """(unit kind, decimal places) an indicator gets when its row does not say."""
    if unit == "%":
        return UnitKind.PERCENT, 1
    if unit in COUNT_UNITS:
        return UnitKind.COUNT, 0
    return UnitKind.QUANTITY, 2


def load_data_sources(ctx, rows):
    for row in rows:
        ref.upsert(
            ctx,
            DataSource,
            {"key": row["key"]},
            {
                "name": row["name"],
                "producer": ref.text(row.get("producer")),
                "description": ref.text(row.get("description")),
            },
        )


def load_criteria(ctx, rows):
    for position, row in enumerate(rows):
        prog = ref.programme(ctx, row["programme"])
        axis = ref.axis(ctx, prog, row["axis"]) if row.get("axis") not in (None, "") else None
        criterion = ref.upsert(
            ctx,
            Criterion,
            {"programme": prog, "code": str(row["code"])},
            {"axis": axis, "title": row["title"], "position": position},
        )
        for index, item in enumerate(row.get("indicators") or []):
            sources = []
            for key in item.get("sources") or []:
                sources.append(ctx.find(DataSource, f"source de données inconnue « {key} »", key=key))
            unit = ref.text(item.get("unit"))
            kind, places = unit_kind_of(unit)
            ref.upsert(
                ctx,
                Indicator,
                {"criterion": criterion, "position": index},
                {
                    "name": item["name"],
                    "unit": unit,
                    "unit_kind": item.get("unit_kind") or kind,
                    "decimal_places": item.get("decimal_places", places),
                    "perimeter": ref.text(item.get("perimeter")),
                    "direction": item.get("direction") or "",
                    # The 2018 convention announces « certains indicateurs communs au Programme national »
                    # without naming them: local unless the row says so.
                    "scope": item.get("scope") or IndicatorScope.LOCAL,
                    "frequency": item.get("frequency") or Frequency.YEAR,
                    "note": ref.text(item.get("note")),
                },
                m2m={"sources": sources},
            )
