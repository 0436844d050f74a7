"""What every background task of the project shares: it runs the work of one Job, reports its progress on it,
keeps its file, and says in French why it failed.

An app's task is a thin `@task` function that calls `run_job(job_id, work)`; `work(job, progress)` does the
real work and returns a JobOutput. The task framework only carries the job's id: everything a person reads
(progress, result, failure) is on the Job, which the page and the API serve through its access rules.
"""

import logging
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone

from conventions import roles
from jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

UNEXPECTED = (
    "Le traitement s'est arrêté sur une erreur inattendue, consignée dans le journal du serveur. Réessayez ; si "
    "l'erreur persiste, signalez-la à l'administrateur avec la référence {reference}."
)


class JobFailure(Exception):
    """Work that cannot be done, with the reason to give the person who asked (in French)."""


@dataclass
class JobOutput:
    """What finished work leaves: a file to download (optional) and a summary to show."""

    content: bytes | None = None
    filename: str = ""
    content_type: str = ""
    summary: dict = field(default_factory=dict)


class Progress:
    """Called by the work as it goes: `progress(done, total, "message")`. Each call is one UPDATE of the job's
    row, committed at once when a worker runs the task, so the page that polls sees it move."""

    def __init__(self, job):
        self.job = job

    def __call__(self, done, total=None, message=""):
        total = self.job.progress_total if total is None else total
        done = min(done, total) if total is not None else done
        Job.objects.filter(pk=self.job.pk).update(
            progress_done=done, progress_total=total, progress_message=message[:300]
        )
        self.job.progress_done, self.job.progress_total, self.job.progress_message = done, total, message[:300]


def _finish(job, **fields):
    fields["finished_at"] = timezone.now()
    Job.objects.filter(pk=job.pk).update(**fields)


def _in_programme_of(job, work):
    """Run the work in the programme the job was asked in (job_start records it): roles and rows of that
    programme only."""
    if job.programme is None:
        return work(job, Progress(job))
    with roles.working_in(job.requested_by, job.programme.code):
        return work(job, Progress(job))


def run_job(job_id, work):
    """Run `work(job, progress)` for the job `job_id` and record its outcome on the job. A job already finished
    is not run again (a task retried after a worker's crash must not import a file twice). Failures are
    recorded, then raised again so that the task framework records the task as failed too."""
    job = Job.objects.select_related("programme", "requested_by").get(pk=job_id)
    if job.is_finished:
        return {"job": str(job.pk), "status": job.status}
    job.started_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=job.started_at, error_message="")
    try:
        output = _in_programme_of(job, work)
    except JobFailure as failure:
        _finish(job, status=JobStatus.FAILED, error_message=str(failure))
        raise
    except Exception:
        logger.exception("Traitement %s (%s) en échec", job.pk, job.kind)
        _finish(job, status=JobStatus.FAILED, error_message=UNEXPECTED.format(reference=job.pk))
        raise
    if output.content is not None:
        job.result_file.save(output.filename, ContentFile(output.content), save=False)
    _finish(
        job,
        status=JobStatus.DONE,
        result_file=job.result_file.name or "",
        result_name=output.filename,
        result_content_type=output.content_type,
        result_summary=output.summary,
        progress_done=job.progress_total or job.progress_done,
        progress_message="",
    )
    return {"job": str(job.pk), "status": JobStatus.DONE}
