"""Writes of funding lines: one transaction each, no lost update, history kept with its author.

Used by the REST API and, next, by the partners' portal.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from financing.models import FundingLine, FundingLineYear


class FundingLineConflict(Exception):
    """Someone saved the line after it was read: the change is refused, nothing is written."""

    def __init__(self, line, expected_version):
        super().__init__(f"ligne {line.pk} : version {expected_version} dépassée")
        self.line = line
        self.expected_version = expected_version


@transaction.atomic
def funding_line_update(
    *, line: FundingLine, changes: dict, years: list | None, user, expected_version: int
) -> FundingLine:
    """Apply `changes` (field → value) and, when `years` is given, replace the yearly split with it
    (a list of {"year", "amount"}).

    The model's rules run first (full_clean); then the next version is claimed with one UPDATE … WHERE
    version = expected_version, so a concurrent save makes this one fail with FundingLineConflict
    instead of overwriting it. Raises django ValidationError (French messages) on invalid data.
    """
    for field, value in changes.items():
        setattr(line, field, value)
    line.full_clean()
    claimed = FundingLine.objects.filter(pk=line.pk, version=expected_version).update(version=F("version") + 1)
    if not claimed:
        raise FundingLineConflict(line, expected_version)
    line.version = expected_version + 1
    line._history_user = user
    line.save()
    if years is not None:
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
    """A new line with the model's rules (full_clean) and, when given, its yearly split."""
    line = FundingLine(**data)
    line.full_clean()
    line._history_user = user
    line.save()
    if years:
        _replace_years(line, years)
    return line
