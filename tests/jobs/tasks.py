"""Tasks of the tests' own: each runs one kind of work through jobs.runner, as an app's task does."""

from django_tasks import task

from jobs.runner import JobFailure, JobOutput, run_job


def _file(job, progress):
    rows = job.parameters.get("rows", 3)
    for done in range(1, rows + 1):
        progress(done, rows, f"ligne {done}")
    return JobOutput(
        content=f"{rows} lignes pour {job.requested_by.username}".encode(),
        filename="resultat.txt",
        content_type="text/plain",
        summary={"lines": [f"{rows} lignes écrites."]},
    )


def _refused(job, progress):
    raise JobFailure("Le fichier ne contient aucune feuille « Fiches ».")


def _broken(job, progress):
    return 1 / 0


@task()
def make_file(job_id):
    return run_job(job_id, _file)


@task()
def refuse(job_id):
    return run_job(job_id, _refused)


@task()
def crash(job_id):
    return run_job(job_id, _broken)
