"""Long work done in the background — reports, big exports, imports — and what it leaves behind.

A `Job` is what a person asked for and follows: its progress, its outcome and its file, kept so that the page
can be left and come back to. The work itself runs as a task of Django's task framework (the `django-tasks`
backport with the `django-tasks-db` backend), which a worker process picks up; `jobs.runner` ties the two.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jobs.managers import JobQuerySet


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("échoué")


FINISHED_STATUSES = (JobStatus.DONE, JobStatus.FAILED)


def job_file_path(job, filename):
    return f"traitements/{job.requested_at:%Y/%m}/{job.pk}/{filename}"


class Job(models.Model):
    """A piece of long work someone asked for: what, by whom, how far it got, and its result."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet): a job is followed in the programme it was
    # asked in, as the rows it reads are. Jobs from before there were several programmes have none: they were
    # the default programme's.
    programme_paths = ("programme?",)

    # Not a sequence: a job's address says nothing about how many others there are.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.SlugField(_("nature"), max_length=40)
    title = models.CharField(_("intitulé"), max_length=300)
    parameters = models.JSONField(_("paramètres"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("demandé par")
    )
    # The programme it was asked in: the worker, which has no request, reads that programme's rows and roles.
    programme = models.ForeignKey(
        "conventions.Programme",
        on_delete=models.PROTECT,
        null=True,
        related_name="jobs",
        verbose_name=_("programme"),
    )
    requested_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveIntegerField(_("étapes faites"), default=0)
    progress_total = models.PositiveIntegerField(_("étapes en tout"), null=True, blank=True)
    progress_message = models.CharField(_("étape en cours"), max_length=300, blank=True)
    result_file = models.FileField(_("fichier produit"), upload_to=job_file_path, blank=True, max_length=300)
    result_name = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    result_content_type = models.CharField(_("type du fichier"), max_length=120, blank=True)
    # What the work says of itself when done (rows imported, fiches in the report…): shown on its page.
    result_summary = models.JSONField(_("bilan"), default=dict, blank=True)
    # Written for the person who asked, in French; the technical trace goes to the logs and the task's result.
    error_message = models.TextField(_("motif de l'échec"), blank=True)
    task_id = models.CharField(_("identifiant de la tâche"), max_length=64, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("traitement")
        verbose_name_plural = _("traitements")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="job_requester_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_total__isnull=True) | Q(progress_done__lte=models.F("progress_total")),
                name="job_progress_within_total",
                violation_error_message=_("L'avancement ne peut pas dépasser le nombre d'étapes."),
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("jobs:job_detail", args=[self.pk])

    @property
    def is_finished(self):
        return self.status in FINISHED_STATUSES

    @property
    def has_file(self):
        return self.status == JobStatus.DONE and bool(self.result_file)

    @property
    def duration_display(self):
        """How long the work took, as people say it: « 7 s », « 2 min 05 s »."""
        if not (self.started_at and self.finished_at):
            return ""
        seconds = max(0, round((self.finished_at - self.started_at).total_seconds()))
        minutes, seconds = divmod(seconds, 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"

    @property
    def percent(self):
        """How far the work got, in whole percent, when it knows its number of steps."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)
