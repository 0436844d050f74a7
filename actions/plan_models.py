"""The plan's life: what each convention or avenant did to a fiche, how fiches of two periods follow each other,
each fiche as signed, the partners' validations and the comité decisions that name fiches.

Imported by actions.models, so that Django registers these models with the actions app.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actions.plan_managers import (
    ActionDocumentQuerySet,
    ActionLinkQuerySet,
    ActionSnapshotQuerySet,
    ActionValidationQuerySet,
    CommitteeDecisionQuerySet,
    HistoricalActionValidationQuerySet,
)


def _document_constraints(prefix, message):
    """One row per fiche and document: two partial indexes rather than nulls_distinct, which SQLite ignores."""
    return [
        models.UniqueConstraint(
            fields=["action", "convention"],
            condition=Q(amendment__isnull=True),
            name=f"{prefix}_unique_convention",
            violation_error_message=message,
        ),
        models.UniqueConstraint(
            fields=["action", "amendment"],
            condition=Q(amendment__isnull=False),
            name=f"{prefix}_unique_amendment",
            violation_error_message=message,
        ),
    ]


class DocumentChangeKind(models.TextChoices):
    INTRODUCED = "introduced", _("introduite")
    CHANGED = "changed", _("modifiée")
    ABANDONED = "abandoned", _("abandonnée")


# A document carries the fiches it introduced or changed: those are frozen when it is signed.
CARRIED_KINDS = (DocumentChangeKind.INTRODUCED, DocumentChangeKind.CHANGED)


class ActionDocument(models.Model):
    """What a convention or an avenant did to a fiche — introduced, changed or abandoned it — and the article
    or annex that says so. Action.amendment names only the avenant that brought a fiche; this says every
    document that acted on it."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="documents", verbose_name=_("fiche")
    )
    convention = models.ForeignKey(
        "conventions.Convention", on_delete=models.PROTECT, related_name="fiche_changes", verbose_name=_("convention")
    )
    amendment = models.ForeignKey(
        "conventions.Amendment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fiche_changes",
        verbose_name=_("avenant"),
    )
    kind = models.CharField(_("ce que fait le document"), max_length=12, choices=DocumentChangeKind.choices)
    reference = models.CharField(
        _("où le document le dit"), max_length=250, help_text=_("Par exemple « Article 7.1 ; Annexe 2 ».")
    )
    note = models.TextField(_("remarque"), blank=True)

    objects = ActionDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("fiche d'un document")
        verbose_name_plural = _("fiches des documents")
        ordering = ["convention", F("amendment").asc(nulls_first=True), "kind", "action__code"]
        constraints = _document_constraints("action_document", _("Ce document dit déjà ce qu'il fait de cette fiche."))

    def __str__(self):
        return f"{self.document} : {self.action.code} {self.get_kind_display()}"

    @property
    def document(self):
        return self.amendment if self.amendment_id else self.convention

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.amendment_id and self.convention_id and self.amendment.convention_id != self.convention_id:
            raise ValidationError({"amendment": _("Cet avenant modifie une autre convention.")})
        if self.action_id and self.convention_id and self.action.convention_id != self.convention_id:
            raise ValidationError({"action": _("Cette fiche appartient à une autre convention.")})


class LinkKind(models.TextChoices):
    CONTINUES = "continues", _("poursuit")
    REPLACES = "replaces", _("remplace")
    TAKES_OVER = "takes_over", _("reprend")


