"""What running on several machines relies on: a health check for the load balancer, and reports that may read from
a read replica while everything else reads from the primary."""

import datetime

import pytest
from django.db import connections
from django.utils import timezone

from actions.models import Action
from acv.replica import REPLICA, ReplicaRouter, reading_from_replica
from jobs.models import Job
from jobs.services import job_start
from tests.jobs import tasks


def test_health_says_the_database_answers_and_how_long_tasks_wait(client, settings, coordinator, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    assert client.get("/sante/").json() == {
        "status": "ok",
        "database": "ok",
        "tasks": {"waiting": 0, "oldest_waiting_seconds": 0},
    }
    job = job_start(kind="essai", title="Essai", user=coordinator, task=tasks.make_file)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=job.task_id).update(enqueued_at=timezone.now() - datetime.timedelta(minutes=5))
    response = client.get("/sante/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    tasks_waiting = response.json()["tasks"]
    assert tasks_waiting["waiting"] == 1 and 299 <= tasks_waiting["oldest_waiting_seconds"] <= 310
    assert Job.objects.get().status == "queued"


def test_health_answers_503_when_the_database_does_not(client, monkeypatch, db):
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("connexion refusée")

    with monkeypatch.context() as patched:
        patched.setattr(connections["default"], "cursor", broken)
        response = client.get("/sante/")
    assert response.status_code == 503 and response.json()["database"] == "error"


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_only_what_reads_inside_reading_from_replica_goes_to_the_replica(settings):
    router = ReplicaRouter()
    settings.DATABASES = {**settings.DATABASES, REPLICA: settings.DATABASES["default"]}
    assert router.db_for_read(Action) is None
    with reading_from_replica():
        assert router.db_for_read(Action) == REPLICA
        assert router.db_for_write(Action) is None  # writes always go to the primary
    assert router.db_for_read(Action) is None
    assert router.allow_migrate(REPLICA, "actions") is False and router.allow_migrate("default", "actions")


def test_without_a_replica_reports_read_from_the_primary(settings):
    assert REPLICA not in settings.DATABASES
    with reading_from_replica():
        assert ReplicaRouter().db_for_read(Action) is None
