"""Loading the evaluation grid of Article 8 (see conventions.reference_data)."""

from conventions import reference_data as ref
from evaluation.models import Criterion, DataSource, Indicator


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
                source = DataSource.objects.filter(key=key).first()
                if source is None:
                    ctx.fail(f"source de données inconnue « {key} »")
                sources.append(source)
            ref.upsert(
                ctx,
                Indicator,
                {"criterion": criterion, "position": index},
                {
                    "name": item["name"],
                    "unit": ref.text(item.get("unit")),
                    "perimeter": ref.text(item.get("perimeter")),
                    "direction": item.get("direction") or "",
                    "note": ref.text(item.get("note")),
                },
                m2m={"sources": sources},
            )
