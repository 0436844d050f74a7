"""The evaluation grid of Article 8 (criteria, indicators, sources) and the values measured."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataSource(models.Model):
    """Where an indicator's values come from (INSEE, observatoire du commerce, services of the city…)."""

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=250)
    producer = models.CharField(_("producteur"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)

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
