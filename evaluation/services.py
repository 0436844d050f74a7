"""Writes of the evaluation app: keeping a semester report with a meeting, saving an end-of-action report."""

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction

from evaluation.models import EndOfActionReport, SemesterReport
from evaluation.reports import semester_report_pdf


@transaction.atomic
def semester_report_present(*, meeting, fiches, year: int, semester: int, user) -> SemesterReport:
    """Build the semester report for a meeting and keep its exact bytes: what the comité was shown stays
    what it was shown, whatever the fiches become afterwards."""
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
