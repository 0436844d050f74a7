"""What a workbook would change, and writing it: the same reading for the preview and for the confirmation.

`analyse(kind, content, user)` reads the file against the kind's sheets (acv.workbooks), compares every row with
what is stored — existing rows read in one query per sheet, never one per row — and returns the rows it would
create or update (field: old → new), the number left unchanged, every problem (sheet, row, column, French
reason) and the plan of writes. `apply_plan` runs the plan through the services the form and the API use
(actions.services.action_save, financing.services.funding_line_update / funding_line_create,
evaluation.services.indicator_value_save), so versions, history (attributed to the importer), access and rules
are theirs; it is called inside one transaction, and any problem rolls everything back.

Choices made here:
- An import never deletes: a row missing from the file is left as it is (deleting is done on the fiche).
- Rows of the file identify what they change by the « N° interne » column; an empty one is a new row. A new
  fiche gets its operations and funding lines from a second import (its number is known once it exists).
- A row whose version (exported with it) is older than the stored one is a conflict, when it changes something.
- The preview runs each model's own clean(); rules needing the database (uniqueness, constraints, caps) are run
  by the services at confirmation — a failure there writes nothing and says why.
"""

import copy
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from acv.imports import WorkbookRefused, merged_header_problems, open_workbook
from acv.values import format_euros, normalise_line_endings
from acv.workbooks import BOOL, CHOICE, DATE, EURO, NO, YES, Problem, read_sheet
from conventions import roles

UNKNOWN_FICHE = "fiche inconnue (n° interne {pk})"
UNKNOWN_LINE = "ligne de financement inconnue (n° interne {pk})"
UNKNOWN_VALUE = "valeur inconnue (n° interne {pk})"
CONFLICT = (
    "{what} a été modifiée depuis l'export (version {stored}, le fichier a la version {given}) : exportez à nouveau "
    "et reportez-y vos changements"
)
KIND_RIGHTS = {
    "fiches": "Seuls la coordination et les référents des maîtres d'ouvrage importent des fiches.",
    "financements": "Seuls la coordination, les référents et les partenaires financeurs importent des lignes de "
    "financement.",
    "grille": "Seule la coordination du programme importe les valeurs de la grille d'évaluation.",
}


def may_import(kind, user):
    """Who may bring a workbook of this kind in (the comité reads and exports, it does not import)."""
    if kind == "fiches":
        return roles.may_edit_some_fiches(user)
    if kind == "financements":
        return roles.may_edit_some_fiches(user) or roles.is_partner(user)
    if kind == "grille":
        return roles.programme_has_evaluation_grid(user) and roles.can_edit_reference_data(user)
    return False


@dataclass
class Analysis:
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    plan: list = field(default_factory=list)

    def as_preview(self):
        return {
            "rows": self.rows,
            "problems": [problem.as_dict() for problem in self.problems],
            "counts": {key: self.counts.get(key, 0) for key in ("created", "updated", "unchanged")},
        }


def shown(column, value):
    """A value as the preview shows it."""
    if value is None or value == "":
        return "—"
    if column.kind == CHOICE and column.choices is not None:
        return str(column.choices.get(value, value))
    if column.kind == BOOL:
        return YES if value else NO
    if column.kind == DATE:
        return f"{value:%d/%m/%Y}"
    if column.kind == EURO:
        return format_euros(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}".replace(".", ",")
    return str(value)


def _same(old, new):
    if isinstance(old, str) or isinstance(new, str):
        return normalise_line_endings(old or "") == normalise_line_endings(new or "")
    return old == new


def _values(row, spec, names, model):
    """The row's values for these model fields ("" → None where the field stores None)."""
    values = {}
    for name in names:
        if name not in row:
            continue
        value = row[name]
        model_field = model._meta.get_field(name) if model is not None else None
        if value == "" and model_field is not None and (model_field.is_relation or model_field.null):
            value = None
        values[name] = value
    return values


def _diff(spec, state, values):
    changes = {}
    for name, value in values.items():
        if not _same(state.get(name), value):
            changes[name] = value
    return changes


def _change_list(spec, state, changes):
    return [
        [spec.column(name).header, shown(spec.column(name), state.get(name)), shown(spec.column(name), value)]
        for name, value in changes.items()
    ]


def _unchanged(model, changes):
    """Fields a row does not change: not validated field by field again (a relation's check is a query each),
    the model's clean() still runs over the whole row."""
    return [field.name for field in model._meta.concrete_fields if field.name not in changes]


