"""The evaluation grid of Article 8 (criteria, indicators, sources), the values measured, and the reports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from actions.managers import PartOfActionQuerySet
from acv.values import MONEY, NON_NEGATIVE, YEAR_BOUNDS
from conventions.managers import ReferenceQuerySet
from evaluation.managers import SemesterReportQuerySet


class DataSource(models.Model):
    """Where an indicator's values come from (INSEE, observatoire du commerce, services of the city…)."""

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=250)
    producer = models.CharField(_("producteur"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source de données")
        verbose_name_plural = _("sources de données")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Criterion(models.Model):
    """A criterion of the evaluation grid, attached to an axe (or to the programme as a whole)."""

    programme = models.ForeignKey(
        "conventions.Programme", on_delete=models.PROTECT, related_name="criteria", verbose_name=_("programme")
    )
    axis = models.ForeignKey(
        "conventions.Axis",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="criteria",
        verbose_name=_("axe"),
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("critère"), max_length=500)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("critère d'évaluation")
        verbose_name_plural = _("critères d'évaluation")
        ordering = ["programme", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="criterion_code_unique",
                violation_error_message=_("Ce code de critère existe déjà dans ce programme."),
            )
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"


class Direction(models.TextChoices):
    UP = "up", _("à la hausse")
    DOWN = "down", _("à la baisse")
    NEUTRAL = "neutral", _("à suivre")
    UNSPECIFIED = "", _("non précisé")


class Indicator(models.Model):
    """An indicator of a criterion: what is measured, in which unit, on which perimeter, from which sources."""

    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("critère")
    )
    name = models.CharField(_("indicateur"), max_length=500)
    unit = models.CharField(_("unité"), max_length=60, blank=True)
    perimeter = models.CharField(_("périmètre"), max_length=300, blank=True)
    direction = models.CharField(_("évolution souhaitée"), max_length=10, choices=Direction.choices, blank=True)
    sources = models.ManyToManyField(DataSource, blank=True, related_name="indicators", verbose_name=_("sources"))
    note = models.TextField(_("remarque"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["criterion", "position", "pk"]

    def __str__(self):
        return self.name


class IndicatorValue(models.Model):
    """A measured value of an indicator for a territory and a period."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicateur")
    )
    territory = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.PROTECT,
        related_name="indicator_values",
        verbose_name=_("territoire"),
    )
    period = models.CharField(_("période"), max_length=20, help_text=_("Par exemple 2024 ou S1 2025."))
    value = models.DecimalField(_("valeur"), max_digits=16, decimal_places=4)
    source = models.ForeignKey(
        DataSource, on_delete=models.PROTECT, null=True, blank=True, related_name="values", verbose_name=_("source")
    )
    note = models.TextField(_("remarque"), blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateur")
        ordering = ["indicator", "territory", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "territory", "period"],
                name="indicator_value_unique",
                violation_error_message=_(
                    "Une valeur existe déjà pour cet indicateur, ce territoire et cette période."
                ),
            )
        ]

    def __str__(self):
        return f"{self.indicator} – {self.territory} – {self.period}"


def semester_report_path(report, filename):
    return f"rapports/{report.year}-S{report.semester}/{filename}"


class SemesterReport(models.Model):
    """A semester report as it was presented: the exact PDF bytes, kept with the meeting they were shown at.

    Stored rather than rebuilt on download, so what the comité saw stays what it saw whatever the fiches
    became afterwards.
    """

    convention = models.ForeignKey(
        "conventions.Convention",
        on_delete=models.PROTECT,
        related_name="semester_reports",
        verbose_name=_("convention"),
    )
    meeting = models.ForeignKey(
        "conventions.CommitteeMeeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="semester_reports",
        verbose_name=_("réunion de comité"),
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    semester = models.PositiveSmallIntegerField(_("semestre"), choices=[(1, _("S1")), (2, _("S2"))])
    pdf = models.FileField(_("rapport PDF"), upload_to=semester_report_path)
    generated_at = models.DateTimeField(_("produit le"), auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("produit par")
    )

    objects = SemesterReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("rapport semestriel")
        verbose_name_plural = _("rapports semestriels")
        ordering = ["-year", "-semester", "-generated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(semester__in=[1, 2]),
                name="semester_report_semester_valid",
                violation_error_message=_("Le semestre vaut 1 ou 2."),
            ),
        ]

    def __str__(self):
        return f"Rapport semestriel S{self.semester} {self.year}"

    @property
    def filename(self):
        return f"rapport-semestriel-{self.year}-S{self.semester}.pdf"


class EndOfActionReport(models.Model):
    """The bilan of a delivered fiche asked by Article 8: how it was carried out, what it reached, how it lasts."""

    action = models.OneToOneField(
        "actions.Action", on_delete=models.CASCADE, related_name="end_of_action_report", verbose_name=_("fiche")
    )
    implementation = models.TextField(
        _("déroulement de l'action"), help_text=_("Comment l'action a été menée : étapes, délais, écarts au projet.")
    )
    results = models.TextField(
        _("résultats obtenus"), help_text=_("Les résultats atteints, au regard des objectifs et des indicateurs.")
    )
    sustainability = models.TextField(
        _("pérennité"), help_text=_("Comment les effets de l'action vont durer : gestion, entretien, suites prévues.")
    )
    final_cost = models.DecimalField(
        _("coût final (€)"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("Laisser vide si inconnu."),
        **MONEY,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("rédigé par")
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = PartOfActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("bilan de fin d'action")
        verbose_name_plural = _("bilans de fin d'action")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(final_cost__isnull=True) | models.Q(final_cost__gte=0),
                name="end_of_action_cost_positive",
                violation_error_message=_("Le coût final doit être positif ou nul."),
            ),
        ]

    def __str__(self):
        return f"Bilan de fin d'action – {self.action}"
