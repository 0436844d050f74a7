"""Background work of the exchange app: an import's analysis and confirmation, big exports, the national table."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from conventions import roles
from exchange.analysis import ImportRolledBack, analyse, apply_plan
from exchange.models import ImportStatus, WorkbookImport
from jobs.runner import JobFailure, JobOutput, run_job


def _record(job):
    record = WorkbookImport.objects.filter(pk=job.parameters["import"], requested_by=job.requested_by).first()
    if record is None:
        raise JobFailure("Cet import n'existe plus.")
    return record


def _read(record):
    with record.file.open("rb") as stream:
        return stream.read()


def _summary(record, lines):
    return {
        "lines": lines,
        "next_url": reverse("exchange:import_detail", args=[record.pk]),
        "next_label": "Voir l'import",
    }


def _analyse(job, progress):
    record = _record(job)
    progress(0, 1, "lecture du classeur")
    analysis = analyse(record.kind, _read(record), job.requested_by, progress=progress)
    WorkbookImport.objects.filter(pk=record.pk).update(
        preview=analysis.as_preview(), status=ImportStatus.ANALYSED, finished_at=timezone.now()
    )
    counts = analysis.counts
    lines = [
        f"{counts['created']} création(s), {counts['updated']} modification(s), "
        f"{counts['unchanged']} ligne(s) inchangée(s).",
    ]
    if analysis.problems:
        lines.append(f"{len(analysis.problems)} erreur(s) : rien ne pourra être importé avant leur correction.")
    return JobOutput(summary=_summary(record, lines))


def _confirm(job, progress):
    record = _record(job)
    user = job.requested_by
    analysis = analyse(record.kind, _read(record), user, progress=progress)
    problems = list(analysis.problems)
    if not problems:
        try:
            with transaction.atomic():
                apply_plan(analysis, user, progress=progress)
        except ImportRolledBack as rolled_back:
            problems = rolled_back.problems
    if problems:
        WorkbookImport.objects.filter(pk=record.pk).update(
            status=ImportStatus.FAILED,
            errors=[problem.as_dict() for problem in problems],
            finished_at=timezone.now(),
        )
        raise JobFailure(
            f"Rien n'a été importé : {len(problems)} erreur(s), la première : {problems[0]}. "
            "Voir l'import pour la liste."
        )
    WorkbookImport.objects.filter(pk=record.pk).update(
        status=ImportStatus.CONFIRMED, preview=analysis.as_preview(), finished_at=timezone.now()
    )
    counts = analysis.counts
    return JobOutput(
        summary=_summary(record, [f"{counts['created']} création(s) et {counts['updated']} modification(s) écrites."])
    )


@task()
def analyse_import(job_id):
    """Read an uploaded workbook and record what it would change."""
    return run_job(job_id, _analyse)


@task()
def confirm_import(job_id):
    """Write an analysed workbook, all or nothing."""
    return run_job(job_id, _confirm)


EXPORT_FILES = {
    "fiches": "fiches-{stamp}.xlsx",
    "financements": "financements-{stamp}.xlsx",
    "grille": "grille-valeurs-{stamp}.xlsx",
    "programme": "programme-{stamp}.xlsx",
}


def _export(job, progress):
    from exchange import exports

    user, kind = job.requested_by, job.parameters["kind"]
    if kind == "programme":
        if not exports.may_export_programme(user):
            raise JobFailure("L'export du programme est réservé aux membres du programme.")
        build = exports.programme_xlsx
    elif kind == "fiches":
        query = job.parameters.get("query", "")

        def build(user):
            return exports.fiche_list_xlsx(user, query)
    else:
        build = exports.KIND_EXPORTS[kind]
    progress(0, 1, "écriture du classeur")
    content = build(user)
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    return JobOutput(
        content=content,
        filename=EXPORT_FILES[kind].format(stamp=stamp),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        summary={"lines": ["Classeur prêt."]},
    )


@task()
def build_export(job_id):
    """A big export, written in the background."""
    return run_job(job_id, _export)


def _national(job, progress):
    from exchange.services import national_submission_create

    parameters = job.parameters
    programme = roles.active_programme(job.requested_by)  # run_job works in the job's programme
    progress(0, 1, "sélection des fiches et écriture des fichiers")
    try:
        submission = national_submission_create(
            programme=programme, year=parameters["year"], semester=parameters["semester"], user=job.requested_by
        )
    except PermissionDenied as error:
        raise JobFailure(str(error)) from error
    diff = submission.diff
    return JobOutput(
        summary={
            "lines": [
                f"Tableau national S{submission.semester} {submission.year} déposé : {len(submission.rows)} fiche(s).",
                f"{len(diff['added'])} ajoutée(s), {len(diff['changed'])} modifiée(s), "
                f"{len(diff['removed'])} retirée(s) depuis le dépôt précédent.",
            ],
            "next_url": reverse("exchange:national_table"),
            "next_label": "Retour au tableau national",
        }
    )


@task()
def submit_national_table(job_id):
    """The national table of a semester, filed."""
    return run_job(job_id, _national)