def _checked(target, changes, *, spec, number, analysis):
    """Put a row's changes on `target` and run the model's own checks over them, as the form would; False, with
    the problems recorded against the row's cells, when they fail."""
    model = type(target)
    try:
        for name, value in changes.items():
            setattr(target, model._meta.get_field(name).attname, value)
        target.full_clean(exclude=_unchanged(model, changes), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        analysis.problems.extend(_clean_problems(spec.title, number, spec, error))
        return False
    return True


def _clean_problems(sheet, number, spec, error):
    problems = []
    for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
        header = next((column.header for column in spec.columns if column.key == name), "")
        problems.extend(Problem(sheet, number, header, message) for message in messages)
    return problems


def _messages(error):
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [message for messages in error.message_dict.values() for message in messages]
        return list(error.messages)
    return [str(error)]


# --------------------------------------------------------------------------------------------------- fiches


def _analyse_fiche_rows(read, spec, lookups, user, analysis, progress):
    from actions.models import Action, ActionStatus
    from actions.services import check_status_change
    from actions.workbooks import FICHE_FIELDS, fiche_state, fiches_editable_ids

    ids = [row["id"] for row in read.rows if row.get("id")]
    existing = {
        action.pk: action for action in Action.objects.visible_to(user).filter(pk__in=ids).prefetch_related("axes")
    }
    editable = fiches_editable_ids(user, ids)
    plain_fields = [name for name in FICHE_FIELDS if name != "axes"]
    for index, row in enumerate(read.rows):
        if progress and index % 500 == 0:
            progress(index, len(read.rows), "lecture des fiches")
        number = row["_row"]
        values = _values(row, spec, plain_fields, Action)
        axes_given = row.get("axes")
        axis_numbers = sorted(
            {part.strip() for part in str(axes_given or "").replace(";", ",").split(",") if part.strip()}
        )
        pk = row.get("id")
        action = existing.get(pk) if pk else None
        if pk and action is None:
            analysis.problems.append(Problem(spec.title, number, "N° interne", UNKNOWN_FICHE.format(pk=pk)))
            continue
        if action is not None:
            current_axes = sorted(axis.number for axis in action.axes.all())
            state = fiche_state(action, ", ".join(current_axes))
            changes = _diff(spec, state, values)
            if "axes" in row and axis_numbers != current_axes:
                changes["axes"] = ", ".join(axis_numbers)
            if not changes:
                analysis.counts["unchanged"] += 1
                continue
            if pk not in editable:
                analysis.problems.append(
                    Problem(spec.title, number, "", f"vous ne pouvez pas modifier la fiche {action.code}")
                )
                continue
            if row.get("version") is not None and row["version"] != action.version:
                what = f"La fiche {action.code}"
                analysis.problems.append(
                    Problem(
                        spec.title,
                        number,
                        "Version",
                        CONFLICT.format(what=what, stored=action.version, given=row["version"]),
                    )
                )
                continue
            target = copy.copy(action)
        else:
            if not roles.can_create_actions(user):
                analysis.problems.append(
                    Problem(
                        spec.title,
                        number,
                        "N° interne",
                        "seule la coordination crée des fiches : ligne sans n° interne",
                    )
                )
                continue
            state, changes, target = {}, dict(values), Action()
            if axis_numbers:
                changes["axes"] = ", ".join(axis_numbers)
        convention_id = changes.get("convention", getattr(target, "convention_id", None))
        programme = lookups.programmes.get(convention_id)
        axis_pks = []
        if "axes" in changes:
            for axis_number in axis_numbers:
                axis_pk = lookups.axes.get((programme, axis_number))
                if axis_pk is None:
                    words = lookups.words
                    analysis.problems.append(
                        Problem(
                            spec.title,
                            number,
                            words.level1_title_plural,
                            f"{words.level1_label} « {axis_number} » inconnu",
                        )
                    )
                axis_pks.append(axis_pk)
        data = {name: value for name, value in changes.items() if name != "axes"}
        if "status" in data and action is not None:
            try:
                check_status_change(action.status or ActionStatus.UNKNOWN, data["status"])
            except ValidationError as error:
                analysis.problems.extend(_clean_problems(spec.title, number, spec, error))
                continue
        if not _checked(target, data, spec=spec, number=number, analysis=analysis):
            continue
        if "axes" in changes:
            data["axes"] = axis_pks
        label = f"{changes.get('code') or action.code}" if action is None else action.code
        outcome = "updated" if action is not None else "created"
        analysis.counts[outcome] += 1
        analysis.rows.append(
            {
                "sheet": spec.title,
                "row": number,
                "label": label,
                "outcome": outcome,
                "changes": _change_list(spec, state, changes) if action is not None else [],
            }
        )
        analysis.plan.append(("fiche", spec.title, number, {"pk": pk, "data": data, "version": row.get("version")}))


def _analyse_operation_rows(read, spec, user, analysis):
    from actions.models import Action, Operation
    from actions.workbooks import OPERATION_FIELDS, fiches_editable_ids, operation_state

    ids = [row["id"] for row in read.rows if row.get("id")]
    existing = {
        operation.pk: operation
        for operation in Operation.objects.filter(pk__in=ids, action__in=Action.objects.visible_to(user).values("pk"))
    }
    fiche_ids = {row.get("action") for row in read.rows if row.get("action")}
    visible_fiches = set(Action.objects.visible_to(user).filter(pk__in=fiche_ids).values_list("pk", flat=True))
    editable = fiches_editable_ids(user, fiche_ids | {operation.action_id for operation in existing.values()})
    for row in read.rows:
        number = row["_row"]
        values = _values(row, spec, OPERATION_FIELDS, Operation)
        pk, fiche = row.get("id"), row.get("action")
        operation = existing.get(pk) if pk else None
        if pk and operation is None:
            analysis.problems.append(Problem(spec.title, number, "N° interne", f"opération inconnue (n° interne {pk})"))
            continue
        if fiche not in visible_fiches:
            analysis.problems.append(
                Problem(spec.title, number, "N° interne de la fiche", UNKNOWN_FICHE.format(pk=fiche))
            )
            continue
        if operation is not None and operation.action_id != fiche:
            analysis.problems.append(
                Problem(spec.title, number, "N° interne de la fiche", "une opération ne change pas de fiche")
            )
            continue
        state = operation_state(operation) if operation is not None else {}
        changes = _diff(spec, state, values) if operation is not None else values
        if operation is not None and not changes:
            analysis.counts["unchanged"] += 1
            continue
        if fiche not in editable:
            analysis.problems.append(
                Problem(spec.title, number, "", "vous ne pouvez pas modifier la fiche de cette opération")
            )
            continue
        target = copy.copy(operation) if operation is not None else Operation(action_id=fiche)
        if not _checked(target, changes, spec=spec, number=number, analysis=analysis):
            continue
        outcome = "updated" if operation is not None else "created"
        analysis.counts[outcome] += 1
        analysis.rows.append(
            {
                "sheet": spec.title,
                "row": number,
                "label": f"{row.get('action_code') or fiche} – {changes.get('name') or operation.name}",
                "outcome": outcome,
                "changes": _change_list(spec, state, changes) if operation is not None else [],
            }
        )
        analysis.plan.append(("operation", spec.title, number, {"pk": pk, "action": fiche, "data": changes}))


def _analyse_line_rows(read, spec, user, analysis):
    from actions.workbooks import fiches_editable_ids
    from financing.models import FundingLine
    from financing.workbooks import LINE_FIELDS, line_fields_for, line_state

    partner = not (roles.edits_everything(user) or roles.is_referent(user))
    funder_names = spec.column("funder").choices or {}
    allowed = set(line_fields_for(user))
    ids = [row["id"] for row in read.rows if row.get("id")]
    existing = {line.pk: line for line in FundingLine.objects.visible_to(user).filter(pk__in=ids)}
    editable = set(FundingLine.objects.editable_by(user).filter(pk__in=ids).values_list("pk", flat=True))
    fiche_ids = {row.get("action") for row in read.rows if row.get("action")}
    editable_fiches = fiches_editable_ids(user, fiche_ids) if not partner else set()
    for row in read.rows:
        number = row["_row"]
        values = _values(row, spec, LINE_FIELDS, FundingLine)
        pk = row.get("id")
        line = existing.get(pk) if pk else None
        if pk and line is None:
            analysis.problems.append(Problem(spec.title, number, "N° interne", UNKNOWN_LINE.format(pk=pk)))
            continue
        if line is not None:
            sees_detail = roles.sees_funding_line_detail(user, line)
            compared = {name: value for name, value in values.items() if sees_detail or name != "note"}
            state = line_state(line)
            changes = _diff(spec, state, compared)
            if not changes:
                analysis.counts["unchanged"] += 1
                continue
            if pk not in editable:
                # Another funder's line, or one the user may not change: never say which (it may not exist for it).
                message = UNKNOWN_LINE.format(pk=pk) if partner else "vous ne pouvez pas modifier cette ligne"
                analysis.problems.append(Problem(spec.title, number, "N° interne", message))
                continue
            refused = sorted(set(changes) - allowed)
            if refused:
                for name in refused:
                    analysis.problems.append(
                        Problem(
                            spec.title,
                            number,
                            spec.column(name).header,
                            "un partenaire ne modifie que l'état, la décision et l'échéancier de ses lignes",
                        )
                    )
                continue
            if row.get("version") is not None and row["version"] != line.version:
                analysis.problems.append(
                    Problem(
                        spec.title,
                        number,
                        "Version",
                        CONFLICT.format(what=f"La ligne {pk}", stored=line.version, given=row["version"]),
                    )
                )
                continue
            target = copy.copy(line)
        else:
            if partner:
                analysis.problems.append(
                    Problem(
                        spec.title,
                        number,
                        "N° interne",
                        "un partenaire ne crée pas de ligne par import : ligne sans n° interne",
                    )
                )
                continue
            if values.get("action") not in editable_fiches:
                analysis.problems.append(
                    Problem(spec.title, number, "N° interne de la fiche", UNKNOWN_FICHE.format(pk=values.get("action")))
                )
                continue
            state, changes, target = {}, values, FundingLine()
        if not _checked(target, changes, spec=spec, number=number, analysis=analysis):
            continue
        outcome = "updated" if line is not None else "created"
        analysis.counts[outcome] += 1
        analysis.rows.append(
            {
                "sheet": spec.title,
                "row": number,
                "label": " – ".join(
                    (str(row.get("action_code") or values.get("action")), funder_names.get(row.get("funder"), "—"))
                ),
                "outcome": outcome,
                "changes": _change_list(spec, state, changes) if line is not None else [],
            }
        )
        analysis.plan.append(("line", spec.title, number, {"pk": pk, "data": changes, "version": row.get("version")}))


# ---------------------------------------------------------------------------------------------------- grid


def _analyse_value_rows(read, spec, user, analysis):
    from evaluation.models import IndicatorValue
    from evaluation.periods import Period, PeriodError
    from evaluation.workbooks import VALUE_FIELDS, value_state

    ids = [row["id"] for row in read.rows if row.get("id")]
    existing = {value.pk: value for value in IndicatorValue.objects.visible_to(user).filter(pk__in=ids)}
    for row in read.rows:
        number = row["_row"]
        values = _values(row, spec, [name for name in VALUE_FIELDS if name != "period"], IndicatorValue)
        try:
            period = Period.parse(row.get("period"))
            values["period"] = period.label
        except PeriodError as error:
            analysis.problems.append(Problem(spec.title, number, "Période", str(error)))
            continue
        pk = row.get("id")
        value = existing.get(pk) if pk else None
        if pk and value is None:
            analysis.problems.append(Problem(spec.title, number, "N° interne", UNKNOWN_VALUE.format(pk=pk)))
            continue
        state = value_state(value) if value is not None else {}
        changes = _diff(spec, state, values) if value is not None else values
        if value is not None and not changes:
            analysis.counts["unchanged"] += 1
            continue
        outcome = "updated" if value is not None else "created"
        analysis.counts[outcome] += 1
        analysis.rows.append(
            {
                "sheet": spec.title,
                "row": number,
                "label": f"{row.get('indicator_name') or values.get('indicator')} – {values['period']}",
                "outcome": outcome,
                "changes": _change_list(spec, state, changes) if value is not None else [],
            }
        )
        analysis.plan.append(("value", spec.title, number, {"pk": pk, "data": changes}))


# --------------------------------------------------------------------------------------------------- reading


def _sheets(kind, user):
    if kind == "fiches":
        from actions.workbooks import Lookups, fiche_sheet, operation_sheet
        from financing.workbooks import funding_sheet

        lookups = Lookups.load(user)
        return lookups, [
            (fiche_sheet(lookups), True),
            (operation_sheet(lookups), False),
            (funding_sheet(lookups, user), False),
        ]
    if kind == "financements":
        from actions.workbooks import Lookups
        from financing.workbooks import funding_sheet

        lookups = Lookups.load(user)
        return lookups, [(funding_sheet(lookups, user), True)]
    from evaluation.workbooks import GridLookups, values_sheet

    lookups = GridLookups.load(user)
    return lookups, [(values_sheet(lookups), True)]


def analyse(kind, content, user, progress=None) -> Analysis:
    """Read the (already checked) file and say what it would change; nothing is written."""
    analysis = Analysis()
    if not may_import(kind, user):
        raise PermissionDenied(KIND_RIGHTS.get(kind, "Import refusé."))
    lookups, sheets = _sheets(kind, user)
    try:
        book = open_workbook(content)
    except WorkbookRefused as refusal:
        analysis.problems.append(Problem("", None, "", str(refusal)))
        return analysis
    for title, cells in merged_header_problems(content, [spec.title for spec, _required in sheets]):
        analysis.problems.append(
            Problem(title, 1, cells, "cellules d'en-tête fusionnées : défusionnez-les, une colonne par en-tête")
        )
    if analysis.problems:
        return analysis
    max_rows = settings.ACV_IMPORT_MAX_ROWS
    read = {}
    for spec, required in sheets:
        read[spec.title] = read_sheet(book, spec, max_rows=max_rows, required=required)
        analysis.problems.extend(read[spec.title].problems)
    book.close()
    for spec, _required in sheets:
        sheet = read[spec.title]
        # Rows whose cells were read are compared even when others were not: the preview lists every problem.
        sheet.rows = sheet.readable_rows
        if spec.title == "Fiches":
            _analyse_fiche_rows(sheet, spec, lookups, user, analysis, progress)
        elif spec.title == "Opérations":
            _analyse_operation_rows(sheet, spec, user, analysis)
        elif spec.title == "Financements":
            _analyse_line_rows(sheet, spec, user, analysis)
        else:
            _analyse_value_rows(sheet, spec, user, analysis)
    return analysis


# --------------------------------------------------------------------------------------------------- writing


class ImportRolledBack(Exception):
    """Raised inside the import's transaction when any write failed: everything is undone."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} erreur(s)")
        self.problems = problems


def apply_plan(analysis, user, progress=None) -> None:
    """Every write of the plan, through the services; call inside transaction.atomic(). Raises ImportRolledBack
    (with each failure's sheet and row) when any write failed, so that the caller's transaction rolls back."""
    from actions.models import Action
    from actions.services import EditConflict, action_save
    from evaluation.models import IndicatorValue
    from evaluation.services import indicator_value_save
    from financing.models import FundingLine
    from financing.services import funding_line_create, funding_line_update

    problems = []
    operations_by_fiche = {}
    for step, sheet, number, item in analysis.plan:
        if step == "operation":
            row = {"id": item["pk"], **item["data"]}
            operations_by_fiche.setdefault(item["action"], []).append((sheet, number, row))
    fiche_steps = {
        item["pk"]: (sheet, number, item)
        for step, sheet, number, item in analysis.plan
        if step == "fiche" and item["pk"]
    }
    total = len(analysis.plan)
    done = 0
    for fiche_pk in set(fiche_steps) | set(operations_by_fiche):
        sheet, number, item = fiche_steps.get(fiche_pk, (None, None, {"data": {}, "version": None}))
        operations = operations_by_fiche.get(fiche_pk)
        where = (sheet, number) if sheet else operations[0][:2]
        try:
            action_save(
                action=Action(pk=fiche_pk),
                data=item["data"],
                user=user,
                expected_version=item["version"] if sheet else None,
                operations=[row for _sheet, _number, row in operations] if operations else None,
            )
        except (ValidationError, PermissionDenied, EditConflict) as error:
            problems.extend(Problem(where[0], where[1], "", message) for message in _messages(error))
        done += 1
        if progress and done % 200 == 0:
            progress(done, total, "écriture des fiches")
    for step, sheet, number, item in analysis.plan:
        try:
            if step == "fiche" and not item["pk"]:
                action_save(action=None, data=item["data"], user=user)
            elif step == "line":
                if item["pk"]:
                    funding_line_update(
                        line=FundingLine(pk=item["pk"]),
                        changes=item["data"],
                        years=None,
                        user=user,
                        expected_version=item["version"],
                    )
                else:
                    funding_line_create(data=item["data"], years=None, user=user)
            elif step == "value":
                data = _value_instances(item["data"])
                value = IndicatorValue.objects.get(pk=item["pk"]) if item["pk"] else None
                indicator_value_save(user=user, data=data, value=value)
            else:
                continue
        except (ValidationError, PermissionDenied, EditConflict) as error:
            problems.extend(Problem(sheet, number, "", message) for message in _messages(error))
        done += 1
        if progress and done % 200 == 0:
            progress(done, total, "écriture")
    if problems:
        raise ImportRolledBack(problems)


def _value_instances(data):
    """indicator_value_save takes instances for its relations."""
    from conventions.models import Organisation, PriorityNeighbourhood, Sector
    from evaluation.models import DataSource, Indicator

    models = {
        "indicator": Indicator,
        "territory": Organisation,
        "sector": Sector,
        "neighbourhood": PriorityNeighbourhood,
        "source": DataSource,
    }
    result = {}
    for name, value in data.items():
        if name in models and value is not None:
            value = models[name].objects.get(pk=value)
        result[name] = value
    return result
