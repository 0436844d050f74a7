"""Starting a job: the one way pages, the API and commands hand long work to the background."""

from django.db import transaction

from conventions import roles
from jobs.models import Job


@transaction.atomic
def job_start(*, kind: str, title: str, user, task, parameters: dict | None = None) -> Job:
    """Record the job, then enqueue `task` with the job's id.

    With the database backend the task's row is written in this same transaction as the job's: a worker can
    only pick it up once both are committed, so it never meets a job that does not exist yet. With the
    immediate backend (the tests), the work is done before this returns and the job comes back finished.

    The job keeps the programme it was asked in (a worker has no request to tell it): run_job reads the rows of
    that programme, whatever the person's other roles.
    """
    job = Job.objects.create(
        kind=kind,
        title=title[:300],
        requested_by=user,
        programme=roles.active_programme(user),
        parameters=parameters or {},
    )
    result = task.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job
