"""Workbooks brought in (an import and its preview) and the national table filed each semester."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from acv.values import YEAR_BOUNDS
from exchange.managers import NationalSubmissionQuerySet, WorkbookImportQuerySet


class ImportKind(models.TextChoices):
    FICHES = "fiches", _("fiches (avec opérations et financements)")
    FUNDING = "financements", _("lignes de financement")
    GRID = "grille", _("valeurs de la grille d'évaluation")


class ImportStatus(models.TextChoices):
    ANALYSING = "analysing", _("en cours d'analyse")
    ANALYSED = "analysed", _("analysé, à confirmer")
    CONFIRMING = "confirming", _("en cours d'écriture")
    CONFIRMED = "confirmed", _("importé")
    FAILED = "failed", _("échoué, rien n'a été écrit")


def import_file_path(instance, filename):
    return f"imports/{instance.created_at:%Y/%m}/{instance.pk}/{filename}"


class WorkbookImport(models.Model):
    """A workbook someone brought in: the file as uploaded, what it would change (the preview) and what became of
    it. Nothing is written before the importer confirms; then every row is written, or none."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("nature"), max_length=20, choices=ImportKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workbook_imports", verbose_name=_("par")
    )
    file = models.FileField(_("fichier"), upload_to=import_file_path, max_length=300)
    filename = models.CharField(_("nom du fichier"), max_length=200)
    status = models.CharField(_("état"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.ANALYSING)
    # {"rows": [{sheet, row, label, outcome, changes: [[column, old, new]]}], "problems": [{sheet, row, column,
    # message}], "counts": {created, updated, unchanged}}: unchanged rows are counted, not listed.
    preview = models.JSONField(_("aperçu"), default=dict, blank=True)
    errors = models.JSONField(_("erreurs à l'écriture"), default=list, blank=True)
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    analysis_job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("analyse")
    )
    confirm_job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("écriture")
    )

    objects = WorkbookImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("import de classeur")
        verbose_name_plural = _("imports de classeurs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.filename} ({self.get_status_display()})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("exchange:import_detail", args=[self.pk])

    @property
    def problems(self):
        return self.preview.get("problems", [])

    @property
    def counts(self):
        return self.preview.get("counts", {})

    @property
    def status_label(self):
        if self.status == ImportStatus.ANALYSED and self.problems:
            return _("analysé : erreurs à corriger")
        return self.get_status_display()

    @property
    def can_confirm(self):
        return (
            self.status == ImportStatus.ANALYSED
            and not self.problems
            and bool(self.counts.get("created") or self.counts.get("updated"))
        )


def submission_file_path(instance, filename):
    return f"tableau-national/{instance.year}-S{instance.semester}/{instance.pk}/{filename}"


class NationalSubmission(models.Model):
    """The national table of ACV actions as filed for a semester (avenant n°2, Article 4: at least once a
    semester): the exact files, who, when, and what changed since the previous submission."""

    # Read in the programme it was filed for only (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(
        "conventions.Programme",
        on_delete=models.PROTECT,
        related_name="national_submissions",
        verbose_name=_("programme"),
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    semester = models.PositiveSmallIntegerField(_("semestre"), validators=[MinValueValidator(1), MaxValueValidator(2)])
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="national_submissions", verbose_name=_("par")
    )
    submitted_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    xlsx = models.FileField(_("fichier XLSX"), upload_to=submission_file_path, max_length=300)
    csv = models.FileField(_("fichier CSV"), upload_to=submission_file_path, max_length=300)
    # The rows as filed (fiche id → column → value), to compute the next submission's diff.
    rows = models.JSONField(_("lignes"), default=dict)
    # {"added": [codes], "removed": [codes], "changed": [{"code", "fields": [[column, old, new]]}]}
    diff = models.JSONField(_("différence avec le précédent"), default=dict, blank=True)

    objects = NationalSubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("dépôt du tableau national")
        verbose_name_plural = _("dépôts du tableau national")
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(semester__in=[1, 2]),
                name="national_submission_semester_1_or_2",
                violation_error_message=_("Le semestre est 1 ou 2."),
            )
        ]

    def __str__(self):
        return f"Tableau national S{self.semester} {self.year} ({self.submitted_at:%d/%m/%Y})"
