"""Loading the fiches of the fixture files (see conventions.reference_data for the rules)."""

from decimal import Decimal, InvalidOperation

from actions.models import Action, Milestone, Operation, QualityNote, ResultIndicator
from conventions import reference_data as ref
from conventions.models import Objective, PriorityNeighbourhood
from financing.reference_data import load_funding_lines


def money(ctx, value):
    """Fixture amounts are quoted strings: a YAML float would already have lost the cents."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        ctx.fail(f"montant {value!r} écrit comme un nombre : mettez-le entre guillemets")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        ctx.fail(f"montant illisible {value!r}")


def fuzzy_date(ctx, prefix, value):
    value = value or {}
    return {
        f"{prefix}_on": value.get("date"),
        f"{prefix}_until": value.get("until"),
        f"{prefix}_precision": value.get("precision") or ("unknown" if not value.get("date") else "day"),
        f"{prefix}_text": ref.text(value.get("text")),
    }


def cost(ctx, value):
    value = value or {}
    return {
        "cost_kind": value.get("kind") or "unknown",
        "cost_amount": money(ctx, value.get("amount")),
        "cost_min": money(ctx, value.get("min")),
        "cost_max": money(ctx, value.get("max")),
        "cost_per_year": bool(value.get("per_year")),
        "cost_basis": value.get("basis") or "",
        "cost_text": ref.text(value.get("text")),
    }


def load_actions(ctx, rows):
    where = ctx.where
    for row in rows:
        ctx.where = f"{where}, fiche {row.get('code')}"
        conv = ref.convention(ctx, row["convention"])
        prog = conv.programme
        exists = Action.objects.filter(convention=conv, code=row["code"]).exists()
        source = row.get("source") or {}
        values = {
            "amendment": ref.amendment(ctx, row.get("amendment")),
            "title": row["title"],
            "kind": row["kind"],
            "project_type": row.get("project_type") or "action",
            "territory": ref.organisation(ctx, row["territory"]),
            "project_owner": ref.organisation(ctx, row.get("project_owner")),
            "sub_axis": ref.sub_axis(ctx, prog, row.get("sub_axis")),
            "status": row.get("status") or "unknown",
            "description": ref.text(row.get("description")),
            "objectives": ref.text(row.get("objectives")),
            "stakeholders": ref.text(row.get("stakeholders")),
            "funding_text": ref.text(row.get("funding_text")),
            "source_document": ref.text(source.get("document")),
            "source_reference": ref.text(source.get("reference")),
            "call": ref.call_for_projects(ctx, prog.code, row.get("call")),
            "dossier_decision": row.get("dossier_decision") or "",
            **cost(ctx, row.get("cost")),
            **fuzzy_date(ctx, "start", row.get("start")),
            **fuzzy_date(ctx, "end", row.get("end")),
        }
        m2m = {
            "axes": [ref.axis(ctx, prog, number) for number in row.get("axes") or []],
            "partners": [ref.organisation(ctx, key) for key in row.get("partners") or []],
            "operational_objectives": [_objective(ctx, prog, code) for code in row.get("operational_objectives") or []],
            "neighbourhoods": [_neighbourhood(ctx, key) for key in row.get("neighbourhoods") or []],
        }
        action = ref.upsert(ctx, Action, {"convention": conv, "code": row["code"]}, values, m2m=m2m)
        if exists and not ctx.update:
            continue
        operations = _load_children(ctx, action, Operation, row.get("operations"), _operation_values)
        _load_children(ctx, action, Milestone, row.get("milestones"), _milestone_values)
        _load_children(ctx, action, ResultIndicator, row.get("result_indicators"), _indicator_values)
        _load_children(ctx, action, QualityNote, row.get("quality_notes"), _note_values)
        load_funding_lines(ctx, action, row.get("funding_lines") or [], operations, money)
    ctx.where = where


def _objective(ctx, programme, code):
    return ctx.find(
        Objective, f"objectif opérationnel inconnu « {code} »", sub_axis__axis__programme=programme, code=str(code)
    )


def _neighbourhood(ctx, key):
    return ctx.find(PriorityNeighbourhood, f"quartier prioritaire inconnu « {key} »", key=key)


def load_call_notes(ctx, rows):
    """Where a programme's report disagrees with itself about a call for projects (129 or 127 projects
    retained): {programme, year, field, description, values}, an open quality note of the call."""
    for row in rows:
        call = ref.call_for_projects(ctx, row["programme"], row["year"])
        ref.upsert(
            ctx,
            QualityNote,
            {"call": call, "field": ref.text(row["field"]), "description": ref.text(row["description"])},
            {"values": row.get("values") or []},
        )


def _load_children(ctx, action, model, rows, to_values):
    children = []
    for position, row in enumerate(rows or []):
        lookup = {"action": action, "position": position} if hasattr(model, "position") else None
        values = to_values(ctx, row)
        if lookup is None:  # quality notes are matched on what they are about
            lookup = {"action": action, "field": values.pop("field"), "description": values.pop("description")}
        children.append(ref.upsert(ctx, model, lookup, values))
    return children


def _operation_values(ctx, row):
    return {
        "reference": ref.text(row.get("reference")),
        "name": ref.text(row.get("name")) or ref.text(row.get("description"))[:400],
        "description": ref.text(row.get("description")),
        "funding_text": ref.text(row.get("funding_text")),
        **cost(ctx, row.get("cost")),
        **fuzzy_date(ctx, "start", row.get("start")),
        **fuzzy_date(ctx, "end", row.get("end")),
    }


def _milestone_values(ctx, row):
    planned = fuzzy_date(ctx, "planned", row.get("planned"))
    return {"label": ref.text(row["label"]), **planned}


def _indicator_values(ctx, row):
    """A result indicator as written: its label, and where the document gives them, its target (a figure with
    its unit, its words), its échéance (a fuzzy date) and what was reached."""
    target, achieved = _written(row.get("target")), _written(row.get("achieved"))
    return {
        "label": ref.text(row["label"]),
        "unit": ref.text(row.get("unit")),
        "target_value": money(ctx, target.get("value")),
        "target_text": ref.text(target.get("text")),
        **fuzzy_date(ctx, "due", row.get("due")),
        "achieved_value": money(ctx, achieved.get("value")),
        "achieved_text": ref.text(achieved.get("text")),
        "achieved_on": achieved.get("on"),
    }


def _written(value):
    """{value, text} from a mapping, or from a plain string (the words alone)."""
    return value if isinstance(value, dict) else {"text": value}


def _note_values(ctx, row):
    return {
        "field": ref.text(row.get("field")),
        "description": ref.text(row["description"]),
        "values": row.get("values") or [],
    }


def _fiche(ctx, convention, code):
    found = Action.objects.filter(convention=convention, code=code).first()
    if found is None:
        ctx.fail(f"fiche inconnue « {code} »")
    return found


def load_document_fiches(ctx, rows):
    """What each document does to its fiches (ActionDocument), and each carried fiche frozen as that document
    signed it (ActionSnapshot, origin « données de référence »): built from the reference data just loaded,
    once — a second run finds them and writes nothing; --update rewrites a snapshot that differs."""
    from actions.models import CARRIED_KINDS, ActionDocument, ActionSnapshot, SnapshotOrigin
    from actions.services import snapshot_take

    for row in rows:
        conv = ref.convention(ctx, row["convention"])
        amend = ref.amendment(ctx, row.get("amendment"))
        kind = row["kind"]
        for code in row.get("fiches") or []:
            action = _fiche(ctx, conv, code)
            ref.upsert(
                ctx,
                ActionDocument,
                {"action": action, "convention": conv, "amendment": amend},
                {"kind": kind, "reference": ref.text(row["reference"]), "note": ref.text(row.get("note"))},
            )
            if kind in CARRIED_KINDS:
                existed = ActionSnapshot.objects.filter(action=action, convention=conv, amendment=amend).exists()
                snapshot_take(
                    action=action, convention=conv, amendment=amend, origin=SnapshotOrigin.REFERENCE, replace=ctx.update
                )
                if not existed:
                    ctx.count("created", ActionSnapshot)


def load_action_links(ctx, rows):
    from actions.models import ActionLink

    for row in rows:
        conv = ref.convention(ctx, row["convention"])
        ref.upsert(
            ctx,
            ActionLink,
            {"earlier": _fiche(ctx, conv, row["earlier"]), "later": _fiche(ctx, conv, row["later"])},
            {
                "kind": row["kind"],
                "inferred": bool(row.get("inferred")),
                "reference": ref.text(row.get("reference")),
                "reason": ref.text(row.get("reason")),
            },
        )


def load_balance(ctx, rows):
    """A balance's figures as written, then its differences with the fiches as quality notes of the avenant."""
    from actions.services import balance_notes_record

    items = ref.load_balance_items(ctx, rows, money)
    for amend in {item.amendment for item in items}:
        for note, created in balance_notes_record(amendment=amend):
            ctx.count("created" if created else "updated", type(note))
