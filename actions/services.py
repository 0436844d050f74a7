"""Writes of fiches: the one path the page, the API, the admin and imports all take.

Services take plain data (field → value, rows as dicts), never forms: whoever calls them gets the same
rules — access, version check, history with its author, line endings, the « text as written » rule, and
nothing written when nothing changed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from actions.models import (
    STATUS_TRANSITIONS,
    STATUS_TRANSITIONS_WITH_REASON,
    Action,
    ActionStatus,
    Milestone,
    Operation,
    ProgressUpdate,
    ResultIndicator,
)
from acv.values import normalise_line_endings
from conventions import roles

# A value « as written » describes the reading it came with: when someone changes the reading (a new amount,
# a new date) without touching the text, the old text would keep showing the old value, so it is dropped. A text
# that came with no reading at all (a result indicator's « Réouverture du jardin » before any figure) describes
# nothing a new figure contradicts: it stays.
WRITTEN_TEXTS = {
    "cost_text": ("cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis"),
    "start_text": ("start_on", "start_precision", "start_until"),
    "end_text": ("end_on", "end_precision", "end_until"),
    "due_text": ("due_on", "due_precision", "due_until"),
    "target_text": ("target_value", "unit"),
    "achieved_text": ("achieved_value", "unit"),
}
ROW_KEYS = ("id", "delete", "version")


class EditConflict(Exception):
    """Someone saved the fiche (or one of its funding lines) after it was opened: nothing is written."""

    def __init__(self, action, expected_version, line=None):
        subject = f"ligne de financement {line.pk}" if line is not None else action.code
        super().__init__(f"{subject} : version {expected_version} dépassée")
        self.action = action
        self.expected_version = expected_version
        self.line = line


def apply_changes(instance, data, *, written_texts=WRITTEN_TEXTS):
    """Set `data` (concrete fields only) on `instance`; return the names that really change.

    Text is stored with LF line endings (a browser's CRLF is not a change), and a « text as written » is
    dropped when its reading changes without it.
    """
    changed, before = [], {}
    for name, value in data.items():
        field = instance._meta.get_field(name)
        value = normalise_line_endings(value)
        if field.is_relation:
            current = getattr(instance, field.attname)
            new = getattr(value, "pk", value)
            if current != new:
                setattr(instance, field.attname, new)
                changed.append(name)
        elif getattr(instance, name) != value:
            before[name] = getattr(instance, name)
            setattr(instance, name, value)
            changed.append(name)
    for text, readings in written_texts.items():
        moved = [name for name in readings if name in changed]
        read_before = any(before.get(name) not in (None, "") for name in moved)
        if hasattr(instance, text) and text not in changed and read_before and getattr(instance, text):
            setattr(instance, text, "")
            changed.append(text)
    return changed


def _split_many_to_many(model, data):
    plain, many = {}, {}
    for name, value in data.items():
        (many if model._meta.get_field(name).many_to_many else plain)[name] = value
    return plain, many


def _m2m_changes(instance, many):
    changes = {}
    for name, values in many.items():
        wanted = {getattr(value, "pk", value) for value in values}
        current = set(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else set()
        if wanted != current:
            changes[name] = wanted
    return changes


def _save_rows(model, rows, *, action, user, position_field="position"):
    """Create, change or delete the rows of one kind (operations, milestones) of this fiche.

    Each row is {"id": existing pk or None, "delete": bool, field: value…}. A row of another fiche is refused:
    an id in the data must not reach what the user may not change.
    """
    existing = {row.pk: row for row in model.objects.filter(action=action)}
    errors = []
    for index, row in enumerate(rows):
        data = {key: value for key, value in row.items() if key not in ROW_KEYS}
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors.append(f"Ligne {index + 1} : cet élément n'appartient pas à cette fiche.")
            continue
        instance = existing.get(pk) if pk is not None else model(action=action)
        if row.get("delete"):
            if instance.pk is not None:
                instance._history_user = user
                instance.delete()
            continue
        if instance.pk is None and position_field and position_field not in data:
            data[position_field] = index
        changed = apply_changes(instance, data)
        if instance.pk is not None and not changed:
            continue
        try:
            instance.full_clean(exclude=["action"])
        except ValidationError as error:
            errors.extend(f"Ligne {index + 1} : {message}" for message in error.messages)
            continue
        instance._history_user = user
        instance.save()
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def action_save(
    *,
    action: Action | None,
    data: dict,
    user,
    expected_version: int | None = None,
    operations: list[dict] | None = None,
    funding_lines: list[dict] | None = None,
    milestones: list[dict] | None = None,
    result_indicators: list[dict] | None = None,
) -> Action:
    """Create (action None) or change a fiche, and optionally its operations, funding lines, milestones and
    result indicators, all or nothing.

    An update locks the fiche's row and compares its version with `expected_version` (the one the user
    opened): if another save got there first, EditConflict is raised before anything is written, so the
    other person's changes are never overwritten silently. The version moves only when the fiche itself
    changes; each funding line has its own version (see financing.services). Raises PermissionDenied when the
    user may not change this fiche, ValidationError (French messages, by field; operations, funding_lines,
    milestones and result_indicators by row) when the data breaks a rule.
    """
    from financing.services import funding_lines_save

    if action is None or action.pk is None:
        if not roles.can_create_actions(user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur créent des fiches.")
        action = action or Action()
    else:
        if not Action.objects.editable_by(user).filter(pk=action.pk).exists():
            raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
        action = Action.objects.select_for_update().get(pk=action.pk)
        if expected_version is not None and action.version != expected_version:
            raise EditConflict(action, expected_version)

    plain, many = _split_many_to_many(Action, data)
    if "status" in plain and plain["status"] != action.status:
        if (action.status or ActionStatus.UNKNOWN, plain["status"]) in STATUS_TRANSITIONS_WITH_REASON:
            raise ValidationError(
                {
                    "status": f"Le passage à « {ActionStatus(plain['status']).label} » se fait par un état "
                    "d'avancement, avec son motif (et, pour un abandon, la décision qui l'acte)."
                }
            )
        if action.pk is not None:
            check_status_change(action.status, plain["status"])
    changed = apply_changes(action, plain)
    m2m = _m2m_changes(action, many)
    errors = {}
    if changed or m2m or action.pk is None:
        try:
            action.full_clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        if not errors:
            if action.pk is not None:
                action.version += 1
            action._history_user = user
            action.save()
            for name, pks in m2m.items():
                getattr(action, name).set(pks)
    action.funding_warnings = []

    def save_lines(rows):
        action.funding_warnings = funding_lines_save(action=action, rows=rows, user=user)

    for name, rows, save in (
        ("operations", operations, lambda rows: _save_rows(Operation, rows, action=action, user=user)),
        ("funding_lines", funding_lines, save_lines),
        ("milestones", milestones, lambda rows: _save_rows(Milestone, rows, action=action, user=user)),
        (
            "result_indicators",
            result_indicators,
            lambda rows: _save_rows(ResultIndicator, rows, action=action, user=user),
        ),
    ):
        if rows is None or errors.get("__all__"):
            continue
        if action.pk is None:
            break  # the fiche itself was refused: its rows cannot be attached to anything
        try:
            save(rows)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        # Raised inside the transaction: the fiche and every row stay as they were.
        raise ValidationError(errors)
    return action


def check_status_change(old, new, *, reason="", decided_by=""):
    """The workflow of STATUS_TRANSITIONS, with a French reason when a change is not one of its steps or lacks
    its motive (STATUS_TRANSITIONS_WITH_REASON) or, for an abandonment, the decision."""
    old = old or ActionStatus.UNKNOWN
    if old == new:
        return
    if new not in STATUS_TRANSITIONS[old]:
        allowed = ", ".join(f"« {ActionStatus(status).label} »" for status in sorted(STATUS_TRANSITIONS[old]))
        raise ValidationError(
            {
                "status": f"Une fiche « {ActionStatus(old).label} » ne passe pas à « {ActionStatus(new).label} » "
                f"(états possibles : {allowed or 'aucun'})."
            }
        )
    errors = {}
    if (old, new) in STATUS_TRANSITIONS_WITH_REASON and not reason.strip():
        errors["status_reason"] = (
            f"Indiquez le motif du passage de « {ActionStatus(old).label} » à « {ActionStatus(new).label} »."
        )
    if new == ActionStatus.ABANDONED and not decided_by.strip():
        errors["decided_by"] = "Indiquez la décision qui acte l'abandon (comité, avenant ou délibération)."
    if errors:
        raise ValidationError(errors)


def _check_semester(action, year, semester, today=None):
    """A progress update is for a semester of the programme's period, and not after the current one."""
    from actions.filters import current_semester
    from financing.services import programme_years

    if year is None or semester is None:
        return
    current = current_semester(today)
    if (year, semester) > current:
        raise ValidationError(
            {
                "semester": f"S{semester} {year} n'a pas commencé : l'état d'avancement se saisit pour le semestre "
                f"en cours (S{current[1]} {current[0]}) ou un semestre passé."
            }
        )
    first, last = programme_years(action)
    if (first and year < first) or (last and year > last):
        raise ValidationError({"year": f"{year} est hors de la période du programme ({first or '…'}–{last or '…'})."})


