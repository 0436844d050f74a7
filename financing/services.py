"""Writes of funding lines: one transaction each, no lost update, history kept with its author.

The one path of the fiche form, the partners' portal, the REST API, the admin and imports: access (a
partner changes only the state, the decision and the yearly split of its own lines; nobody moves a line
onto a fiche they may not change), the line's version, line endings, and nothing written when nothing
changed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from actions.models import Action
from actions.services import ROW_KEYS, EditConflict, apply_changes
from conventions import roles
from financing.models import FundingLine, FundingLineYear


class FundingLineConflict(EditConflict):
    """Someone saved the line after it was read: the change is refused, nothing is written."""

    def __init__(self, line, expected_version):
        super().__init__(line.action, expected_version, line=line)


def _check_target(user, data, line=None):
    """The fiche (and operation) a line is written to must be one the user may change."""
    action = data.get("action", line.action if line is not None else None)
    action_id = getattr(action, "pk", action)
    if line is not None and action_id == line.action_id:
        return
    if action_id is None or not Action.objects.editable_by(user).filter(pk=action_id).exists():
        raise PermissionDenied("Vous ne pouvez pas placer une ligne de financement sur cette fiche.")


def _check_partner_fields(user, line, changed):
    if roles.edits_everything(user) or roles.is_referent(user):
        return
    refused = sorted(set(changed) - set(roles.PARTNER_EDITABLE_FUNDING_FIELDS))
    if refused:
        labels = ", ".join(str(FundingLine._meta.get_field(name).verbose_name) for name in refused)
        raise PermissionDenied(
            "Un partenaire ne modifie que l'état, la décision et l'échéancier de ses lignes ; "
            f"champs refusés : {labels}."
        )


def _years_differ(line, years):
    current = {(row.year, row.amount) for row in line.years.all()} if line.pk else set()
    return current != {(row.get("year"), row.get("amount")) for row in years}


@transaction.atomic
def funding_line_update(
    *, line: FundingLine, changes: dict, years: list | None, user, expected_version: int | None
) -> FundingLine:
    """Apply `changes` (field → value) and, when `years` is given, replace the yearly split with it
    (a list of {"year", "amount"}).

    The line's row is locked and its version compared with `expected_version` (None: no check — the caller
    had none to give); a stale one raises FundingLineConflict. The model's rules run (full_clean); the
    version moves and history is written only when something changed. Raises PermissionDenied when the user
    may not change this line or these fields, ValidationError (French messages) on invalid data.
    """
    if not FundingLine.objects.editable_by(user).filter(pk=line.pk).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette ligne de financement.")
    line = FundingLine.objects.select_for_update().select_related("action").get(pk=line.pk)
    if expected_version is not None and line.version != expected_version:
        raise FundingLineConflict(line, expected_version)
    _check_target(user, changes, line)
    changed = apply_changes(line, changes, written_texts={})
    years_changed = years is not None and _years_differ(line, years)
    _check_partner_fields(user, line, changed)
    if not changed and not years_changed:
        return line
    line.full_clean()
    line.version += 1
    line._history_user = user
    line.save()
    if years_changed:
        _replace_years(line, years)
    return line


def _replace_years(line, years):
    line.years.all().delete()
    seen, errors = set(), []
    for row in years:
        year = FundingLineYear(funding_line=line, year=row.get("year"), amount=row.get("amount"))
        if year.year in seen:
            errors.append(f"{year.year} : cette année figure deux fois dans l'échéancier.")
            continue
        seen.add(year.year)
        try:
            year.full_clean()
        except ValidationError as exc:
            errors.extend(f"{year.year} : {message}" for message in exc.messages)
            continue
        year.save()
    if errors:
        # Raised inside the transaction: the line and its old years are left as they were.
        raise ValidationError({"years": errors})


@transaction.atomic
def funding_line_create(*, data: dict, years: list | None, user) -> FundingLine:
    """A new line on a fiche the user may change, with the model's rules (full_clean) and its yearly split."""
    _check_target(user, data)
    line = FundingLine()
    apply_changes(line, data, written_texts={})
    line.full_clean()
    line._history_user = user
    line.save()
    if years:
        _replace_years(line, years)
    return line


@transaction.atomic
def funding_line_delete(*, line: FundingLine, user, expected_version: int | None = None) -> None:
    """Remove a line (its history keeps it, with who removed it): for those who may change its fiche."""
    if not Action.objects.editable_by(user).filter(pk=line.action_id).exists():
        raise PermissionDenied("Vous ne pouvez pas supprimer cette ligne de financement.")
    line = FundingLine.objects.select_for_update().get(pk=line.pk)
    if expected_version is not None and line.version != expected_version:
        raise FundingLineConflict(line, expected_version)
    line._history_user = user
    line.delete()


def funding_lines_save(*, action: Action, rows: list[dict], user) -> None:
    """The funding lines of the fiche form: each row {"id", "version", "delete", field: value…}.

    Existing rows go through funding_line_update with the version the form was opened with, so a partner's
    decision recorded meanwhile is never overwritten (EditConflict); an id of another fiche's line is refused.
    """
    existing = {line.pk: line for line in FundingLine.objects.filter(action=action)}
    errors = []
    for index, row in enumerate(rows):
        data = {key: value for key, value in row.items() if key not in ROW_KEYS}
        years = data.pop("years", None)
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors.append(f"Ligne {index + 1} : cette ligne de financement n'appartient pas à cette fiche.")
            continue
        try:
            if row.get("delete"):
                if pk is not None:
                    funding_line_delete(line=existing[pk], user=user, expected_version=row.get("version"))
            elif pk is not None:
                funding_line_update(
                    line=existing[pk], changes=data, years=years, user=user, expected_version=row.get("version")
                )
            else:
                data.setdefault("position", index)
                funding_line_create(data={**data, "action": action}, years=years, user=user)
        except ValidationError as error:
            errors.extend(f"Ligne {index + 1} : {message}" for message in error.messages)
    if errors:
        raise ValidationError(errors)
