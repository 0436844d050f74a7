"""Fiches action (AM.x, D.x, FA x…), their operations, milestones, indicators and semester progress."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actions.managers import (
    ActionQuerySet,
    HistoricalActionQuerySet,
    HistoricalOperationQuerySet,
    HistoricalResultIndicatorQuerySet,
    PartOfActionQuerySet,
    QualityNoteQuerySet,
    share,
)
from actions.plan_managers import HistoricalProgressUpdateQuerySet
from acv.text import normalise_for_search
from acv.values import (
    COST_FIELDS,
    DATE_BOUNDS,
    PERIOD_FIELDS,
    YEAR_BOUNDS,
    ActionKind,
    CostKind,
    CostModel,
    PeriodModel,
    Precision,
    format_fuzzy_date,
    format_measure,
    fuzzy_date_until,
    out_of_bounds,
    written_if_different,
)
from conventions.models import DossierDecision


def kind_choices(programme):
    """The categories of fiche the programme has (Programme.fiche_kinds), the plain one named as the programme names
    its fiches (« projet »)."""
    return [
        (value, programme.fiche_label if value == ActionKind.FICHE else label)
        for value, label in ActionKind.choices
        if value in programme.kinds
    ]


class ProjectType(models.TextChoices):
    ETUDE = "etude", _("étude")
    TRAVAUX = "travaux", _("travaux")
    INGENIERIE = "ingenierie", _("ingénierie")
    ANIMATION = "animation", _("animation")
    ACQUISITION = "acquisition", _("acquisition")
    ACTION = "action", _("action")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("à lancer")
    IN_PROGRESS = "in_progress", _("en cours")
    DELIVERED = "delivered", _("réalisée")
    SUSPENDED = "suspended", _("suspendue")
    ABANDONED = "abandoned", _("abandonnée")
    UNKNOWN = "unknown", _("non renseigné")


# Fiches whose planned end has passed are late unless they reached one of these states.
CLOSED_STATUSES = (ActionStatus.DELIVERED, ActionStatus.ABANDONED)

# The life of a fiche: à lancer → en cours → réalisée, suspendue on the way, abandonnée from any open state. A
# status the documents did not give (non renseigné) may become any. Reopening a réalisée fiche (works resumed)
# or relaunching an abandonned one is possible with a reason; abandoning needs a reason and the decision that
# made it (comité, avenant, délibération), so both go through a progress update (actions.services).
STATUS_TRANSITIONS = {
    ActionStatus.UNKNOWN: {
        ActionStatus.PLANNED,
        ActionStatus.IN_PROGRESS,
        ActionStatus.DELIVERED,
        ActionStatus.SUSPENDED,
        ActionStatus.ABANDONED,
    },
    ActionStatus.PLANNED: {ActionStatus.IN_PROGRESS, ActionStatus.SUSPENDED, ActionStatus.ABANDONED},
    ActionStatus.IN_PROGRESS: {ActionStatus.DELIVERED, ActionStatus.SUSPENDED, ActionStatus.ABANDONED},
    ActionStatus.SUSPENDED: {ActionStatus.IN_PROGRESS, ActionStatus.ABANDONED},
    ActionStatus.DELIVERED: {ActionStatus.IN_PROGRESS},
    ActionStatus.ABANDONED: {ActionStatus.PLANNED},
}
# Transitions that need a reason (status_reason); abandoning needs the decision too (decided_by).
STATUS_TRANSITIONS_WITH_REASON = {
    (ActionStatus.DELIVERED, ActionStatus.IN_PROGRESS),
    (ActionStatus.ABANDONED, ActionStatus.PLANNED),
    *((old, ActionStatus.ABANDONED) for old in ActionStatus),
}


# What the list's and the API's « q » search looks in (see ActionFilterSet.filter_q).
SEARCHED_FIELDS = ("code", "title", "description")


def search_text_of(action):
    """The fiche's searched fields as the search compares them, one per line so that a phrase never matches
    across the end of one field and the start of the next."""
    return "\n".join(normalise_for_search(getattr(action, name)) for name in SEARCHED_FIELDS)


# What a person edits on a fiche, in the browser form and through the API alike.
EDITABLE_ACTION_FIELDS = [
    "convention",
    "amendment",
    "code",
    "title",
    "kind",
    "project_type",
    "territory",
    "project_owner",
    "axes",
    "sub_axis",
    "status",
    "description",
    "objectives",
    "stakeholders",
    "partners",
    *COST_FIELDS,
    "funding_text",
    *PERIOD_FIELDS,
    "source_document",
    "source_reference",
]


class Action(PeriodModel, CostModel):
    """A fiche action of a convention: what is done, by whom, where, for how much, and when."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("convention__programme",)

    convention = models.ForeignKey(
        "conventions.Convention", on_delete=models.PROTECT, related_name="actions", verbose_name=_("convention")
    )
    amendment = models.ForeignKey(
        "conventions.Amendment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("avenant"),
        help_text=_("L'avenant qui a introduit ou modifié la fiche."),
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("Par exemple AM.3, D.2, FA 41."))
    title = models.CharField(_("intitulé"), max_length=400)
    kind = models.CharField(_("catégorie"), max_length=12, choices=ActionKind.choices, default=ActionKind.FICHE)
    project_type = models.CharField(
        _("type de projet"), max_length=12, choices=ProjectType.choices, default=ProjectType.ACTION
    )
    territory = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.PROTECT,
        related_name="actions_located",
        verbose_name=_("territoire"),
        help_text=_("La commune, ou l'agglomération pour une action intercommunale."),
    )
    project_owner = models.ForeignKey(
        "conventions.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions_owned",
        verbose_name=_("maître d'ouvrage"),
    )
    axes = models.ManyToManyField("conventions.Axis", related_name="actions", verbose_name=_("axes"))
    sub_axis = models.ForeignKey(
        "conventions.SubAxis",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("sous-axe"),
    )
    # The third level of a programme's nomenclature (the Contrat de Ville's objectifs opérationnels).
    operational_objectives = models.ManyToManyField(
        "conventions.Objective", blank=True, related_name="actions", verbose_name=_("objectifs opérationnels")
    )
    # The quartiers prioritaires a project is for: what a Contrat de Ville project and an ACV fiche may share.
    neighbourhoods = models.ManyToManyField(
        "conventions.PriorityNeighbourhood",
        blank=True,
        related_name="actions",
        verbose_name=_("quartiers prioritaires"),
    )
    # A programme that runs a yearly call for projects: the call the project answered, and its dossier's decision.
    call = models.ForeignKey(
        "conventions.CallForProjects",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("appel à projets"),
    )
    dossier_decision = models.CharField(
        _("décision sur le dossier"), max_length=10, choices=DossierDecision.choices, blank=True
    )
    status = models.CharField(_("état"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.UNKNOWN)
    description = models.TextField(_("description générale"), blank=True)
    objectives = models.TextField(_("objectifs"), blank=True)
    stakeholders = models.TextField(_("intervenants"), blank=True)
    partners = models.ManyToManyField(
        "conventions.Organisation", blank=True, related_name="actions_partnered", verbose_name=_("partenaires")
    )
    funding_text = models.TextField(_("modalités de financement (texte)"), blank=True)
    source_document = models.CharField(_("document source"), max_length=60, blank=True)
    source_reference = models.CharField(_("référence dans la source"), max_length=250, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Derived from SEARCHED_FIELDS by clean(), which every write of a fiche runs (services, API, admin, reference
    # data): accents and case dropped in Python, so the search finds the same fiches on SQLite and PostgreSQL.
    search_text = models.TextField(_("texte de recherche"), blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    history = HistoricalRecords(
        m2m_fields=[axes, partners],
        excluded_fields=["search_text"],
        verbose_name=_("historique de fiche"),
        historical_queryset=HistoricalActionQuerySet,
    )
    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("fiche action")
        verbose_name_plural = _("fiches action")
        # Plan order: diagnostic studies and actions matures of the convention, then the avenants' fiches;
        # codes by length first so that AM.2 comes before AM.10.
        ordering = [
            "convention",
            models.F("amendment").asc(nulls_first=True),
            "kind",
            Length("code"),
            "code",
        ]
        # The search column has a trigram index on PostgreSQL, engine-specific: created by migration actions 0009
        # rather than declared here.
        indexes = [
            # What the lists filter on most, beside the foreign keys Django indexes already.
            models.Index(fields=["status", "convention"], name="action_status"),
            # The open fiches by planned end: the dashboard's late fiches are the first few of thousands at national
            # scale, read walking this index instead of sorting every open fiche; the convention, for the programme,
            # lets them be counted from the index alone.
            models.Index(
                fields=["end_until", "code", "convention"],
                name="action_open_by_end",
                condition=~models.Q(status__in=CLOSED_STATUSES),
            ),
        ]
        constraints = [
            *PeriodModel.Meta.constraints,
            *CostModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["convention", "code"],
                name="action_code_unique",
                violation_error_message=_("Une fiche de cette convention porte déjà ce code."),
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.title}"

    def clean(self):
        self.code = " ".join(self.code.split())
        self.search_text = search_text_of(self)
        self.clean_cost()
        self.clean_period()
        self.clean_call()
        self.clean_kind()

    def clean_kind(self):
        """The category is one the fiche's programme has: no « action mature » in a Contrat de Ville. The plain
        fiche, every programme's, needs no look at the programme (an import checks thousands)."""
        if not self.convention_id or not self.kind or self.kind == ActionKind.FICHE:
            return
        programme = self.convention.programme
        if self.kind not in programme.kinds:
            raise ValidationError(
                {
                    "kind": _("« %(kind)s » n'est pas une catégorie du programme %(programme)s.")
                    % {"kind": ActionKind(self.kind).label, "programme": programme.name}
                }
            )

    def clean_call(self):
        """A dossier decision belongs to a call for projects, and the call to the fiche's own programme."""
        from django.core.exceptions import ValidationError

        if self.dossier_decision and not self.call_id:
            raise ValidationError({"call": _("Une décision sur le dossier suppose un appel à projets.")})
        if self.call_id and self.convention_id and self.call.programme_id != self.convention.programme_id:
            raise ValidationError({"call": _("L'appel à projets n'est pas celui du programme de la convention.")})

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("actions:action_detail", args=[self.pk])

    @property
    def source_label(self):
        return SOURCE_DOCUMENTS.get(self.source_document, self.source_document)

    # The properties below read the annotations of ActionQuerySet.with_totals(); the part prévue ones exist only
    # for viewers that read every line (None otherwise).

    @property
    def comparable_cost(self):
        """The cost funding can be measured against: a one-off amount, exact or estimated."""
        if self.cost_kind in ("exact", "estimated") and not self.cost_per_year:
            return self.cost_amount
        return None

    def _basis_conflicts(self, *, settled):
        """How many lines are in another HT / TTC basis than the cost: among the settled ones (the part acquise,
        which every role sees) or among every counted line (the part prévue, for roles that read every line;
        None otherwise, so that a partner's page says nothing of lines it may not read)."""
        name = "funding_basis_conflicts_settled" if settled else "funding_basis_conflicts"
        return getattr(self, name, None)

    @property
    def share_acquired(self):
        """Part acquise: accordé + versé of every funder over the cost, the same for every role."""
        if self._basis_conflicts(settled=True):
            return None
        return share(self.funding_acquired, self.comparable_cost)

    @property
    def share_planned(self):
        """Part prévue: every line but refused ones over the cost; only for roles that read every line."""
        if self._basis_conflicts(settled=False):
            return None
        return share(getattr(self, "funding_total", None), self.comparable_cost)

    @property
    def share_unavailable_reason(self):
        """Why no share is computed although the cost is a number: HT and TTC are never compared."""
        conflicts = self._basis_conflicts(settled=False)
        if conflicts is None:
            conflicts = self._basis_conflicts(settled=True)
        if conflicts and self.comparable_cost is not None:
            other = "HT" if self.cost_basis == "TTC" else "TTC"
            return f"Part non calculable : des lignes sont en {other} pour un coût {self.cost_basis}."
        return ""

    @property
    def remaining_for_owner(self):
        """What the maître d'ouvrage still has to find or carry: cost minus the partners' lines (part prévue)."""
        partners = getattr(self, "funding_partners", None)
        if self.comparable_cost is None or partners is None or self._basis_conflicts(settled=False):
            return None
        return self.comparable_cost - partners

    @property
    def to_fund(self):
        """Reste à financer: the cost minus every counted line (the maître d'ouvrage's own included); None when
        the cost is not a one-off number, the lines are in another basis, or the viewer may not read every
        line."""
        total = getattr(self, "funding_total", None)
        if self.comparable_cost is None or total is None or self._basis_conflicts(settled=False):
            return None
        return self.comparable_cost - total

    @property
    def is_overfunded(self):
        """More funding than cost, among amounts of the cost's basis (HT and TTC are not compared)."""
        funded = getattr(self, "funding_total", None)
        settled = funded is None
        if settled:
            funded = self.funding_acquired
        if self._basis_conflicts(settled=settled):
            return False
        return self.comparable_cost is not None and funded > self.comparable_cost


class Operation(PeriodModel, CostModel):
    """A line of the fiche's "contenu de l'action" table."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="operations", verbose_name=_("fiche"))
    reference = models.CharField(_("référence"), max_length=40, blank=True)
    name = models.CharField(_("nom"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    funding_text = models.TextField(_("financement (texte)"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    history = HistoricalRecords(
        verbose_name=_("historique d'opération"), historical_queryset=HistoricalOperationQuerySet
    )

    objects = PartOfActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("opération")
        verbose_name_plural = _("opérations")
        ordering = ["action", "position", "pk"]
        constraints = [*PeriodModel.Meta.constraints, *CostModel.Meta.constraints]

    def __str__(self):
        return self.name

    def clean(self):
        self.clean_cost()
        self.clean_period()


class Milestone(models.Model):
    """An indicateur d'avancement of a fiche, with the date planned (as written) and the date achieved."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("fiche"))
    label = models.CharField(_("jalon"), max_length=400)
    planned_on = models.DateField(_("prévu (premier jour)"), null=True, blank=True, validators=DATE_BOUNDS)
    planned_until = models.DateField(_("prévu (dernier jour)"), null=True, blank=True, validators=DATE_BOUNDS)
    planned_precision = models.CharField(
        _("précision"), max_length=10, choices=Precision.choices, default=Precision.UNKNOWN
    )
    planned_text = models.CharField(_("prévu tel qu'écrit"), max_length=120, blank=True)
    achieved_on = models.DateField(_("atteint le"), null=True, blank=True, validators=DATE_BOUNDS)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = PartOfActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        ordering = ["action", "position", "pk"]

    def __str__(self):
        return self.label

    def clean(self):
        if out_of_bounds(self.planned_on):
            return  # the field's validator says why; the arithmetic below would overflow
        self.planned_until = fuzzy_date_until(self.planned_on, self.planned_precision, self.planned_until)

    @property
    def planned_display(self):
        return format_fuzzy_date(self.planned_on, self.planned_precision, self.planned_text, self.planned_until)


# A figure of a result indicator: positive or nul (a count, a length, a share), with up to four decimals.
MEASURE = {"max_digits": 16, "decimal_places": 4}
NON_NEGATIVE_MEASURE = [MinValueValidator(Decimal("0"), message=_("Une valeur d'indicateur est positive ou nulle."))]
PERCENT_UNITS = ("%",)


class ResultIndicator(models.Model):
    """An indicateur de résultat of a fiche: what it aims at — a figure with its unit where the document gives one,
    its words as written always —, by when (a date as written, with its reading), and what was reached or measured,
    on which day. A grid indicator it feeds is the evaluation app's business (evaluation.ResultIndicatorLink)."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, related_name="result_indicators", verbose_name=_("fiche")
    )
    label = models.CharField(_("indicateur"), max_length=400)
    target_value = models.DecimalField(
        _("cible (nombre)"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE_MEASURE,
        help_text=_("Le nombre visé, quand il y en a un."),
        **MEASURE,
    )
    unit = models.CharField(
        _("unité"), max_length=60, blank=True, help_text=_("De la cible et du résultat : logements, %, km, places…")
    )
    target_text = models.CharField(
        _("cible telle qu'écrite"), max_length=250, blank=True, help_text=_("Les mots du document ou de la fiche.")
    )
    due_on = models.DateField(_("échéance (premier jour)"), null=True, blank=True, validators=DATE_BOUNDS)
    due_until = models.DateField(
        _("échéance (dernier jour)"),
        null=True,
        blank=True,
        validators=DATE_BOUNDS,
        help_text=_("Seulement pour une période (« 2027-2029 ») : dernier jour couvert."),
    )
    due_precision = models.CharField(
        _("précision de l'échéance"), max_length=10, choices=Precision.choices, default=Precision.UNKNOWN
    )
    due_text = models.CharField(_("échéance telle qu'écrite"), max_length=120, blank=True)
    achieved_value = models.DecimalField(
        _("résultat atteint (nombre)"), null=True, blank=True, validators=NON_NEGATIVE_MEASURE, **MEASURE
    )
    achieved_text = models.CharField(_("résultat tel qu'écrit"), max_length=250, blank=True)
    achieved_on = models.DateField(
        _("atteint ou mesuré le"),
        null=True,
        blank=True,
        validators=DATE_BOUNDS,
        help_text=_("Le jour où le résultat a été atteint ou mesuré."),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    history = HistoricalRecords(
        verbose_name=_("historique d'indicateur de résultat"),
        historical_queryset=HistoricalResultIndicatorQuerySet,
    )
    objects = PartOfActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicateur de résultat")
        verbose_name_plural = _("indicateurs de résultat")
        ordering = ["action", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target_value__isnull=True) | Q(target_value__gte=0))
                & (Q(achieved_value__isnull=True) | Q(achieved_value__gte=0)),
                name="result_indicator_values_positive",
                violation_error_message=_("Une valeur d'indicateur est positive ou nulle."),
            ),
            models.CheckConstraint(
                condition=Q(due_until__isnull=True) | Q(due_on__isnull=True) | Q(due_until__gte=models.F("due_on")),
                name="result_indicator_due_ordered",
                violation_error_message=_("La fin de l'échéance ne peut pas précéder son début."),
            ),
        ]

    def __str__(self):
        return self.label

    def clean(self):
        from django.core.exceptions import ValidationError
        from django.utils import timezone

        if any(out_of_bounds(getattr(self, name)) for name in ("due_on", "due_until", "achieved_on")):
            return  # the fields' validators say why; the fuzzy-date arithmetic below would overflow
        errors = {}
        if self.due_on is None and self.due_precision != Precision.UNKNOWN:
            errors["due_on"] = _("Indiquez le premier jour de l'échéance, ou choisissez « non daté ».")
        elif self.due_precision == Precision.RANGE and not self.due_until:
            errors["due_until"] = _("Une échéance sur une période demande son dernier jour.")
        else:
            self.due_until = fuzzy_date_until(self.due_on, self.due_precision, self.due_until)
            if self.due_on and self.due_until and self.due_until < self.due_on:
                errors["due_until"] = _("La fin de l'échéance ne peut pas précéder son début.")
        if self.achieved_on and self.achieved_on > timezone.localdate():
            errors["achieved_on"] = _("Un résultat se constate : la date ne peut pas être dans le futur.")
        if self.achieved_on and self.achieved_value is None and not self.achieved_text.strip():
            errors["achieved_value"] = _("Indiquez le résultat atteint ou mesuré à cette date.")
        if self.unit.strip() in PERCENT_UNITS:
            for name in ("target_value", "achieved_value"):
                value = getattr(self, name)
                if value is not None and value > 100 and name not in errors:
                    errors[name] = _("Un pourcentage est compris entre 0 et 100.")
        if errors:
            raise ValidationError(errors)

    @property
    def target_display(self):
        """The target as a reader reads it: the figure with its unit, else the words as written."""
        if self.target_value is not None:
            return format_measure(self.target_value, self.unit)
        return self.target_text

    @property
    def target_as_written(self):
        """The document's words, beside the figure when they say more than it (« 2 000 m² désimperméabilisés »)."""
        return written_if_different(self.target_text, self.target_display) if self.target_value is not None else ""

    @property
    def due_display(self):
        if self.due_on is None and not self.due_text:
            return ""
        return format_fuzzy_date(self.due_on, self.due_precision, self.due_text, self.due_until)

    @property
    def achieved_display(self):
        if self.achieved_value is not None:
            return format_measure(self.achieved_value, self.unit)
        return self.achieved_text

    @property
    def achieved_as_written(self):
        return (
            written_if_different(self.achieved_text, self.achieved_display) if self.achieved_value is not None else ""
        )


class ProgressUpdate(models.Model):
    """The état d'avancement of a fiche for one period of its programme's rhythm: a semester (ACV, avenant n°2,
    Article 4) or a whole year (the Contrat de Ville's annual report), where `semester` stays empty."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, related_name="progress_updates", verbose_name=_("fiche")
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    semester = models.PositiveSmallIntegerField(
        _("semestre"),
        choices=[(1, _("S1")), (2, _("S2"))],
        null=True,
        blank=True,
        help_text=_("Vide pour un programme qui rend compte une fois par an."),
    )
    status = models.CharField(_("état"), max_length=12, choices=ActionStatus.choices)
    percent_done = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    achievements = models.TextField(_("réalisé sur la période"), blank=True)
    difficulties = models.TextField(_("difficultés"), blank=True)
    next_steps = models.TextField(_("prochaines étapes"), blank=True)
    status_reason = models.CharField(
        _("motif du changement d'état"),
        max_length=500,
        blank=True,
        help_text=_("Requis pour abandonner la fiche, la rouvrir une fois réalisée ou la relancer."),
    )
    decided_by = models.CharField(
        _("décision"),
        max_length=300,
        blank=True,
        help_text=_("Le comité, l'avenant ou la délibération qui décide l'abandon (ex. : comité du 12/06/2026)."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("auteur")
    )
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    # Corrections after the semester's report was presented keep their reason (history_change_reason).
    history = HistoricalRecords(
        verbose_name=_("historique d'état d'avancement"),
        historical_queryset=HistoricalProgressUpdateQuerySet,
        # A correction's reason is kept whole, however long.
        history_change_reason_field=models.TextField(null=True),
    )
    objects = PartOfActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("état d'avancement")
        verbose_name_plural = _("états d'avancement")
        ordering = ["action", "-year", "-semester"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "year", "semester"],
                name="progress_update_unique",
                violation_error_message=_("Cette fiche a déjà un état d'avancement pour ce semestre."),
            ),
            # NULLs are distinct in a unique constraint: the year of an annual programme needs its own.
            models.UniqueConstraint(
                fields=["action", "year"],
                condition=Q(semester__isnull=True),
                name="progress_update_unique_year",
                violation_error_message=_("Un état d'avancement existe déjà pour cette année."),
            ),
            models.CheckConstraint(
                condition=Q(percent_done__lte=100),
                name="progress_percent_range",
                violation_error_message=_("L'avancement est compris entre 0 et 100 %%."),
            ),
            models.CheckConstraint(
                condition=Q(semester__in=[1, 2]) | Q(semester__isnull=True),
                name="progress_semester_valid",
                violation_error_message=_("Le semestre vaut 1 ou 2."),
            ),
        ]

    def __str__(self):
        return f"{self.action.code} – {self.period_label}"

    @property
    def period_label(self):
        """« S2 2026 » for a semester, « 2026 » for the year of an annual programme."""
        return f"S{self.semester} {self.year}" if self.semester else f"{self.year}"

    def clean(self):
        # The period follows the rhythm of the fiche's programme (programme configuration, not code): one
        # state a semester for ACV, one a year for the Contrat de Ville.
        if self.action_id is None or self.year is None:
            return
        if self.action.convention.programme.is_annual:
            if self.semester is not None:
                raise ValidationError(
                    {"semester": _("Ce programme rend compte une fois par an : l'état d'avancement vaut pour l'année.")}
                )
        elif self.semester is None:
            raise ValidationError({"semester": _("Indiquez le semestre (S1 ou S2) de l'état d'avancement.")})


# What a quality note is about, as the fixtures name it, in the words of the fiche.
QUALITY_NOTE_FIELDS = {
    "axes": _("axes"),
    "balance": _("bilan"),
    "beneficiaries": _("bénéficiaires"),
    "budget": _("budget"),
    "code": _("code"),
    "cost": _("coût"),
    "description": _("description"),
    "duration": _("durée"),
    "end": _("fin"),
    "funding": _("financement"),
    "milestones": _("indicateurs d'avancement"),
    "objectives": _("objectifs"),
    "operations": _("opérations"),
    "period": _("période"),
    "project_owner": _("maître d'ouvrage"),
    "project_type": _("type de projet"),
    "result_indicators": _("indicateurs de résultat"),
    "schedule": _("calendrier"),
    "stakeholders": _("intervenants"),
    "start": _("début"),
    "status": _("état"),
    "sub_axis": _("sous-axe"),
    "title": _("intitulé"),
}

# Source documents of the reference programme, as people name them.
SOURCE_DOCUMENTS = {
    "convention-2018": _("Convention-cadre du 24 septembre 2018"),
    "avenant-2": _("Avenant n°2 (2023-2026)"),
    "rapport-pv-2019": _("Rapport Politique de la Ville 2019"),
}


# The notes of the reference data name the values they speak of as stored (« Statut « delivered » »): read
# with the labels of the list the note is about, statuses unless the note is about a cost.
QUOTED_VALUES = {"status": ActionStatus, "cost": CostKind, "budget": CostKind}
_QUOTED_WORD = re.compile(r"«\s*([a-z_]+)\s*»")


class QualityNote(models.Model):
    """Where the source documents disagree or fall short about a fiche: every figure kept, with its source."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme", "amendment__convention__programme", "call__programme")

    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, null=True, blank=True, related_name="quality_notes", verbose_name=_("fiche")
    )
    # A note about a document rather than one fiche: a figure of an avenant's balance that the fiches do not
    # give back (actions.documents.balance_notes_record).
    amendment = models.ForeignKey(
        "conventions.Amendment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quality_notes",
        verbose_name=_("avenant"),
    )
    # A note about a programme's call for projects: its counts as one page writes them against another.
    call = models.ForeignKey(
        "conventions.CallForProjects",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quality_notes",
        verbose_name=_("appel à projets"),
    )
    balance_item = models.ForeignKey(
        "conventions.BalanceItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quality_notes",
        verbose_name=_("chiffre du bilan"),
    )
    field = models.CharField(_("élément concerné"), max_length=80)
    description = models.TextField(_("constat"))
    values = models.JSONField(
        _("valeurs selon les sources"),
        default=list,
        blank=True,
        help_text=_("Liste de {source, value} : chaque chiffre tel que l'écrit chaque document."),
    )
    is_open = models.BooleanField(_("à traiter"), default=True)
    resolution = models.TextField(_("suite donnée"), blank=True)
    created_at = models.DateTimeField(_("relevée le"), auto_now_add=True)

    objects = QualityNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("note de qualité des données")
        verbose_name_plural = _("notes de qualité des données")
        ordering = ["action", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__isnull=False) | Q(amendment__isnull=False) | Q(call__isnull=False),
                name="quality_note_subject_h15",
                violation_error_message=_("Une note porte sur une fiche, un document ou un appel à projets."),
            )
        ]

    def __str__(self):
        subject = self.action.code if self.action_id else str(self.call if self.call_id else self.amendment)
        return f"{subject} – {self.field_label}"

    @property
    def field_label(self):
        return QUALITY_NOTE_FIELDS.get(self.field, self.field)

    @property
    def description_display(self):
        """The note with the values it quotes in the words the fiche shows: « delivered » → « réalisée »."""
        labels = dict(QUOTED_VALUES.get(self.field, ActionStatus).choices)

        def label(match):
            value = match[1]
            return match[0].replace(value, str(labels[value])) if value in labels else match[0]

        return _QUOTED_WORD.sub(label, self.description)


# The plan's life (documents and fiches, links between periods, fiches as signed, validations, comité decisions):
# its own module, registered with this app by being imported here.
from actions.plan_models import (  # noqa: E402, F401
    CARRIED_KINDS,
    ActionDocument,
    ActionLink,
    ActionSnapshot,
    ActionValidation,
    CommitteeDecision,
    DocumentChangeKind,
    LinkKind,
    SnapshotOrigin,
    ValidationDecision,
)
