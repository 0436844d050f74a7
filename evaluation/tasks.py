"""The semester report, built in the background: a request only asks for it and follows its job.

Each task re-checks, when it runs, that the person who asked may still have the report (a role can be taken
away between the request and the work), then reads the fiches as that person may see them — from the read
replica when there is one (acv.replica).
"""

from django.urls import reverse
from django_tasks import task

from acv.replica import reading_from_replica
from conventions import roles
from conventions.models import CommitteeMeeting
from jobs.runner import JobFailure, JobOutput, run_job

REPORT_REFUSED = "Le rapport semestriel est réservé à la coordination et au comité de projet."
MEETINGS_REFUSED = "Seuls l'administrateur et le coordinateur préparent les comités."


def _fiches(user, convention_id=None):
    from evaluation.views import report_fiches

    fiches = report_fiches(user)
    return fiches.filter(convention_id=convention_id) if convention_id else fiches


def _semester_report(job, progress):
    from evaluation.reports import semester_report_pdf

    user, parameters = job.requested_by, job.parameters
    if not roles.can_export_programme_reports(user):
        raise JobFailure(REPORT_REFUSED)
    year, semester = parameters["year"], parameters["semester"]
    progress(0, 2, "lecture des fiches et mise en page")
    with reading_from_replica():
        fiches = _fiches(user, parameters.get("convention"))
        count = fiches.count()
        content = semester_report_pdf(fiches, year=year, semester=semester)
    progress(2, 2)
    return JobOutput(
        content=content,
        filename=f"rapport-semestriel-{year}-S{semester}.pdf",
        content_type="application/pdf",
        summary={"lines": [f"{count} fiche{'s' if count > 1 else ''} dans le rapport."]},
    )


def _meeting_report(job, progress):
    from evaluation.services import semester_report_present

    user, parameters = job.requested_by, job.parameters
    meeting = CommitteeMeeting.objects.editable_by(user).filter(pk=parameters["meeting"]).first()
    if not roles.can_manage_meetings(user) or meeting is None:
        raise JobFailure(MEETINGS_REFUSED)
    progress(0, 1, "lecture des fiches et mise en page")
    report = semester_report_present(
        meeting=meeting,
        fiches=_fiches(user, meeting.convention_id),
        year=parameters["year"],
        semester=parameters["semester"],
        user=user,
    )
    return JobOutput(
        summary={
            "lines": [f"Rapport semestriel S{report.semester} {report.year} produit et conservé avec la réunion."],
            "next_url": reverse("conventions:meeting_detail", args=[meeting.pk]),
            "next_label": "Retour à la réunion",
        }
    )


@task()
def build_semester_report(job_id):
    """The semester report as a PDF file for whoever asked."""
    return run_job(job_id, _semester_report)


@task()
def present_semester_report(job_id):
    """The semester report kept with a comité meeting, exactly as presented."""
    return run_job(job_id, _meeting_report)


ANNUAL_REFUSED = "Le rapport annuel est réservé à la coordination et au comité du programme."


def _annual_report(job, progress):
    from evaluation.annual_report import annual_report_pdf

    user, year = job.requested_by, job.parameters["year"]
    if not roles.can_export_programme_reports(user):
        raise JobFailure(ANNUAL_REFUSED)
    progress(0, 1, "lecture des projets et mise en page")
    with reading_from_replica():
        content = annual_report_pdf(user, year=year)
    progress(1, 1)
    programme = roles.active_programme(user)
    return JobOutput(
        content=content,
        filename=f"rapport-annuel-{programme.code}-{year}.pdf",
        content_type="application/pdf",
        summary={"lines": [f"Rapport annuel {year} du programme {programme.name}."]},
    )


@task()
def build_annual_report(job_id):
    """The annual report of a programme that reports every year (the Contrat de Ville), as a PDF file."""
    return run_job(job_id, _annual_report)
