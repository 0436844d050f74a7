"""Funding lines of each fiche, the schemes they draw on, and partner envelopes with their caps."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from acv.values import DATE_BOUNDS, MONEY, NON_NEGATIVE, YEAR_BOUNDS, Basis
from conventions.managers import ReferenceQuerySet
from conventions.models import OrganisationKind
from financing.managers import (
    ConventionFundingSummaryQuerySet,
    ConventionFundingYearQuerySet,
    EnvelopeQuerySet,
    FundingEventQuerySet,
    FundingLineQuerySet,
    FundingLineYearQuerySet,
    FundingSummaryQuerySet,
    HistoricalFundingLineQuerySet,
    HistoricalPaymentQuerySet,
    PartnerFundingSummaryQuerySet,
    PartnerFundingYearQuerySet,
    PaymentQuerySet,
)

SHARE = {"max_digits": 5, "decimal_places": 2}


class FundingScheme(models.Model):
    """A dispositif (DSIL, DRAC, fonds de concours…) with its rate and amount caps, and the programmes it
    applies to (none named: every programme)."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet): no programme named, every one.
    programme_paths = ("programmes*",)

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=250)
    funder = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schemes",
        verbose_name=_("financeur"),
    )
    max_rate = models.DecimalField(_("taux maximal (%)"), null=True, blank=True, **SHARE)
    max_amount = models.DecimalField(_("plafond (€)"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY)
    # The Fonds de Cohésion Sociale « est égale à celle de la commune dans la limite de 2 000 € »: a cap that
    # depends on what other funders of a kind put into the same fiche.
    at_most_share_of = models.CharField(
        _("au plus la part des financeurs de type"),
        max_length=20,
        choices=OrganisationKind.choices,
        blank=True,
        help_text=_("L'aide ne dépasse pas ce que les financeurs de ce type apportent à la même fiche."),
    )
    # Which programmes a scheme applies to (none: any programme): programme configuration, not code.
    programmes = models.ManyToManyField(
        "conventions.Programme", blank=True, related_name="schemes", verbose_name=_("programmes")
    )
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispositif de financement")
        verbose_name_plural = _("dispositifs de financement")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_rate__isnull=True) | Q(max_rate__gte=0, max_rate__lte=100),
                name="scheme_rate_range",
                violation_error_message=_("Le taux est compris entre 0 et 100 %%."),
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=0),
                name="scheme_amount_positive",
                violation_error_message=_("Le plafond doit être positif ou nul."),
            ),
        ]

    def __str__(self):
        return self.name

    def applies_to(self, programme_id):
        """Whether the scheme may fund a fiche of this programme (the programmes it names, or any when it names
        none). Reads the programmes already prefetched when there are."""
        programme_ids = {programme.pk for programme in self.programmes.all()}
        return not programme_ids or programme_id in programme_ids


