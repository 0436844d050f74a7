"""Imports of workbooks: upload, analysis, confirmation — each step a service, the long ones as jobs."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from acv.imports import check_workbook_upload
from conventions import roles
from exchange.analysis import KIND_RIGHTS, may_import
from exchange.models import ImportStatus, WorkbookImport
from jobs.services import job_start

NATIONAL_RIGHTS = "Seule la coordination du programme dépose le tableau national."
NO_NATIONAL_TABLE = "Le programme {programme} ne dépose pas de tableau national."


def workbook_import_start(*, kind: str, content: bytes, filename: str, user) -> WorkbookImport:
    """Check the upload (acv.imports: refused files raise WorkbookRefused and leave nothing behind), keep the
    file, and start its analysis as a job. Nothing of the programme is written."""
    from exchange.tasks import analyse_import

    if not may_import(kind, user):
        raise PermissionDenied(KIND_RIGHTS.get(kind, "Import refusé."))
    check_workbook_upload(content)
    record = WorkbookImport(kind=kind, requested_by=user, filename=filename[:200], created_at=timezone.now())
    record.file.save(filename[:100] or "classeur.xlsx", ContentFile(content), save=False)
    record.save()
    job = job_start(
        kind="import-analysis",
        title=f"Analyse de l'import « {record.filename} »",
        user=user,
        task=analyse_import,
        parameters={"import": str(record.pk)},
    )
    WorkbookImport.objects.filter(pk=record.pk).update(analysis_job=job)
    record.refresh_from_db()
    return record


def workbook_import_confirm(*, record: WorkbookImport, user) -> WorkbookImport:
    """Ask for the writes of an analysed import (a job): it reads the file again, re-validates every row, and
    writes all of it in one transaction or nothing."""
    from exchange.tasks import confirm_import

    if not WorkbookImport.objects.editable_by(user).filter(pk=record.pk).exists():
        raise PermissionDenied("Seul l'auteur d'un import le confirme.")
    with transaction.atomic():
        updated = WorkbookImport.objects.filter(pk=record.pk, status=ImportStatus.ANALYSED).update(
            status=ImportStatus.CONFIRMING
        )
    if not updated:
        raise PermissionDenied("Cet import n'est plus à confirmer.")
    job = job_start(
        kind="import-confirm",
        title=f"Import de « {record.filename} »",
        user=user,
        task=confirm_import,
        parameters={"import": str(record.pk)},
    )
    WorkbookImport.objects.filter(pk=record.pk).update(confirm_job=job)
    record.refresh_from_db()
    return record


@transaction.atomic
def national_submission_create(*, programme, year: int, semester: int, user):
    """File the national table for a semester: the exact XLSX and CSV bytes, who, when, and the difference with
    the previous submission of the programme. For the coordination only."""
    from exchange import national
    from exchange.models import NationalSubmission

    if not roles.edits_everything(user):
        raise PermissionDenied(NATIONAL_RIGHTS)
    if not programme.has_national_table:
        raise ValidationError(NO_NATIONAL_TABLE.format(programme=programme.name))
    rows = national.national_rows(programme)
    stored = national.comparable(rows)
    previous = NationalSubmission.objects.filter(programme=programme).order_by("-submitted_at").first()
    submission = NationalSubmission(
        programme=programme,
        year=year,
        semester=semester,
        submitted_by=user,
        rows=stored,
        diff=national.table_diff(previous.rows if previous else None, stored),
    )
    submission.full_clean(exclude=["xlsx", "csv"])
    stem = f"tableau-national-{year}-S{semester}"
    submission.xlsx.save(f"{stem}.xlsx", ContentFile(national.table_xlsx(rows)), save=False)
    submission.csv.save(f"{stem}.csv", ContentFile(national.table_csv(rows)), save=False)
    submission.save()
    return submission
