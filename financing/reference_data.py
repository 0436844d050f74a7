"""Loading funding schemes, envelopes and the funding lines of fiches (see conventions.reference_data)."""

from conventions import reference_data as ref
from financing.models import Envelope, FundingLine, FundingScheme


def scheme(ctx, code):
    if not code:
        return None
    return ctx.find(FundingScheme, f"dispositif inconnu « {code} »", code=code)


def load_schemes(ctx, rows, money):
    for row in rows:
        ref.upsert(
            ctx,
            FundingScheme,
            {"code": row["code"]},
            {
                "name": row["name"],
                "funder": ref.organisation(ctx, row.get("funder")),
                "max_rate": money(ctx, row.get("max_rate")),
                "max_amount": money(ctx, row.get("max_amount")),
                "at_most_share_of": row.get("at_most_share_of") or "",
                "description": ref.text(row.get("description")),
                "source": ref.text(row.get("source")),
            },
        )


def load_envelopes(ctx, rows, money):
    for row in rows:
        ref.upsert(
            ctx,
            Envelope,
            {"key": row["key"]},
            {
                "funder": ref.organisation(ctx, row["funder"]),
                "territory": ref.organisation(ctx, row.get("territory")),
                "scheme": scheme(ctx, row.get("scheme")),
                "programme": ref.programme(ctx, row["programme"]) if row.get("programme") else None,
                "period_start": row["period_start"],
                "period_end": row["period_end"],
                "ceiling": money(ctx, row["ceiling"]),
                "description": ref.text(row.get("description")),
                "source": ref.text(row.get("source")),
            },
        )


def load_funding_lines(ctx, action, rows, operations, money):
    by_name = {operation.name: operation for operation in operations}
    for position, row in enumerate(rows):
        operation = row.get("operation")
        if operation is not None:
            if operation not in by_name:
                ctx.fail(f"ligne de financement {position + 1} : la fiche n'a pas d'opération « {operation} »")
            operation = by_name[operation]
        ref.upsert(
            ctx,
            FundingLine,
            {"action": action, "position": position},
            {
                "operation": operation,
                "funder": ref.organisation(ctx, row["funder"]),
                "scheme": scheme(ctx, row.get("scheme")),
                "nature": row.get("nature") or "",
                "amount": money(ctx, row.get("amount")),
                "share": money(ctx, row.get("share")),
                "basis": row.get("basis") or "",
                "status": row.get("status") or "planned",
                "source_text": ref.text(row.get("text"))[:500],
                "note": ref.text(row.get("note")),
            },
        )


def load_programme_schemes(ctx, rows):
    """Which schemes apply to a programme (programme configuration): {programme, schemes: [codes]}."""
    for row in rows:
        prog = ref.programme(ctx, row["programme"])
        for code in row.get("schemes") or []:
            found = scheme(ctx, code)
            if not found.programmes.filter(pk=prog.pk).exists():
                found.programmes.add(prog)
                ctx.count("updated", FundingScheme)
