"""Writes of the evaluation app: the grid's values, keeping a semester report with a meeting, saving an
end-of-action report."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from conventions import roles
from conventions.services import semester_mark_presented
from evaluation.models import DUPLICATE_VALUE, EndOfActionReport, IndicatorValue, ResultIndicatorLink, SemesterReport
from evaluation.periods import Period, PeriodError
from evaluation.reports import semester_report_pdf

VALUE_FIELDS = (
    "indicator",
    "territory",
    "sector",
    "neighbourhood",
    "series",
    "value",
    "source",
    "measured_on",
    "note",
)
PERIOD_FIELDS = ("period_kind", "year", "number", "day")
VALUE_RIGHTS = "Seule la coordination du programme saisit les valeurs de la grille d'évaluation."
LINK_RIGHTS = "Seule la coordination du programme relie les indicateurs des fiches à la grille d'évaluation."
NO_SEMESTER_REPORT = "Ce programme rend compte chaque année : il n'a pas de rapport semestriel."


def _duplicate_message(value):
    return (
        f"Une valeur « {value.get_series_display()} » existe déjà pour {value.place_label}, {value.period.label} : "
        "modifiez-la plutôt que d'en saisir une seconde."
    )


@transaction.atomic
def indicator_value_save(*, user, data: dict, value: IndicatorValue | None = None) -> IndicatorValue:
    """Create (value None) or change one value of the grid, for the page, the API and the admin alike.

    `data` holds model fields and `period` (a Period, or its text: « 2025 », « S1 2025 »…). Every rule of
    IndicatorValue.clean() applies, with French messages keyed by field (the period's under `period`); a
    second value for the same cell and series is refused, never merged. The history keeps who and when.
    """
    if not roles.can_edit_reference_data(user):
        raise PermissionDenied(VALUE_RIGHTS)
    if value is not None and not IndicatorValue.objects.editable_by(user).filter(pk=value.pk).exists():
        raise PermissionDenied(VALUE_RIGHTS)
    instance = value if value is not None else IndicatorValue()
    unknown = set(data) - {*VALUE_FIELDS, "period"}
    if unknown:
        raise ValueError(f"indicator_value_save: unexpected fields {sorted(unknown)}")
    if "period" in data:
        try:
            instance.period = data["period"]
        except PeriodError as error:
            raise ValidationError({"period": str(error)}) from error
    for name in VALUE_FIELDS:
        if name in data:
            setattr(instance, name, data[name] if data[name] is not None or name != "note" else "")
    try:
        instance.full_clean()
    except ValidationError as error:
        raise _with_period_key(error, instance) from error
    instance.entered_by = user
    instance._history_user = user
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        # Two coordinators entering the same cell at once: the second is told, as by the check above.
        raise ValidationError({"__all__": _duplicate_message(instance)}) from error
    return instance


def _with_period_key(error, instance):
    """The model speaks of period_kind / year / number / day; a person entered one period."""
    if not hasattr(error, "error_dict"):
        return error
    errors = {}
    for name, messages in error.message_dict.items():
        key = "period" if name in PERIOD_FIELDS else name
        if name == "__all__" and any(str(DUPLICATE_VALUE) in message for message in messages):
            messages = [_duplicate_message(instance)]
        errors.setdefault(key, []).extend(messages)
    return ValidationError(errors)


@transaction.atomic
def indicator_value_delete(*, user, value: IndicatorValue) -> None:
    """Remove a value entered by mistake, for the page, the API and the admin alike: only the coordination
    may; the history keeps the value as it was, who removed it and when."""
    if not IndicatorValue.objects.editable_by(user).filter(pk=value.pk).exists():
        raise PermissionDenied(VALUE_RIGHTS)
    value._history_user = user
    value.delete()


@transaction.atomic
def result_indicator_link_save(*, user, result_indicator, indicator) -> ResultIndicatorLink:
    """Say that a fiche's indicateur de résultat feeds this indicator of the grid, for the indicator page, the
    API and the admin alike. An indicator of the fiche feeds one grid indicator at most: one that already feeds
    another is refused (its link is removed first, knowingly), never moved silently. The history keeps who drew
    the link and when."""
    if not roles.can_edit_reference_data(user):
        raise PermissionDenied(LINK_RIGHTS)
    existing = ResultIndicatorLink.objects.filter(result_indicator=result_indicator).select_related("indicator").first()
    if existing is not None:
        if existing.indicator_id == indicator.pk:
            return existing
        raise ValidationError(
            {
                "result_indicator": f"« {result_indicator.label} » ({result_indicator.action.code}) alimente déjà "
                f"l'indicateur « {existing.indicator.name} » de la grille : retirez d'abord ce lien."
            }
        )
    link = ResultIndicatorLink(result_indicator=result_indicator, indicator=indicator, created_by=user)
    link.full_clean()
    link._history_user = user
    link.save()
    return link


@transaction.atomic
def result_indicator_link_delete(*, user, link: ResultIndicatorLink) -> None:
    """Undo a link between a fiche's indicator and the grid; the history keeps that it existed."""
    if not ResultIndicatorLink.objects.editable_by(user).filter(pk=link.pk).exists():
        raise PermissionDenied(LINK_RIGHTS)
    link._history_user = user
    link.delete()


def period_of(text) -> Period:
    """A period from a filter or a form, or ValidationError with the French reason."""
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise ValidationError({"period": str(error)}) from error


@transaction.atomic
def semester_report_present(*, meeting, fiches, year: int, semester: int, user) -> SemesterReport:
    """Build the semester report for a meeting and keep its exact bytes: what the comité was shown stays
    what it was shown, whatever the fiches become afterwards. The semester is then frozen.

    Only for a programme that reports every semester: an annual programme has no semester report."""
    if meeting.convention.programme.is_annual:
        raise ValidationError(NO_SEMESTER_REPORT)
    pdf = semester_report_pdf(fiches, year=year, semester=semester, meeting=meeting)
    report = SemesterReport(
        convention=meeting.convention, meeting=meeting, year=year, semester=semester, generated_by=user
    )
    report.pdf.save(report.filename, ContentFile(pdf), save=False)
    # The file is written before the row: delete it again if the row cannot be stored.
    try:
        report.full_clean(exclude=["pdf"])
        report.save()
    except Exception:
        report.pdf.delete(save=False)
        raise
    # From now on the semester's états d'avancement are frozen (actions.services reads it).
    semester_mark_presented(meeting=meeting, year=year, semester=semester)
    return report


@transaction.atomic
def end_of_action_report_save(*, action, data: dict, user) -> EndOfActionReport:
    """Create or update the end-of-action report of a delivered fiche, signed by its last author."""
    from actions.models import Action
    from actions.services import apply_changes

    if not Action.objects.editable_by(user).filter(pk=action.pk).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
    report = EndOfActionReport.objects.filter(action=action).first() or EndOfActionReport(action=action)
    changed = apply_changes(report, data, written_texts={})
    if report.pk is not None and not changed:
        return report
    report.author = user
    report.full_clean()
    report.save()
    return report
