"""Background jobs: what the person who asked follows and receives, what nobody else reaches, and how a failure
reads — with tasks run at once (the suite's setting) and by the real database worker."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from jobs.models import Job, JobStatus
from jobs.services import job_start
from tests.jobs import tasks


def _start(user, task=tasks.make_file, **parameters):
    return job_start(kind="essai", title="Essai de traitement", user=user, task=task, parameters=parameters)


def test_a_finished_job_keeps_its_file_its_summary_and_its_progress(coordinator):
    job = _start(coordinator, rows=4)
    assert job.status == JobStatus.DONE
    assert (job.progress_done, job.progress_total, job.percent) == (4, 4, 100)
    assert job.result_summary == {"lines": ["4 lignes écrites."]}
    assert job.result_file.read() == b"4 lignes pour coordinateur"
    assert job.started_at <= job.finished_at
    assert job.task_id


def test_the_person_who_asked_downloads_the_file_and_nobody_else_does(
    client, coordinator, admin_user, referent_bethune, partner_bdt, committee_member, outsider
):
    job = _start(partner_bdt, rows=2)
    url = reverse("jobs:job_file", args=[job.pk])
    client.force_login(partner_bdt)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"2 lignes pour partenaire.bdt"
    assert 'filename="resultat.txt"' in response["Content-Disposition"]
    # Not even the coordination: the file holds what the partner could read, chosen by the partner.
    for other in (coordinator, admin_user, referent_bethune, committee_member):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert client.get(reverse("jobs:job_detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("api:job-detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("api:job-file", args=[job.pk])).status_code == 404
        assert str(job.pk) not in client.get(reverse("jobs:job_list")).content.decode()
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_a_refused_job_says_why_in_french_and_keeps_no_file(client, coordinator):
    job = _start(coordinator, task=tasks.refuse)
    assert job.status == JobStatus.FAILED
    assert job.error_message == "Le fichier ne contient aucune feuille « Fiches »."
    assert not job.has_file
    client.force_login(coordinator)
    page = client.get(reverse("jobs:job_detail", args=[job.pk])).content.decode()
    assert "Échoué" in page and "aucune feuille « Fiches »" in page
    assert client.get(reverse("jobs:job_file", args=[job.pk])).status_code == 404


def test_an_unexpected_error_is_logged_and_the_person_gets_a_reference_not_a_traceback(coordinator, caplog):
    job = _start(coordinator, task=tasks.crash)
    assert job.status == JobStatus.FAILED
    assert str(job.pk) in job.error_message
    assert "ZeroDivisionError" not in job.error_message
    assert any("ZeroDivisionError" in (record.exc_text or "") for record in caplog.records)


def test_a_running_job_page_asks_again_and_a_finished_one_stops(client, coordinator):
    job = Job.objects.create(kind="essai", title="Essai", requested_by=coordinator, status=JobStatus.RUNNING)
    Job.objects.filter(pk=job.pk).update(progress_done=3, progress_total=12, progress_message="fiche AM.3")
    client.force_login(coordinator)
    running = client.get(reverse("jobs:job_detail", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in running
    assert 'value="25"' in running and "3 sur 12" in running and "fiche AM.3" in running
    assert "<html" not in running  # only the block comes back to a poll
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE)
    done = client.get(reverse("jobs:job_detail", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "data-job-finished" in done


def test_the_api_gives_the_job_and_its_file_address_to_its_requester_only(client, coordinator, partner_bdt):
    job = _start(coordinator, rows=1)
    client.force_login(coordinator)
    data = client.get(reverse("api:job-detail", args=[job.pk])).json()
    assert data["status"] == "done" and data["finished"] is True and data["percent"] == 100
    assert data["file_url"].endswith(reverse("api:job-file", args=[job.pk]))
    assert b"".join(client.get(data["file_url"]).streaming_content) == b"1 lignes pour coordinateur"
    assert [row["id"] for row in client.get(reverse("api:job-list")).json()["results"]] == [str(job.pk)]
    client.force_login(partner_bdt)
    assert client.get(reverse("api:job-list")).json()["results"] == []


@pytest.fixture
def database_worker(settings, transactional_db):
    """The production backend: the task waits in its table until `db_worker` runs it. Committed data, as in
    production: the worker closes and reopens its connection between tasks."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_the_database_worker_runs_queued_jobs(database_worker, coordinator):
    done = _start(coordinator, rows=5)
    failed = _start(coordinator, task=tasks.refuse)
    assert {done.status, failed.status} == {JobStatus.QUEUED}
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    done.refresh_from_db()
    failed.refresh_from_db()
    assert done.status == JobStatus.DONE and done.result_file.read() == b"5 lignes pour coordinateur"
    assert failed.status == JobStatus.FAILED and "aucune feuille" in failed.error_message

    from django_tasks_db.models import DBTaskResult

    results = {str(row.id): row.status for row in DBTaskResult.objects.all()}
    assert results == {done.task_id: "SUCCESSFUL", failed.task_id: "FAILED"}


def test_a_job_run_twice_is_not_redone(database_worker, coordinator):
    job = _start(coordinator, rows=2)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    job.refresh_from_db()
    first_file = job.result_file.name
    assert tasks.make_file.call(str(job.pk)) == {"job": str(job.pk), "status": "done"}
    job.refresh_from_db()
    assert job.result_file.name == first_file