class Envelope(models.Model):
    """What a funder set aside for a territory over a period, with its ceiling."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet): without one, every programme's.
    programme_paths = ("programme*",)

    key = models.SlugField(_("identifiant"), max_length=60, unique=True)
    funder = models.ForeignKey(
        "conventions.Organisation", on_delete=models.PROTECT, related_name="envelopes", verbose_name=_("financeur")
    )
    territory = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="envelopes_for",
        verbose_name=_("territoire"),
    )
    scheme = models.ForeignKey(
        FundingScheme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="envelopes",
        verbose_name=_("dispositif"),
    )
    # The programme an envelope was set aside for (none: any programme of the territory).
    programme = models.ForeignKey(
        "conventions.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="envelopes",
        verbose_name=_("programme"),
    )
    period_start = models.PositiveSmallIntegerField(_("de l'année"))
    period_end = models.PositiveSmallIntegerField(_("à l'année"))
    ceiling = models.DecimalField(_("plafond (€)"), validators=NON_NEGATIVE, **MONEY)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    objects = EnvelopeQuerySet.as_manager()

    class Meta:
        verbose_name = _("enveloppe")
        verbose_name_plural = _("enveloppes")
        ordering = ["funder__name", "period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ceiling__gte=0),
                name="envelope_ceiling_positive",
                violation_error_message=_("Le plafond doit être positif ou nul."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="envelope_period_ordered",
                violation_error_message=_("La dernière année ne peut pas précéder la première."),
            ),
        ]

    def __str__(self):
        return f"{self.funder} {self.period_start}-{self.period_end}"


class Nature(models.TextChoices):
    SUBVENTION = "subvention", _("subvention")
    PRET = "pret", _("prêt")
    INGENIERIE = "ingenierie", _("ingénierie")
    AUTOFINANCEMENT = "autofinancement", _("autofinancement")
    FONDS_CONCOURS = "fonds_concours", _("fonds de concours")
    AUTRE = "autre", _("autre")
    UNSPECIFIED = "", _("non précisée")


class FundingStatus(models.TextChoices):
    PLANNED = "planned", _("prévu")
    REQUESTED = "requested", _("sollicité")
    GRANTED = "granted", _("accordé")
    REFUSED = "refused", _("refusé")
    PAID = "paid", _("versé")


# A refused line funds nothing; every other status counts towards what a fiche expects to receive.
COUNTED_STATUSES = (FundingStatus.PLANNED, FundingStatus.REQUESTED, FundingStatus.GRANTED, FundingStatus.PAID)

# The life of a line: prévu → sollicité → accordé | refusé → versé. « Versé » is never chosen: it follows from
# the payments (a line is versé when they reach its amount, partly versé before). A request can be withdrawn
# (back to prévu), a refusal followed by a new request, a grant cancelled (refusé) while nothing is paid.
TRANSITIONS = {
    FundingStatus.PLANNED: {FundingStatus.REQUESTED, FundingStatus.GRANTED, FundingStatus.REFUSED},
    FundingStatus.REQUESTED: {FundingStatus.PLANNED, FundingStatus.GRANTED, FundingStatus.REFUSED},
    FundingStatus.GRANTED: {FundingStatus.REFUSED},
    FundingStatus.REFUSED: {FundingStatus.PLANNED, FundingStatus.REQUESTED},
    FundingStatus.PAID: set(),
}


class FundingLine(models.Model):
    """What one funder puts into one fiche (or one of its operations), under which scheme, in which state."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="funding_lines", verbose_name=_("fiche")
    )
    operation = models.ForeignKey(
        "actions.Operation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="funding_lines",
        verbose_name=_("opération"),
    )
    funder = models.ForeignKey(
        "conventions.Organisation", on_delete=models.PROTECT, related_name="funding_lines", verbose_name=_("financeur")
    )
    scheme = models.ForeignKey(
        FundingScheme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_lines",
        verbose_name=_("dispositif"),
    )
    nature = models.CharField(_("nature"), max_length=20, choices=Nature.choices, blank=True, default="")
    amount = models.DecimalField(
        _("montant (€)"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("Laisser vide si le montant n'est pas connu : ce n'est pas zéro."),
        **MONEY,
    )
    share = models.DecimalField(_("part (%)"), null=True, blank=True, **SHARE)
    basis = models.CharField(_("HT / TTC"), max_length=3, choices=Basis.choices, blank=True, default="")
    status = models.CharField(_("état"), max_length=10, choices=FundingStatus.choices, default=FundingStatus.PLANNED)
    years_complete = models.BooleanField(
        _("échéancier complet"),
        default=False,
        help_text=_("Cochez quand l'échéancier annuel répartit tout le montant : il doit alors lui être égal."),
    )
    decision_reference = models.CharField(_("référence de la décision"), max_length=200, blank=True)
    decision_date = models.DateField(_("date de la décision"), null=True, blank=True, validators=DATE_BOUNDS)
    source_text = models.CharField(_("tel qu'écrit"), max_length=500, blank=True)
    note = models.TextField(_("remarque"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    history = HistoricalRecords(
        verbose_name=_("historique de ligne de financement"), historical_queryset=HistoricalFundingLineQuerySet
    )
    objects = FundingLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ligne de financement")
        verbose_name_plural = _("lignes de financement")
        ordering = ["action", "position", "pk"]
        indexes = [
            # A funder's lines on one fiche: what an envelope of a territory counts (through the territory's
            # fiches), and the fiches a partner funds (its visibility rule).
            models.Index(fields=["action", "funder"], name="funding_line_action_funder"),
            models.Index(fields=["funder", "action"], name="funding_line_funder_action"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="funding_amount_positive",
                violation_error_message=_("Le montant doit être positif ou nul."),
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gte=0, share__lte=100),
                name="funding_share_range",
                violation_error_message=_("La part est comprise entre 0 et 100 %%."),
            ),
        ]

    def __str__(self):
        return f"{self.funder} – {self.action.code}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.operation_id and self.action_id and self.operation.action_id != self.action_id:
            raise ValidationError({"operation": _("Cette opération appartient à une autre fiche.")})
        # A scheme of another programme cannot fund this fiche: the rule every write (page, API, admin, import)
        # meets through full_clean.
        if self.scheme_id and self.action_id:
            programme = self.action.convention.programme
            if not self.scheme.applies_to(programme.pk):
                raise ValidationError(
                    {
                        "scheme": _("Le dispositif « %(scheme)s » ne s'applique pas au programme %(programme)s.")
                        % {"scheme": self.scheme.name, "programme": programme.name}
                    }
                )

    @property
    def is_amount_unknown(self):
        return self.amount is None


class FundingLineYear(models.Model):
    """The part of a funding line expected (or paid) in one year."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("funding_line__action__convention__programme",)

    funding_line = models.ForeignKey(
        FundingLine, on_delete=models.CASCADE, related_name="years", verbose_name=_("ligne de financement")
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    amount = models.DecimalField(_("montant (€)"), validators=NON_NEGATIVE, **MONEY)

    objects = FundingLineYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("échéance annuelle")
        verbose_name_plural = _("échéances annuelles")
        ordering = ["funding_line", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["funding_line", "year"],
                name="funding_year_unique",
                violation_error_message=_("Cette année figure déjà dans l'échéancier de la ligne."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=Decimal("0")),
                name="funding_year_amount_positive",
                violation_error_message=_("Le montant doit être positif ou nul."),
            ),
        ]

    def __str__(self):
        return f"{self.year} : {self.amount}"


def payment_document_path(payment, filename):
    return f"versements/{payment.funding_line_id}/{filename}"


class Payment(models.Model):
    """A versement on a funding line: « versé » is the sum of these, never above the amount granted."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("funding_line__action__convention__programme",)

    funding_line = models.ForeignKey(
        FundingLine, on_delete=models.PROTECT, related_name="payments", verbose_name=_("ligne de financement")
    )
    paid_on = models.DateField(_("versé le"), validators=DATE_BOUNDS)
    amount = models.DecimalField(_("montant (€)"), validators=NON_NEGATIVE, **MONEY)
    reference = models.CharField(_("référence"), max_length=200, blank=True, help_text=_("Mandat, titre, virement…"))
    document = models.FileField(_("pièce"), upload_to=payment_document_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("saisi par")
    )
    recorded_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    # A mistaken versement is cancelled, never deleted: the ledger keeps what was entered, by whom, and why it
    # no longer counts.
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )
    cancellation_reason = models.CharField(_("motif d'annulation"), max_length=300, blank=True)

    history = HistoricalRecords(
        verbose_name=_("historique de versement"), historical_queryset=HistoricalPaymentQuerySet
    )
    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("versement")
        verbose_name_plural = _("versements")
        ordering = ["funding_line", "paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message=_("Un versement a un montant strictement positif."),
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancellation_reason=""),
                name="payment_cancellation_reason",
                violation_error_message=_("Une annulation de versement indique son motif."),
            ),
        ]

    def __str__(self):
        return f"{self.funding_line} – {self.paid_on:%d/%m/%Y}"

    @property
    def cancelled(self):
        return self.cancelled_at is not None


