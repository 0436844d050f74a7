"""Writes of the evaluation app: keeping a semester report with a meeting, saving an end-of-action report."""

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
def end_of_action_report_save(*, form, action, user) -> EndOfActionReport:
    """Create or update the end-of-action report of a delivered fiche, signed by its last author."""
    report = form.save(commit=False)
    report.action = action
    report.author = user
    report.full_clean()
    report.save()
    return report