class ActionLink(models.Model):
    """A fiche of a later period that carries on one of an earlier period: FA 45 poursuit AM.7, a fiche replaces
    an abandoned one, or takes over one that was not carried out. The documents seldom write the codes: a link
    read from the content rather than stated is marked inferred, with why."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("earlier__convention__programme",)

    earlier = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="continuations", verbose_name=_("fiche d'origine")
    )
    later = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="origins", verbose_name=_("fiche qui lui fait suite")
    )
    kind = models.CharField(_("nature du lien"), max_length=12, choices=LinkKind.choices)
    reference = models.CharField(
        _("où les documents le disent"),
        max_length=300,
        blank=True,
        help_text=_("Le document et l'article qui écrivent le lien ; vide s'il est déduit."),
    )
    inferred = models.BooleanField(_("déduit"), default=False, help_text=_("Le lien n'est écrit nulle part."))
    reason = models.TextField(_("pourquoi"), blank=True, help_text=_("Ce qui fonde un lien déduit."))

    objects = ActionLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("suite d'une fiche")
        verbose_name_plural = _("suites des fiches")
        ordering = ["earlier__code", "later__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["earlier", "later"],
                name="action_link_unique",
                violation_error_message=_("Ces deux fiches sont déjà liées."),
            ),
            models.CheckConstraint(
                condition=~Q(earlier=F("later")),
                name="action_link_not_itself",
                violation_error_message=_("Une fiche ne fait pas suite à elle-même."),
            ),
            models.CheckConstraint(
                condition=Q(inferred=False) | ~Q(reason=""),
                name="action_link_inferred_reason",
                violation_error_message=_("Un lien déduit dit ce qui le fonde."),
            ),
            models.CheckConstraint(
                condition=Q(inferred=True) | ~Q(reference=""),
                name="action_link_stated_reference",
                violation_error_message=_("Un lien écrit dans les documents dit où ; sinon, marquez-le déduit."),
            ),
        ]

    def __str__(self):
        return f"{self.later.code} {self.get_kind_display()} {self.earlier.code}"


class SnapshotOrigin(models.TextChoices):
    REFERENCE = "reference", _("données de référence (documents sources)")
    SIGNATURE = "signature", _("signature enregistrée dans l'application")


class ActionSnapshot(models.Model):
    """A fiche as a convention or an avenant carried it when signed — its fields, operations and funding lines,
    frozen as JSON (actions.snapshots.freeze) — so that what was signed stays readable and comparable whatever
    the fiche became."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("fiche")
    )
    convention = models.ForeignKey(
        "conventions.Convention", on_delete=models.PROTECT, related_name="snapshots", verbose_name=_("convention")
    )
    amendment = models.ForeignKey(
        "conventions.Amendment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="snapshots",
        verbose_name=_("avenant"),
    )
    origin = models.CharField(_("origine"), max_length=12, choices=SnapshotOrigin.choices)
    taken_at = models.DateTimeField(_("figée le"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("figée par")
    )
    data = models.JSONField(_("la fiche telle que signée"))

    objects = ActionSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("fiche telle que signée")
        verbose_name_plural = _("fiches telles que signées")
        ordering = ["action", "taken_at", "pk"]
        constraints = _document_constraints("action_snapshot", _("Cette fiche est déjà figée pour ce document."))

    def __str__(self):
        return f"{self.action.code} telle que signée ({self.document})"

    @property
    def document(self):
        return self.amendment if self.amendment_id else self.convention


class ValidationDecision(models.TextChoices):
    VALIDATED = "validated", _("validée")
    RESERVATIONS = "reservations", _("réserves")


class ActionValidation(models.Model):
    """A partner's word on a fiche it pilots, funds or co-funds (avenant n°2, Article 4: the national table is
    updated once a fiche « a été validée par les partenaires qui la pilotent, la financent ou la cofinancent »):
    validated, or reservations with a comment. A later change of the fiche's cost or funding marks it to be
    renewed (actions.services.validations_mark_to_renew, called by the write services)."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("action__convention__programme",)

    action = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="validations", verbose_name=_("fiche")
    )
    organisation = models.ForeignKey(
        "conventions.Organisation", on_delete=models.PROTECT, related_name="validations", verbose_name=_("partenaire")
    )
    decision = models.CharField(_("avis"), max_length=12, choices=ValidationDecision.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    decided_at = models.DateTimeField(_("donné le"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    # The fiche's version when the partner gave its word: what it validated.
    action_version = models.PositiveIntegerField(_("version de la fiche validée"), default=1)
    to_renew = models.BooleanField(_("à renouveler"), default=False)
    renewal_reason = models.CharField(_("pourquoi la renouveler"), max_length=500, blank=True)
    to_renew_since = models.DateTimeField(_("à renouveler depuis"), null=True, blank=True)

    history = HistoricalRecords(
        verbose_name=_("historique de validation"), historical_queryset=HistoricalActionValidationQuerySet
    )
    objects = ActionValidationQuerySet.as_manager()

    class Meta:
        verbose_name = _("validation d'une fiche")
        verbose_name_plural = _("validations des fiches")
        ordering = ["action", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "organisation"],
                name="action_validation_unique",
                violation_error_message=_("Ce partenaire a déjà donné son avis sur cette fiche : mettez-le à jour."),
            ),
            models.CheckConstraint(
                condition=~Q(decision="reservations") | ~Q(comment=""),
                name="action_validation_reservations_comment",
                violation_error_message=_("Des réserves s'accompagnent d'un commentaire qui les dit."),
            ),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.action.code} : {self.get_decision_display()}"

    @property
    def state_label(self):
        if self.to_renew:
            return _("à renouveler")
        return self.get_decision_display()


class CommitteeDecision(models.Model):
    """A decision of a comité meeting about a fiche, so that the fiche shows what the comités decided of it."""

    # How a row belongs to a programme (acv.access.RestrictedQuerySet).
    programme_paths = ("meeting__convention__programme",)

    meeting = models.ForeignKey(
        "conventions.CommitteeMeeting",
        on_delete=models.CASCADE,
        related_name="fiche_decisions",
        verbose_name=_("réunion"),
    )
    action = models.ForeignKey(
        "actions.Action", on_delete=models.CASCADE, related_name="committee_decisions", verbose_name=_("fiche")
    )
    text = models.TextField(_("décision"))
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = CommitteeDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("décision de comité sur une fiche")
        verbose_name_plural = _("décisions de comité sur les fiches")
        ordering = ["meeting", "position", "pk"]

    def __str__(self):
        return f"{self.meeting} – {self.action.code}"
