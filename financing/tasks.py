"""Background work of the financing app: the funding lines export of a big selection (a national funder's lines,
a whole national programme's), which a request could not write within its time."""

from django_tasks import task

from acv.workbooks import XLSX_CONTENT_TYPE
from conventions import roles
from financing.exports import export_filename, funding_lines_xlsx, selected_funding_lines
from jobs.runner import JobFailure, JobOutput, run_job


def _export(job, progress):
    user = job.requested_by
    # Checked again when the work runs: the person's role may have changed since it was asked.
    if not roles.can_export_funding_lines(user):
        raise JobFailure("L'export des lignes de financement est réservé aux membres du programme.")
    progress(0, 1, "écriture du classeur")
    content = funding_lines_xlsx(selected_funding_lines(user, job.parameters.get("query", "")), viewer=user)
    return JobOutput(
        content=content,
        filename=export_filename(),
        content_type=XLSX_CONTENT_TYPE,
        summary={"lines": ["Classeur prêt."]},
    )


@task()
def build_funding_lines_export(job_id):
    """The funding lines of the fiches a list selects, as a workbook."""
    return run_job(job_id, _export)
