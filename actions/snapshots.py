"""A fiche frozen as JSON — its fields, axes, partners, operations and funding lines — and the field-by-field
difference between two frozen states.

One format for the fiche as a document signed it (ActionSnapshot.data), as it is today (freeze_many) and as it
was on a date (freeze_as_of, from django-simple-history), so that one diff compares any two of them. Names of
related rows (funder, commune, scheme…) are frozen with their ids: a snapshot reads as it was signed even if an
organisation is renamed later. What a reader may see of a frozen state is cut by for_viewer, with the rule of
today's lines (FundingLine visible_to).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max

from acv.values import format_cost, format_euros, format_fuzzy_date
from conventions import roles
from conventions.models import Axis, Organisation, Programme, SubAxis

# The fiche's own fields a snapshot keeps (the derived search column and bookkeeping are left out).
FICHE_FIELDS = [
    "code",
    "title",
    "kind",
    "project_type",
    "territory",
    "project_owner",
    "sub_axis",
    "status",
    "description",
    "objectives",
    "stakeholders",
    "funding_text",
    "cost_kind",
    "cost_amount",
    "cost_min",
    "cost_max",
    "cost_per_year",
    "cost_basis",
    "cost_text",
    "start_on",
    "start_precision",
    "start_until",
    "start_text",
    "end_on",
    "end_precision",
    "end_until",
    "end_text",
    "source_document",
    "source_reference",
]
OPERATION_FIELDS = [
    "reference",
    "name",
    "description",
    "funding_text",
    "cost_kind",
    "cost_amount",
    "cost_min",
    "cost_max",
    "cost_per_year",
    "cost_basis",
    "cost_text",
    "start_on",
    "start_precision",
    "start_until",
    "start_text",
    "end_on",
    "end_precision",
    "end_until",
    "end_text",
    "position",
]
LINE_FIELDS = [
    "funder",
    "scheme",
    "nature",
    "amount",
    "share",
    "basis",
    "status",
    "operation",
    "decision_reference",
    "decision_date",
    "source_text",
    "note",
    "position",
]
# Foreign keys kept as [id, name]: the model that names them.
RELATED = {"territory": Organisation, "project_owner": Organisation, "funder": Organisation, "sub_axis": SubAxis}
# A partner reads another funder's settled lines, not the remarks of their negotiation (roles).
PRIVATE_LINE_FIELDS = ("source_text", "note")


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Names:
    """Names of related rows, loaded in one query per model whatever the number of fiches."""

    def __init__(self):
        self.wanted, self.names = {}, {}

    def want(self, model, pk):
        if pk is not None:
            self.wanted.setdefault(model, set()).add(pk)

    def load(self):
        from financing.models import FundingScheme

        for model, pks in self.wanted.items():
            label = (lambda obj: obj.name) if model in (Organisation, FundingScheme) else str
            self.names[model] = {obj.pk: label(obj) for obj in model._base_manager.filter(pk__in=pks)}

    def pair(self, model, pk):
        return None if pk is None else [pk, self.names.get(model, {}).get(pk, f"n°{pk}")]


def _row(obj, names_of, fields, names):
    """One frozen row: plain values as JSON, foreign keys as [id, name]."""
    data = {}
    for name in fields:
        if name in names_of:
            data[name] = names.pair(names_of[name], getattr(obj, f"{name}_id"))
        else:
            data[name] = _json(getattr(obj, name))
    return data


def _assemble(fiches, axes, partners, operations, lines):
    """The frozen form of each fiche from rows already read: {action id: data}. `fiches` are Action (or
    historical) rows; the others {action id: [...]} of axis ids, partner ids, operation and line rows."""
    from financing.models import FundingScheme

    names = _Names()
    for fiche in fiches:
        for name in ("territory", "project_owner"):
            names.want(Organisation, getattr(fiche, f"{name}_id"))
        names.want(SubAxis, fiche.sub_axis_id)
        for pk in axes.get(fiche.id, ()):
            names.want(Axis, pk)
        for pk in partners.get(fiche.id, ()):
            names.want(Organisation, pk)
        for line in lines.get(fiche.id, ()):
            names.want(Organisation, line.funder_id)
            names.want(FundingScheme, line.scheme_id)
    names.load()
    operation_names = {}
    for rows in operations.values():
        for operation in rows:
            operation_names[operation.id] = operation.name
    frozen = {}
    for fiche in fiches:
        fiche_operations = sorted(operations.get(fiche.id, ()), key=lambda row: (row.position, row.id))
        fiche_lines = sorted(lines.get(fiche.id, ()), key=lambda row: (row.position, row.id))
        frozen[fiche.id] = {
            "fields": _row(fiche, RELATED, FICHE_FIELDS, names),
            "axes": sorted((names.pair(Axis, pk) for pk in axes.get(fiche.id, ())), key=lambda pair: pair[1]),
            "partners": sorted(
                (names.pair(Organisation, pk) for pk in partners.get(fiche.id, ())), key=lambda pair: pair[1]
            ),
            "operations": [{"id": row.id, **_row(row, {}, OPERATION_FIELDS, names)} for row in fiche_operations],
            "funding_lines": [
                {
                    "id": row.id,
                    **_row(row, {"funder": Organisation, "scheme": FundingScheme}, LINE_FIELDS, names),
                    "operation": None
                    if row.operation_id is None
                    else [row.operation_id, operation_names.get(row.operation_id, f"n°{row.operation_id}")],
                }
                for row in fiche_lines
            ],
            "version": getattr(fiche, "version", None),
        }
    return frozen


def freeze_many(actions):
    """{action id: frozen data} of these fiches as they are now, in a fixed number of queries. `actions` is a
    queryset of fiches (restricted or not: what a reader may see is cut later by for_viewer)."""
    from actions.models import Action, Operation
    from financing.models import FundingLine

    fiches = list(actions.order_by("pk"))
    pks = [fiche.pk for fiche in fiches]
    axes, partners, operations, lines = {}, {}, {}, {}
    for row in Action.axes.through.objects.filter(action_id__in=pks).values("action_id", "axis_id"):
        axes.setdefault(row["action_id"], []).append(row["axis_id"])
    for row in Action.partners.through.objects.filter(action_id__in=pks).values("action_id", "organisation_id"):
        partners.setdefault(row["action_id"], []).append(row["organisation_id"])
    for operation in Operation.objects.filter(action_id__in=pks):
        operations.setdefault(operation.action_id, []).append(operation)
    for line in FundingLine.objects.filter(action_id__in=pks):
        lines.setdefault(line.action_id, []).append(line)
    return _assemble(fiches, axes, partners, operations, lines)


def freeze(action):
    return freeze_many(type(action).objects.filter(pk=action.pk))[action.pk]


def _latest_before(history, when, **scope):
    """The last history row of each object in `scope` recorded at or before `when`, deletions left out."""
    latest = (
        history.filter(history_date__lte=when, **scope).order_by().values("id").annotate(last=Max("history_id"))
    ).values("last")
    return list(history.filter(history_id__in=latest).exclude(history_type="-"))


def freeze_as_of(action, when):
    """The fiche as the history recorded it at `when` (a datetime), in the frozen format; None when the fiche
    did not exist yet. A fixed number of queries."""
    from actions.history import M2M_HISTORY
    from actions.models import Action, Operation
    from financing.models import FundingLine

    record = (
        Action.history.filter(id=action.pk, history_date__lte=when)
        .prefetch_related(*(relation for relation, _column in M2M_HISTORY.values()))
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None or record.history_type == "-":
        return None
    m2m = {}
    for name, (relation, column) in M2M_HISTORY.items():
        m2m[name] = {record.id: [getattr(row, column) for row in getattr(record, relation).all()]}
    operations = {record.id: _latest_before(Operation.history, when, action_id=action.pk)}
    lines = {record.id: _latest_before(FundingLine.history, when, action_id=action.pk)}
    return _assemble([record], m2m["axes"], m2m["partners"], operations, lines)[record.id]


def for_viewer(data, viewer, *, current_lines, visible_lines, shows_funding_text):
    """What this reader may see of a frozen fiche: a partner gets its own lines, and of the other funders only
    the lines that were settled (accordé, versé) in this state and that it may still see today — or that no
    longer exist — without their remarks; the financing paragraph only when `shows_funding_text` (the signed
    text, for the document's signatories). `current_lines`: ids of the fiche's lines today; `visible_lines`:
    those among them this reader may see. Nothing says how many lines were left out."""
    data = {**data, "fields": dict(data["fields"])}
    if not shows_funding_text:
        data["fields"]["funding_text"] = ""
    if roles.sees_every_funding_line(viewer):
        return data
    organisation = roles.organisation_id_of(viewer)
    kept = []
    for line in data["funding_lines"]:
        own = line["funder"] and line["funder"][0] == organisation
        if own:
            kept.append(line)
            continue
        settled_then = line["status"] in roles.SETTLED_FUNDING_STATUSES
        still_readable = line["id"] in visible_lines or line["id"] not in current_lines
        if settled_then and still_readable:
            kept.append({**line, **dict.fromkeys(PRIVATE_LINE_FIELDS, "")})
    data["funding_lines"] = kept
    return data


# --- What a person reads of a frozen fiche, and the difference between two -------------------------------


CHOICES = {}


def _choices():
    """Labels of the coded values, read once from the models (imported late: models import this module's app)."""
    if not CHOICES:
        from actions.models import ActionKind, ActionStatus, ProjectType
        from financing.models import FundingStatus, Nature

        CHOICES.update(
            kind=dict(ActionKind.choices),
            project_type=dict(ProjectType.choices),
            status=dict(ActionStatus.choices),
            funding_status=dict(FundingStatus.choices),
            nature=dict(Nature.choices),
        )
    return CHOICES


def _decimal(value):
    return None if value in (None, "") else Decimal(value)


def _date(value):
    return None if not value else datetime.date.fromisoformat(value)


def _name(pair):
    return pair[1] if pair else "—"


def cost_label(row):
    return format_cost(
        row.get("cost_kind"),
        _decimal(row.get("cost_amount")),
        _decimal(row.get("cost_min")),
        _decimal(row.get("cost_max")),
        row.get("cost_per_year"),
        row.get("cost_basis"),
    )


def date_label(row, part):
    return format_fuzzy_date(
        _date(row.get(f"{part}_on")),
        row.get(f"{part}_precision"),
        row.get(f"{part}_text") or "",
        _date(row.get(f"{part}_until")),
    )


def _text(value):
    return value or "—"


def fiche_items(data, programme=None):
    """[(key, label, value as read)] of a frozen fiche, in the order of the fiche page, the nomenclature named in
    the words of `programme` (the model's defaults without one)."""
    fields, choices = data["fields"], _choices()
    words = programme if programme is not None else Programme()
    return [
        ("code", "Code", fields["code"]),
        ("title", "Intitulé", fields["title"]),
        ("kind", "Catégorie", str(choices["kind"].get(fields["kind"], fields["kind"]))),
        ("project_type", "Type de projet", str(choices["project_type"].get(fields["project_type"], "—"))),
        ("territory", "Commune", _name(fields["territory"])),
        (
            "project_owner",
            "Maître d'ouvrage",
            _name(fields["project_owner"]) if fields["project_owner"] else "à déterminer",
        ),
        ("axes", words.level1_title_plural, " ; ".join(pair[1] for pair in data["axes"]) or "—"),
        ("sub_axis", words.level2_title, _name(fields["sub_axis"])),
        ("status", "État", str(choices["status"].get(fields["status"], fields["status"]))),
        ("description", "Description générale", _text(fields["description"])),
        ("objectives", "Objectifs", _text(fields["objectives"])),
        ("stakeholders", "Intervenants", _text(fields["stakeholders"])),
        ("partners", "Partenaires", ", ".join(pair[1] for pair in data["partners"]) or "—"),
        ("cost", "Coût", cost_label(fields)),
        ("cost_text", "Coût tel qu'écrit", _text(fields["cost_text"])),
        ("funding_text", "Modalités de financement (texte)", _text(fields["funding_text"])),
        ("start", "Début", date_label(fields, "start")),
        ("end", "Fin", date_label(fields, "end")),
    ]


def operation_items(row):
    return [
        ("reference", "Réf.", _text(row["reference"])),
        ("name", "Opération", row["name"]),
        ("description", "Description", _text(row["description"])),
        ("cost", "Coût", cost_label(row)),
        ("start", "Début", date_label(row, "start")),
        ("end", "Fin", date_label(row, "end")),
        ("funding_text", "Financement (texte)", _text(row["funding_text"])),
    ]


def amount_label(row):
    amount = _decimal(row.get("amount"))
    figure = "à déterminer" if amount is None else format_euros(amount)
    return f"{figure} {row.get('basis') or ''}".strip()


def line_items(row):
    choices = _choices()
    share = _decimal(row.get("share"))
    decision = row.get("decision_reference") or ""
    if row.get("decision_date"):
        decision = f"{decision}, {_date(row['decision_date']):%d/%m/%Y}".strip(", ")
    return [
        ("funder", "Financeur", _name(row["funder"])),
        ("scheme", "Dispositif", _name(row["scheme"])),
        ("nature", "Nature", str(choices["nature"].get(row.get("nature") or "", "—")) or "—"),
        ("operation", "Opération", _name(row["operation"])),
        ("status", "État", str(choices["funding_status"].get(row["status"], row["status"]))),
        ("amount", "Montant", amount_label(row)),
        ("share", "Part", "—" if share is None else f"{share.normalize():f} %".replace(".", ",")),
        ("decision", "Décision", decision or "—"),
    ]


def line_title(row):
    return f"{_name(row['funder'])} – {amount_label(row)}"


@dataclass
class FieldChange:
    key: str
    label: str
    before: str
    after: str


@dataclass
class RowChange:
    """An operation or a funding line that was added, removed or changed between two states."""

    kind: str  # "added", "removed" or "changed"
    title: str
    changes: list = field(default_factory=list)

    @property
    def kind_label(self):
        return {"added": "ajoutée", "removed": "retirée", "changed": "modifiée"}[self.kind]


@dataclass
class FicheDiff:
    fields: list = field(default_factory=list)
    operations: list = field(default_factory=list)
    funding_lines: list = field(default_factory=list)

    @property
    def is_empty(self):
        return not (self.fields or self.operations or self.funding_lines)


def _item_changes(before, after):
    old = {key: (label, value) for key, label, value in before}
    return [
        FieldChange(key, label, old[key][1], value)
        for key, label, value in after
        if key in old and old[key][1] != value
    ]


def _rows_diff(before, after, items, title):
    changes = []
    old = {row["id"]: row for row in before}
    new = {row["id"]: row for row in after}
    for row in after:
        if row["id"] not in old:
            changes.append(RowChange("added", title(row), [FieldChange(k, lbl, "—", v) for k, lbl, v in items(row)]))
        else:
            moved = _item_changes(items(old[row["id"]]), items(row))
            if moved:
                changes.append(RowChange("changed", title(row), moved))
    for row in before:
        if row["id"] not in new:
            changes.append(RowChange("removed", title(row), [FieldChange(k, lbl, v, "—") for k, lbl, v in items(row)]))
    return changes


def diff(before, after, programme=None):
    """What changed from one frozen state to another: the fiche's fields as a person reads them, and the
    operations and funding lines added, removed or changed (matched on their ids)."""
    return FicheDiff(
        fields=_item_changes(fiche_items(before, programme), fiche_items(after, programme)),
        operations=_rows_diff(before["operations"], after["operations"], operation_items, lambda row: row["name"]),
        funding_lines=_rows_diff(before["funding_lines"], after["funding_lines"], line_items, line_title),
    )