class FundingEvent(models.Model):
    """A dated change of state of a line (who, when, from, to, for how much): the line's life, as its funder
    and the coordination follow it."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("funding_line__action__convention__programme",)

    funding_line = models.ForeignKey(
        FundingLine, on_delete=models.CASCADE, related_name="events", verbose_name=_("ligne de financement")
    )
    at = models.DateTimeField(_("le"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("par")
    )
    from_status = models.CharField(_("de"), max_length=10, choices=FundingStatus.choices, blank=True)
    to_status = models.CharField(_("à"), max_length=10, choices=FundingStatus.choices)
    amount = models.DecimalField(_("montant (€)"), null=True, blank=True, **MONEY)
    note = models.CharField(_("précision"), max_length=300, blank=True)

    objects = FundingEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("événement de financement")
        verbose_name_plural = _("événements de financement")
        ordering = ["funding_line", "at", "pk"]

    def __str__(self):
        return f"{self.funding_line} : {self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class FundingSummary(models.Model):
    """The funding lines of one fiche added up per funder, state and HT / TTC basis as written on the line ('' when
    the line gives none): what the lists, the API, the dashboard and the aggregates read instead of the lines.

    Kept by the database itself: a trigger on the funding lines (migration 0006) recomputes a fiche's rows from
    its lines in the same statement as any insert, update or deletion of one of them — whether it comes from a
    service, the admin, an import, a restored history record or a bulk load —, so the summary cannot be stale.
    `funding_summary_refresh` recomputes the same rows from Python (repairs, tests). The fiche's own cost basis
    and maître d'ouvrage are not copied here: they are read from the fiche at query time, so changing them
    needs no refresh.
    """

    # No database constraint on purpose: when a fiche is deleted its lines go first, and the trigger then
    # leaves no row for it; a constraint would only order the two deletions against each other.
    action = models.ForeignKey(
        "actions.Action",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="funding_summary",
        verbose_name=_("fiche"),
    )
    funder = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("financeur"),
    )
    status = models.CharField(_("état"), max_length=10, choices=FundingStatus.choices)
    basis = models.CharField(_("HT / TTC"), max_length=3, blank=True, default="")
    amount = models.DecimalField(_("montant connu (€)"), default=Decimal("0"), **MONEY)
    lines = models.PositiveIntegerField(_("lignes"), default=0)
    unknown_lines = models.PositiveIntegerField(_("lignes de montant inconnu"), default=0)

    objects = FundingSummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("total de financement")
        verbose_name_plural = _("totaux de financement")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "funder", "status", "basis"], name="funding_summary_unique_group"
            ),
        ]
        indexes = [
            # A partner's own figures and the fiches it funds: by funder, then fiche.
            models.Index(fields=["funder", "action"], name="funding_summary_funder"),
            models.Index(fields=["status", "action"], name="funding_summary_status"),
        ]

    def __str__(self):
        return f"{self.action_id} · {self.funder_id} · {self.status} · {self.basis or '—'}"


class ConventionTotals(models.Model):
    """What the summaries per convention have in common: the summary per fiche added up per convention and per what
    the totals group by — territory and sous-axe of the fiche, funder, state, HT / TTC basis of the line and of the
    fiche's cost, and whether that cost is a one-off amount funding can be compared with (`comparable`,
    actions.managers.COMPARABLE_COST)."""

    # No database constraints, as for FundingSummary: the triggers keep the rows; deleting a convention's fiches
    # leaves none of its rows. Each table's indexes serve its reads; no index per column to keep up.
    convention = models.ForeignKey(
        "conventions.Convention",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("convention"),
    )
    territory = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("territoire"),
    )
    sub_axis = models.ForeignKey(
        "conventions.SubAxis",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
        verbose_name=_("sous-axe"),
    )
    funder = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("financeur"),
    )
    status = models.CharField(_("état"), max_length=10, choices=FundingStatus.choices)
    basis = models.CharField(_("HT / TTC de la ligne"), max_length=3, blank=True, default="")
    cost_basis = models.CharField(_("HT / TTC du coût"), max_length=3, blank=True, default="")
    comparable = models.BooleanField(_("coût comparable"), default=False)
    amount = models.DecimalField(_("montant connu (€)"), default=Decimal("0"), **MONEY)
    lines = models.PositiveIntegerField(_("lignes"), default=0)
    unknown_lines = models.PositiveIntegerField(_("lignes de montant inconnu"), default=0)

    programme_paths = ("convention__programme",)

    class Meta:
        abstract = True


class ConventionFundingSummary(ConventionTotals):
    """Every funding line of a convention, added up (ConventionTotals): what the whole programme's totals read
    (list footer, dashboard, aggregates) for the roles that read every line, and a partner's own figures — tens of
    thousands of rows at national scale, not the hundred thousand of the summary per fiche.

    Kept by the same database triggers (migration 0012): a write of a line recomputes the rows of its fiche's
    convention after those of the fiche; a change of a fiche's convention, territory, sous-axe or cost recomputes
    the rows of its old and new convention. `funding_summary_refresh` does the same from Python.
    """

    objects = ConventionFundingSummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("total de financement par convention")
        verbose_name_plural = _("totaux de financement par convention")
        indexes = [
            models.Index(fields=["convention", "funder"], name="funding_conv_summary_conv"),
            # A partner's own figures over the programme.
            models.Index(fields=["funder", "convention"], name="funding_conv_summary_funder"),
        ]

    def __str__(self):
        return f"{self.convention_id} · {self.funder_id} · {self.status} · {self.basis or '—'}"


class SeenByPartner(models.Model):
    """The organisation a row of a partners' summary is for: it sees the fiches behind the row as a partner (it funds
    them or is named their partner)."""

    partner = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("partenaire"),
    )

    class Meta:
        abstract = True


class PartnerFundingSummary(SeenByPartner, ConventionTotals):
    """What each organisation reads as a partner of the settled funding — the accordé and versé lines of every
    funder on the fiches it funds or is named partner of (actions.managers.ActionQuerySet._visible) —, added up per
    convention (ConventionTotals) for each `partner`: a partner's part acquise over the programme from some ten
    thousand rows, instead of the summary rows of every fiche it sees.

    Kept by the database with the summary per convention (migration 0016): the same recomputation of a convention's
    rows after a write of a line or a change of a fiche, and after a partner is named on a fiche or removed.
    """

    objects = PartnerFundingSummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("total de financement vu par un partenaire")
        verbose_name_plural = _("totaux de financement vus par les partenaires")
        indexes = [
            models.Index(fields=["partner", "convention"], name="funding_partner_summary"),
            models.Index(fields=["convention"], name="funding_partner_summary_conv"),
        ]

    def __str__(self):
        return f"{self.partner_id} · {self.convention_id} · {self.funder_id} · {self.status}"


class YearTotals(models.Model):
    """What the yearly splits per convention have in common: the lines' years added up per convention, territory of
    the fiche, year, state of the line and HT / TTC basis of the line and of the fiche's cost."""

    # No database constraints, as for ConventionTotals: the triggers keep the rows.
    convention = models.ForeignKey(
        "conventions.Convention",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("convention"),
    )
    territory = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("territoire"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(_("état"), max_length=10, choices=FundingStatus.choices)
    basis = models.CharField(_("HT / TTC de la ligne"), max_length=3, blank=True, default="")
    cost_basis = models.CharField(_("HT / TTC du coût"), max_length=3, blank=True, default="")
    amount = models.DecimalField(_("montant (€)"), default=Decimal("0"), **MONEY)

    programme_paths = ("convention__programme",)

    class Meta:
        abstract = True


class ConventionFundingYear(YearTotals):
    """The yearly split of every funding line, per convention (YearTotals): the programme's year × state table
    (dashboard, aggregates) for the roles that read every line, from tens of thousands of rows instead of every
    line's years.

    Kept by the database like ConventionFundingSummary (migration 0014): a write of a line's years, of a line or a
    change of a fiche's convention, territory or cost basis recomputes the rows of the conventions concerned.
    """

    objects = ConventionFundingYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("échéancier par convention")
        verbose_name_plural = _("échéanciers par convention")
        indexes = [models.Index(fields=["convention", "year"], name="funding_conv_year_conv")]

    def __str__(self):
        return f"{self.convention_id} · {self.year} · {self.status} · {self.basis or '—'}"


class PartnerFundingYear(SeenByPartner, YearTotals):
    """The yearly split each organisation sees as a partner — the years of the accordé and versé lines of every
    funder on the fiches it funds or is named partner of —, per convention (YearTotals) for each `partner`: a
    partner's year × state table over the programme from a few thousand rows, instead of joining every line's years
    to the fiches it sees (150 ms at national scale).

    Kept by the database (migration 0019): recomputed with the yearly split per convention (a write of a line's
    years, a change of a line's fiche, state or basis, of a fiche's convention, territory or cost basis), and by
    triggers of its own when who sees a fiche changes (a line inserted, deleted or given to another funder, a partner
    named on a fiche or removed).
    """

    objects = PartnerFundingYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("échéancier vu par un partenaire")
        verbose_name_plural = _("échéanciers vus par les partenaires")
        indexes = [
            models.Index(fields=["partner", "convention"], name="funding_partner_year"),
            models.Index(fields=["convention"], name="funding_partner_year_conv"),
        ]

    def __str__(self):
        return f"{self.partner_id} · {self.convention_id} · {self.year} · {self.status}"


# The tables the database writes itself, from the funding lines, their years, the fiches and their partners (the
# triggers of migrations 0007, 0012, 0014, 0016 and 0019): not data to save or restore, they follow what is restored.
KEPT_BY_THE_DATABASE = (
    FundingSummary,
    ConventionFundingSummary,
    PartnerFundingSummary,
    ConventionFundingYear,
    PartnerFundingYear,
)