@transaction.atomic
def progress_update_create(*, action: Action, data: dict, user, today=None) -> ProgressUpdate:
    """Record the état d'avancement of a semester of the programme's period, not after the current one.

    Only the update of the current semester sets the fiche's status, along STATUS_TRANSITIONS (with its motive
    and decision where they are required); an update for a past semester completes the record and never
    changes the current status."""
    from actions.filters import current_semester

    if not Action.objects.editable_by(user).filter(pk=action.pk).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
    action = Action.objects.select_for_update().get(pk=action.pk)
    update = ProgressUpdate(action=action, author=user)
    apply_changes(update, data)
    update.full_clean()
    _check_semester(action, update.year, update.semester, today)
    sets_status = (update.year, update.semester) == current_semester(today)
    if sets_status:
        check_status_change(action.status, update.status, reason=update.status_reason, decided_by=update.decided_by)
    update.save()
    if sets_status and action.status != update.status:
        # A change of status is a change of the fiche: it goes through the version like any edit.
        action.status = update.status
        action.version += 1
        action._history_user = user
        action.save(update_fields=["status", "version", "updated_at"])
    return update


def milestone_achieve(*, milestone: Milestone, user, achieved_on=None) -> Milestone:
    """Mark a jalon as reached (today unless a date is given)."""
    if not Action.objects.editable_by(user).filter(pk=milestone.action_id).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
    milestone.achieved_on = achieved_on or timezone.localdate()
    milestone.full_clean()
    milestone.save(update_fields=["achieved_on"])
    return milestone
