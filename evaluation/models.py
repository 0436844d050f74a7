"""The evaluation grid of Article 8 (criteria, indicators, sources), the values measured, and the reports."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actions.managers import PartOfActionQuerySet
from acv.values import DATE_BOUNDS, FIRST_DATE, MONEY, NON_NEGATIVE, YEAR_BOUNDS
from conventions.managers import ReferenceQuerySet
from conventions.models import OrganisationKind, PriorityNeighbourhood
from evaluation.managers import (
    HistoricalIndicatorValueQuerySet,
    HistoricalResultIndicatorLinkQuerySet,
    IndicatorValueQuerySet,
    ResultIndicatorLinkQuerySet,
    SemesterReportQuerySet,
)
from evaluation.periods import Period, PeriodKind


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

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("programme",)

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


class UnitKind(models.TextChoices):
    """What kind of number an indicator counts: it decides the bounds a value must keep."""

    COUNT = "count", _("nombre (entier, positif ou nul)")
    PERCENT = "percent", _("pourcentage (0 à 100)")
    QUANTITY = "quantity", _("quantité (km, m², visiteurs…)")
    AMOUNT = "amount", _("montant en euros")


class IndicatorScope(models.TextChoices):
    NATIONAL = "national", _("indicateur national du programme")
    LOCAL = "local", _("indicateur local")


class Frequency(models.TextChoices):
    """How often an indicator is measured: the kind of period its measured and estimated values carry."""

    YEAR = "year", _("annuelle")
    SEMESTER = "semester", _("semestrielle")
    QUARTER = "quarter", _("trimestrielle")
    ANY = "any", _("ponctuelle (toute période)")


MAX_DECIMAL_PLACES = 4


class Indicator(models.Model):
    """An indicator of a criterion: what is measured, in which unit, on which perimeter, from which sources."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("criterion__programme",)

    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("critère")
    )
    name = models.CharField(_("indicateur"), max_length=500)
    unit = models.CharField(_("unité"), max_length=60, blank=True, help_text=_("Telle qu'affichée : logements, %, km…"))
    unit_kind = models.CharField(
        _("nature de la valeur"), max_length=10, choices=UnitKind.choices, default=UnitKind.QUANTITY
    )
    decimal_places = models.PositiveSmallIntegerField(
        _("décimales admises"),
        default=2,
        validators=[
            MaxValueValidator(MAX_DECIMAL_PLACES, message=_("Une valeur a au plus 4 décimales.")),
        ],
    )
    min_value = models.DecimalField(
        _("valeur minimale"), max_digits=16, decimal_places=4, null=True, blank=True, help_text=_("Facultatif.")
    )
    max_value = models.DecimalField(
        _("valeur maximale"), max_digits=16, decimal_places=4, null=True, blank=True, help_text=_("Facultatif.")
    )
    perimeter = models.CharField(_("périmètre"), max_length=300, blank=True)
    direction = models.CharField(_("évolution souhaitée"), max_length=10, choices=Direction.choices, blank=True)
    scope = models.CharField(_("portée"), max_length=10, choices=IndicatorScope.choices, default=IndicatorScope.LOCAL)
    frequency = models.CharField(_("fréquence"), max_length=10, choices=Frequency.choices, default=Frequency.YEAR)
    sources = models.ManyToManyField(DataSource, blank=True, related_name="indicators", verbose_name=_("sources"))
    note = models.TextField(_("remarque"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["criterion", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decimal_places__lte=MAX_DECIMAL_PLACES),
                name="indicator_decimal_places_max",
                violation_error_message=_("Une valeur a au plus 4 décimales."),
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True) | Q(max_value__isnull=True) | Q(max_value__gte=F("min_value")),
                name="indicator_bounds_ordered",
                violation_error_message=_("La valeur maximale ne peut pas être inférieure à la valeur minimale."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def bounds(self):
        """(lowest, highest) a value may take, None for no bound: the indicator's own bounds, else those of
        its kind (a percentage lies between 0 and 100, a count or an amount is never negative)."""
        low, high = self.min_value, self.max_value
        if self.unit_kind == UnitKind.PERCENT:
            low = Decimal("0") if low is None else low
            high = Decimal("100") if high is None else high
        elif self.unit_kind in (UnitKind.COUNT, UnitKind.AMOUNT) and low is None:
            low = Decimal("0")
        return low, high

    @property
    def places(self):
        """Decimals a value may carry: none for a count, whatever the setting says."""
        return 0 if self.unit_kind == UnitKind.COUNT else self.decimal_places

    @property
    def unit_label(self):
        return self.unit or ("%" if self.unit_kind == UnitKind.PERCENT else "")


class Series(models.TextChoices):
    """Which figure a value is: the state at the start, the target aimed at, what was measured, or an estimate."""

    INITIAL = "initial", _("état initial")
    TARGET = "target", _("cible")
    MEASURED = "measured", _("mesuré")
    ESTIMATED = "estimated", _("estimé")


# The kinds of organisation that are perimeters of a programme; its ORT sectors are Sectors of its communes, its
# quartiers prioritaires PriorityNeighbourhoods on them.
TERRITORY_KINDS = (OrganisationKind.COMMUNE, OrganisationKind.EPCI)
PERIOD_WITH_ARTICLE = {
    PeriodKind.YEAR: _("une année (2025)"),
    PeriodKind.SEMESTER: _("un semestre (S1 2025)"),
    PeriodKind.QUARTER: _("un trimestre (T2 2025)"),
    PeriodKind.DATE: _("une date"),
}
DUPLICATE_VALUE = _("Une valeur existe déjà pour cet indicateur, ce territoire et cette période.")
ONE_PLACE = _(
    "Une valeur porte sur un territoire (commune ou EPCI, éventuellement l'un de ses secteurs ORT) ou sur un "
    "quartier prioritaire (QPV) : l'un ou l'autre."
)


def programme_territories(programme_id):
    """The communes and EPCI that are perimeters of a programme: those that signed one of its conventions as
    collectivité bénéficiaire."""
    from conventions.models import Organisation, Signatory, SignatoryRole

    signed = Signatory.objects.filter(role=SignatoryRole.BENEFICIARY, convention__programme_id=programme_id).values(
        "organisation_id"
    )
    return Organisation.objects.filter(pk__in=signed, kind__in=TERRITORY_KINDS)


def programme_neighbourhoods(programme_id):
    """The quartiers prioritaires (QPV) that are perimeters of a programme: those on one of its communes at
    least (a QPV straddling a commune of the programme and another commune is one of its perimeters)."""
    communes = programme_territories(programme_id).filter(kind=OrganisationKind.COMMUNE).values("pk")
    on_them = PriorityNeighbourhood.communes.through.objects.filter(organisation_id__in=communes)
    return PriorityNeighbourhood.objects.filter(pk__in=on_them.values("priorityneighbourhood_id"))


def place_label_of(value):
    """Where a value (or one of its history records) was measured, as a person names it: « Béthune »,
    « Béthune – Hypercentre », « QPV Mont-Liébaut »."""
    if value.neighbourhood_id:
        return value.neighbourhood.label
    if value.territory_id is None:
        return ""
    return f"{value.territory} – {value.sector.name}" if value.sector_id else str(value.territory)


class IndicatorValue(models.Model):
    """One figure of the grid: an indicator × a place of the programme (a commune or EPCI, one of a commune's
    ORT sectors, or a quartier prioritaire) × a typed period × a series (état initial, cible, mesuré, estimé),
    with where it comes from and who entered it. A QPV may straddle communes: it is a place of its own, not a
    part of one commune, so a value is either on a territory (and maybe one of its sectors) or on a QPV. The
    rules are in clean(); evaluation.services.indicator_value_save is the one way to write."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("indicator__criterion__programme",)

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicateur")
    )
    territory = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicator_values",
        verbose_name=_("territoire"),
        help_text=_("Une commune ou un EPCI du programme ; vide pour une valeur d'un quartier prioritaire."),
    )
    neighbourhood = models.ForeignKey(
        "conventions.PriorityNeighbourhood",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicator_values",
        verbose_name=_("quartier prioritaire (QPV)"),
        help_text=_("Un quartier prioritaire sur une commune du programme, si la valeur porte sur lui."),
    )
    sector = models.ForeignKey(
        "conventions.Sector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicator_values",
        verbose_name=_("secteur"),
        help_text=_("Un secteur d'intervention (périmètre ORT) de la commune, si la valeur ne porte que sur lui."),
    )
    period_kind = models.CharField(
        _("type de période"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    number = models.PositiveSmallIntegerField(
        _("semestre ou trimestre"), default=0, help_text=_("1–2 pour un semestre, 1–4 pour un trimestre, 0 sinon.")
    )
    day = models.DateField(
        _("jour"), null=True, blank=True, validators=DATE_BOUNDS, help_text=_("Pour une période de type date.")
    )
    series = models.CharField(_("série"), max_length=10, choices=Series.choices, default=Series.MEASURED)
    value = models.DecimalField(_("valeur"), max_digits=16, decimal_places=4)
    source = models.ForeignKey(
        DataSource, on_delete=models.PROTECT, null=True, blank=True, related_name="values", verbose_name=_("source")
    )
    measured_on = models.DateField(
        _("date de la mesure"), null=True, blank=True, validators=DATE_BOUNDS, help_text=_("Facultatif.")
    )
    note = models.TextField(_("remarque"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saisie par"),
    )
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    history = HistoricalRecords(
        verbose_name=_("historique de valeur d'indicateur"),
        historical_queryset=HistoricalIndicatorValueQuerySet,
    )
    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateur")
        ordering = ["indicator", "territory", "sector", "neighbourhood", "year", "number", "day", "series"]
        constraints = [
            # Territory, sector, quartier and day are often empty: coalesced so that two values of one cell cannot
            # coexist (a plain unique constraint lets NULLs differ, and SQLite has no nulls_distinct).
            models.UniqueConstraint(
                "indicator",
                Coalesce("territory", Value(0)),
                Coalesce("sector", Value(0)),
                Coalesce("neighbourhood", Value(0)),
                "series",
                "period_kind",
                "year",
                "number",
                Coalesce("day", Value(FIRST_DATE)),
                name="indicator_value_unique",
                violation_error_message=DUPLICATE_VALUE,
            ),
            models.CheckConstraint(
                condition=(
                    Q(period_kind=PeriodKind.YEAR, number=0, day__isnull=True)
                    | Q(period_kind=PeriodKind.SEMESTER, number__in=[1, 2], day__isnull=True)
                    | Q(period_kind=PeriodKind.QUARTER, number__in=[1, 2, 3, 4], day__isnull=True)
                    | Q(period_kind=PeriodKind.DATE, number=0, day__isnull=False)
                ),
                name="indicator_value_period_shape",
                violation_error_message=_(
                    "Période incohérente : un semestre est numéroté 1 ou 2, un trimestre de 1 à 4, une date "
                    "porte son jour."
                ),
            ),
            models.CheckConstraint(
                condition=Q(territory__isnull=False, neighbourhood__isnull=True)
                | Q(territory__isnull=True, sector__isnull=True, neighbourhood__isnull=False),
                name="indicator_value_one_place",
                violation_error_message=ONE_PLACE,
            ),
            models.CheckConstraint(
                condition=~Q(series=Series.TARGET) | Q(period_kind=PeriodKind.YEAR),
                name="indicator_value_target_is_a_year",
                violation_error_message=_("Une cible porte sur une année : l'année visée."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator} – {self.place_label} – {self.period} ({self.get_series_display()})"

    # The period as one value: IndicatorValue(period="S1 2025") or value.period = Period(...).
    @property
    def period(self):
        return Period.of(self)

    @period.setter
    def period(self, value):
        period = Period.parse(value)
        self.period_kind, self.year, self.number, self.day = period.kind, period.year, period.number, period.day

    @property
    def place_label(self):
        return place_label_of(self)

    def clean(self):
        errors = {}
        problem = Period.of(self).problem() if self.year is not None else ""
        if problem:
            errors["period_kind"] = problem
        indicator = self.indicator if self.indicator_id else None
        territory = self.territory if self.territory_id else None
        neighbourhood = self.neighbourhood if self.neighbourhood_id else None
        if territory is None and neighbourhood is None:
            errors["territory"] = _(
                "Indiquez où porte la valeur : une commune ou un EPCI du programme (avec, s'il le faut, l'un de "
                "ses secteurs ORT), ou un quartier prioritaire (QPV)."
            )
        elif territory is not None and neighbourhood is not None:
            errors["neighbourhood"] = _(
                "Une valeur porte sur un territoire ou sur un quartier prioritaire, pas sur les deux : pour le "
                "QPV « %(name)s », laissez le territoire vide."
            ) % {"name": neighbourhood.name}
        elif (
            neighbourhood is not None
            and indicator is not None
            and not programme_neighbourhoods(indicator.criterion.programme_id).filter(pk=neighbourhood.pk).exists()
        ):
            errors["neighbourhood"] = _(
                "Le quartier prioritaire « %(name)s » n'est sur aucune commune du programme."
            ) % {"name": neighbourhood.name}
        if territory is not None:
            if territory.kind not in TERRITORY_KINDS:
                errors["territory"] = _(
                    "« %(name)s » est de type %(kind)s : une valeur porte sur une commune, un EPCI, un secteur "
                    "ORT ou un quartier prioritaire (QPV) du programme."
                ) % {"name": territory.name, "kind": territory.get_kind_display()}
            elif indicator is not None and not (
                programme_territories(indicator.criterion.programme_id).filter(pk=territory.pk).exists()
            ):
                errors["territory"] = _(
                    "« %(name)s » n'est pas un territoire du programme (commune ou EPCI signataire de sa "
                    "convention comme collectivité bénéficiaire)."
                ) % {"name": territory.name}
            if self.sector_id and self.sector.commune_id != territory.pk:
                errors["sector"] = _("Le secteur « %(sector)s » n'est pas un secteur de %(territory)s.") % {
                    "sector": self.sector.name,
                    "territory": territory.name,
                }
        if neighbourhood is not None and territory is None and self.sector_id:
            errors["sector"] = _("Un secteur ORT est une partie d'une commune, pas d'un quartier prioritaire.")
        if not problem and self.series == Series.TARGET and self.period_kind != PeriodKind.YEAR:
            errors["period_kind"] = _("Une cible porte sur une année : l'année visée (par exemple 2026).")
        if indicator is not None and not problem and "period_kind" not in errors:
            wanted = indicator.frequency
            measured = self.series in (Series.MEASURED, Series.ESTIMATED, Series.INITIAL)
            if measured and wanted != Frequency.ANY and self.period_kind != wanted:
                errors["period_kind"] = _(
                    "Cet indicateur est suivi avec une fréquence %(frequency)s : la période doit être %(kind)s, "
                    "pas « %(period)s »."
                ) % {
                    "frequency": indicator.get_frequency_display(),
                    "kind": PERIOD_WITH_ARTICLE[wanted],
                    "period": self.period.label,
                }
        if indicator is not None and self.value is not None:
            message = value_problem(indicator, self.value)
            if message:
                errors["value"] = message
        if errors:
            raise ValidationError(errors)


def format_number(indicator, value):
    """A value in French with the indicator's decimals, without its unit (for a column that names it)."""
    if value is None:
        return ""
    return number_format(value, decimal_pos=indicator.places, use_l10n=True, force_grouping=True)


def format_value(indicator, value):
    """A value as the grid shows it, in French, with the indicator's decimals and unit."""
    if value is None:
        return ""
    text = format_number(indicator, value)
    unit = indicator.unit_label
    return f"{text}\u00a0{unit}" if unit else text


def value_problem(indicator, value):
    """Why this number does not fit the indicator (its decimals, its bounds), in French; '' when it fits."""
    value = Decimal(value).normalize()
    exponent = value.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    places = indicator.places
    if decimals > places:
        if places == 0:
            return str(_("Cet indicateur compte des unités entières : pas de décimale (%(value)s).")) % {
                "value": number_format(value, use_l10n=True)
            }
        return str(_("%(value)s a %(decimals)s décimales ; cet indicateur en admet %(places)s au plus.")) % {
            "value": number_format(value, use_l10n=True),
            "decimals": decimals,
            "places": places,
        }
    low, high = indicator.bounds
    if low is not None and value < low:
        return str(_("La valeur doit être supérieure ou égale à %(low)s (%(kind)s).")) % {
            "low": format_value(indicator, low),
            "kind": indicator.get_unit_kind_display(),
        }
    if high is not None and value > high:
        return str(_("La valeur doit être inférieure ou égale à %(high)s (%(kind)s).")) % {
            "high": format_value(indicator, high),
            "kind": indicator.get_unit_kind_display(),
        }
    return ""


class ResultIndicatorLink(models.Model):
    """A fiche's indicateur de résultat feeding an indicator of the grid (« Nombre de logements vacants remis sur
    le marché » of FA 1 feeds the grid's vacant dwellings): the grid's indicator page lists the fiches' indicators
    behind it, the fiche names the grid indicator it feeds.

    Kept here rather than on the fiche's indicator: the evaluation grid sits above the fiches, and a fiche knows
    nothing of how the programme is evaluated. One grid indicator at most per fiche indicator; the coordination,
    which keeps the grid, draws the links (evaluation.services.result_indicator_link_save)."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("indicator__criterion__programme",)

    result_indicator = models.OneToOneField(
        "actions.ResultIndicator",
        on_delete=models.CASCADE,
        related_name="grid_link",
        verbose_name=_("indicateur de résultat de la fiche"),
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="result_indicator_links",
        verbose_name=_("indicateur de la grille alimenté"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("relié par"),
    )

    history = HistoricalRecords(
        verbose_name=_("historique de lien vers la grille"),
        historical_queryset=HistoricalResultIndicatorLinkQuerySet,
    )
    objects = ResultIndicatorLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicateur de fiche alimentant la grille")
        verbose_name_plural = _("indicateurs de fiche alimentant la grille")
        ordering = ["indicator", "result_indicator__action__code", "result_indicator__position"]

    def __str__(self):
        return f"{self.result_indicator} → {self.indicator}"

    def clean(self):
        if not (self.result_indicator_id and self.indicator_id):
            return
        fiche_programme = self.result_indicator.action.convention.programme_id
        if fiche_programme != self.indicator.criterion.programme_id:
            raise ValidationError(
                {
                    "indicator": _(
                        "« %(indicator)s » est un indicateur de la grille d'un autre programme que celui de la fiche "
                        "%(code)s."
                    )
                    % {"indicator": self.indicator.name, "code": self.result_indicator.action.code}
                }
            )


def with_grid_indicators(result_indicators, viewer=None):
    """A fiche's result indicators as a list, each with `feeds`: the grid indicator it feeds, or None (one query
    for them all). viewer None: the programme itself (reports whose reader their view has checked)."""
    items = list(result_indicators)
    links = ResultIndicatorLink.objects.all() if viewer is None else ResultIndicatorLink.objects.visible_to(viewer)
    feeds = {
        link.result_indicator_id: link.indicator
        for link in links.filter(result_indicator__in=[item.pk for item in items]).select_related("indicator")
    }
    for item in items:
        item.feeds = feeds.get(item.pk)
    return items


def semester_report_path(report, filename):
    return f"rapports/{report.year}-S{report.semester}/{filename}"


class SemesterReport(models.Model):
    """A semester report as it was presented: the exact PDF bytes, kept with the meeting they were shown at.

    Stored rather than rebuilt on download, so what the comité saw stays what it saw whatever the fiches
    became afterwards.
    """

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

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

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

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
