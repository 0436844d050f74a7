"""Fiches as the API shows them (with their roll-ups) and as it takes them.

Read serializers never query: they read what ActionQuerySet.for_list() / with_totals() and the view's
prefetches loaded.
"""

from rest_framework import serializers

from actions.api.plan import ActionDocumentSerializer, ContinuationSerializer, OriginSerializer
from actions.models import (
    EDITABLE_ACTION_FIELDS,
    Action,
    ActionStatus,
    Milestone,
    Operation,
    ProgressUpdate,
    ResultIndicator,
)
from acv.api import ChoiceLabelField, ModelCleanSerializer
from acv.values import COST_FIELDS, PERIOD_FIELDS, Precision
from conventions.api.serializers import OrganisationBriefSerializer
from conventions.models import Axis, SubAxis
from financing.api.serializers import FundingLineSerializer, money


class CostSerializer(serializers.Serializer):
    """A cost as written (text) and its reading: exact, estimated, a range, per year, or unknown."""

    kind = serializers.CharField(source="cost_kind", read_only=True)
    amount = money(source="cost_amount", allow_null=True)
    min = money(source="cost_min", allow_null=True)
    max = money(source="cost_max", allow_null=True)
    per_year = serializers.BooleanField(source="cost_per_year", read_only=True)
    basis = serializers.CharField(source="cost_basis", read_only=True, help_text="TTC, HT ou vide.")
    text = serializers.CharField(source="cost_text", read_only=True, help_text="Tel qu'écrit (peut être vide).")
    display = serializers.CharField(source="cost_display", read_only=True, help_text="Tel qu'une personne le lit.")


def _fuzzy_date_serializer(part):
    """{date, until, precision, text, display} of the start or the end of a period."""
    fields = {
        "date": serializers.DateField(source=f"{part}_on", read_only=True, allow_null=True),
        "until": serializers.DateField(source=f"{part}_until", read_only=True, allow_null=True),
        "precision": serializers.ChoiceField(choices=Precision.choices, source=f"{part}_precision", read_only=True),
        "text": serializers.CharField(source=f"{part}_text", read_only=True),
        "display": serializers.CharField(source=f"{part}_display", read_only=True),
    }
    name = f"{part.capitalize()}DateSerializer"
    return type(name, (serializers.Serializer,), {**fields, "__doc__": f"The {part} as written and read."})


StartDateSerializer = _fuzzy_date_serializer("start")
EndDateSerializer = _fuzzy_date_serializer("end")


class FundedByStatusSerializer(serializers.Serializer):
    planned = money(source="funding_planned")
    requested = money(source="funding_requested")
    granted = money(source="funding_granted")
    paid = money(source="funding_paid")
    refused = money(source="funding_refused")


class TotalsSerializer(serializers.Serializer):
    """The fiche's roll-ups from ActionQuerySet.with_totals().

    `acquired` (accordé + versé of every funder) is the same for every role. The part prévue figures
    (`planned`, `funded_by_status`, `funded_by_partners`, `remaining_for_owner`…) add lines still under
    negotiation: they are null for a partner, which gets `own` (its own lines) instead — never a sum of the
    lines it happens to see.
    """

    cost = money(source="comparable_cost", allow_null=True, help_text="Coût ponctuel chiffré, sinon null.")
    cost_low = money(allow_null=True)
    cost_high = money(allow_null=True)
    acquired = money(source="funding_acquired", help_text="Accordé et versé, tous financeurs.")
    acquired_share = serializers.DecimalField(
        source="share_acquired",
        max_digits=10,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="Part acquise, en % du coût ; null si non calculable.",
    )
    acquired_unknown_lines = serializers.IntegerField(source="funding_acquired_unknown_lines", read_only=True)
    planned = money(source="funding_total", allow_null=True, help_text="Toutes les lignes sauf refusées.")
    planned_share = serializers.DecimalField(
        source="share_planned",
        max_digits=10,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="Part prévue, en % du coût ; null si non calculable ou non visible pour ce rôle.",
    )
    funded_by_status = FundedByStatusSerializer(source="*", read_only=True, allow_null=True)
    funded_by_partners = money(
        source="funding_partners", allow_null=True, help_text="Sans les lignes du maître d'ouvrage."
    )
    unknown_amount_lines = serializers.IntegerField(source="funding_unknown_lines", read_only=True, allow_null=True)
    remaining_for_owner = money(allow_null=True)
    own = money(source="funding_own", allow_null=True, help_text="Pour un partenaire : ses lignes hors refusées.")
    is_overfunded = serializers.BooleanField(read_only=True)
    share_unavailable_reason = serializers.CharField(
        read_only=True, help_text="Pourquoi aucune part n'est calculée (bases HT / TTC différentes), sinon vide."
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not hasattr(instance, "funding_total"):
            data["funded_by_status"] = None
        return data


class AxisBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Axis
        fields = ["id", "number", "title"]
        read_only_fields = fields


class SubAxisBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubAxis
        fields = ["id", "code", "title"]
        read_only_fields = fields


class ActionSerializer(serializers.ModelSerializer):
    """A fiche in a list: identity, place, axes, state, cost, calendar, funding lines and roll-ups."""

    territory = OrganisationBriefSerializer(read_only=True)
    project_owner = OrganisationBriefSerializer(read_only=True, allow_null=True)
    axes = AxisBriefSerializer(many=True, read_only=True)
    sub_axis = SubAxisBriefSerializer(read_only=True, allow_null=True)
    status_label = ChoiceLabelField(ActionStatus.choices, source="status")
    cost = CostSerializer(source="*", read_only=True)
    start = StartDateSerializer(source="*", read_only=True)
    end = EndDateSerializer(source="*", read_only=True)
    funding_lines = FundingLineSerializer(many=True, read_only=True)
    totals = TotalsSerializer(source="*", read_only=True)
    # Links between periods (« issue de », « suite »), among the fiches the reader sees.
    origins = OriginSerializer(many=True, read_only=True)
    continuations = ContinuationSerializer(many=True, read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
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
            "status_label",
            "cost",
            "start",
            "end",
            "funding_lines",
            "totals",
            "origins",
            "continuations",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class OperationSerializer(serializers.ModelSerializer):
    cost = CostSerializer(source="*", read_only=True)
    start = StartDateSerializer(source="*", read_only=True)
    end = EndDateSerializer(source="*", read_only=True)

    class Meta:
        model = Operation
        fields = ["id", "reference", "name", "description", "cost", "start", "end", "funding_text", "position"]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    planned_display = serializers.CharField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "label",
            "planned_on",
            "planned_until",
            "planned_precision",
            "planned_text",
            "planned_display",
            "achieved_on",
            "position",
        ]
        read_only_fields = fields


RESULT_INDICATOR_FIELDS = [
    "label",
    "target_value",
    "unit",
    "target_text",
    "due_on",
    "due_until",
    "due_precision",
    "due_text",
    "achieved_value",
    "achieved_text",
    "achieved_on",
    "position",
]


class ResultIndicatorSerializer(serializers.ModelSerializer):
    """An indicateur de résultat: the target (a figure and its unit when there is one, the words as written
    always), its échéance (a fuzzy date with its reading), what was reached and when; `*_display` as a person
    reads them."""

    target_display = serializers.CharField(read_only=True, help_text="« 2 000 m² », sinon la cible telle qu'écrite.")
    due_display = serializers.CharField(read_only=True, help_text="L'échéance telle qu'écrite ou lue (« T4 2018 »).")
    achieved_display = serializers.CharField(read_only=True)

    class Meta:
        model = ResultIndicator
        fields = ["id", *RESULT_INDICATOR_FIELDS, "target_display", "due_display", "achieved_display"]
        read_only_fields = fields


class ProgressUpdateSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_full_name", read_only=True, allow_null=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "year",
            "semester",
            "status",
            "percent_done",
            "achievements",
            "difficulties",
            "next_steps",
            "status_reason",
            "decided_by",
            "author",
            "created_at",
        ]
        read_only_fields = fields


class ProgressUpdateWriteSerializer(serializers.ModelSerializer):
    """A new état d'avancement (POST /actions/<id>/progress-updates/); the rules (the period of the programme's
    rhythm, workflow, a frozen semester written only by the coordination with `correction_reason`) run in
    actions.services.progress_update_create."""

    correction_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=300,
        help_text="Motif, pour un semestre dont le rapport a déjà été présenté au comité.",
    )

    class Meta:
        model = ProgressUpdate
        fields = [
            "year",
            "semester",
            "status",
            "percent_done",
            "achievements",
            "difficulties",
            "next_steps",
            "status_reason",
            "decided_by",
            "correction_reason",
        ]
        # The one-update-per-period rule answers from the service, with the fiche known.
        validators = []
        extra_kwargs = {
            "semester": {"help_text": "1 ou 2 ; vide (null) pour un programme qui rend compte une fois par an."}
        }


class ActionDetailSerializer(ActionSerializer):
    """A fiche with everything it holds."""

    partners = OrganisationBriefSerializer(many=True, read_only=True)
    operations = OperationSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    result_indicators = ResultIndicatorSerializer(many=True, read_only=True)
    progress_updates = ProgressUpdateSerializer(many=True, read_only=True)
    documents = ActionDocumentSerializer(many=True, read_only=True)

    class Meta(ActionSerializer.Meta):
        fields = [
            *ActionSerializer.Meta.fields,
            "description",
            "objectives",
            "stakeholders",
            "partners",
            "funding_text",
            "source_document",
            "source_reference",
            "operations",
            "milestones",
            "result_indicators",
            "progress_updates",
            "documents",
        ]
        read_only_fields = fields


class OperationRowSerializer(serializers.ModelSerializer):
    """One operation of the fiche as a client writes it: with its id to change it, without to add one,
    with "delete": true to remove it. Only types here; the rules run in actions.services."""

    id = serializers.IntegerField(required=False, allow_null=True)
    delete = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = Operation
        fields = [
            "id",
            "delete",
            "reference",
            "name",
            "description",
            *COST_FIELDS,
            "funding_text",
            *PERIOD_FIELDS,
            "position",
        ]
        validators = []


class MilestoneRowSerializer(serializers.ModelSerializer):
    """One milestone of the fiche as a client writes it (same conventions as OperationRowSerializer)."""

    id = serializers.IntegerField(required=False, allow_null=True)
    delete = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "delete",
            "label",
            "planned_on",
            "planned_until",
            "planned_precision",
            "planned_text",
            "achieved_on",
            "position",
        ]
        validators = []


class ResultIndicatorRowSerializer(serializers.ModelSerializer):
    """One result indicator of the fiche as a client writes it (same conventions as OperationRowSerializer)."""

    id = serializers.IntegerField(required=False, allow_null=True)
    delete = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = ResultIndicator
        fields = ["id", "delete", *RESULT_INDICATOR_FIELDS]
        validators = []


# The rows a fiche's write may carry, each written by actions.services.action_save.
ROW_LISTS = ("operations", "milestones", "result_indicators")


class ActionWriteSerializer(ModelCleanSerializer):
    """What a client sends to create or change a fiche: the fields of the fiche form, flat, and optionally
    its operations, milestones and result indicators (each list replaces nothing it does not name: rows without
    "delete" are kept). The rules are the model's (full_clean); the save goes through actions.services.action_save
    (access, version check, history) like the page's."""

    operations = OperationRowSerializer(many=True, required=False)
    milestones = MilestoneRowSerializer(many=True, required=False)
    result_indicators = ResultIndicatorRowSerializer(many=True, required=False)

    class Meta:
        model = Action
        fields = [*EDITABLE_ACTION_FIELDS, *ROW_LISTS]

    def validate(self, attrs):
        rows = {name: attrs.pop(name) for name in ROW_LISTS if name in attrs}
        attrs = super().validate(attrs)
        attrs.update(rows)
        return attrs


# Aggregates: the rows of the QuerySet roll-ups, field names as the QuerySets give them.


class StatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()


class CostTotalRowSerializer(serializers.Serializer):
    basis = serializers.CharField()
    low = money()
    high = money()
    count = serializers.IntegerField()
    unknown = serializers.IntegerField()


class CostTotalsSerializer(serializers.Serializer):
    by_basis = CostTotalRowSerializer(many=True)
    per_year = CostTotalRowSerializer(many=True)


def _id():
    return serializers.IntegerField(allow_null=True)


def _text():
    return serializers.CharField(allow_null=True)


class ActionAxisRowSerializer(serializers.Serializer):
    cost_basis = serializers.CharField(
        help_text="Base HT / TTC du coût : les coûts de bases différentes ne s'additionnent pas."
    )
    axes__id = _id()
    axes__number = _text()
    axes__title = _text()
    count = serializers.IntegerField()
    cost_low = money()
    cost_high = money()


class ActionSubAxisRowSerializer(serializers.Serializer):
    cost_basis = serializers.CharField()
    sub_axis_id = _id()
    sub_axis__code = _text()
    sub_axis__title = _text()
    count = serializers.IntegerField()
    cost_low = money()
    cost_high = money()


class ActionTerritoryRowSerializer(serializers.Serializer):
    territory_id = _id()
    territory__name = _text()
    territory__short_name = _text()
    count = serializers.IntegerField()


class ComparableBasisSerializer(serializers.Serializer):
    """One HT / TTC basis of cost: its one-off costs, their part acquise and part prévue (null when not visible)."""

    basis = serializers.CharField(help_text="TTC, HT ou vide (base non précisée).")
    cost = money()
    acquired = money()
    acquired_share = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    planned = money(allow_null=True)
    planned_share = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)


class OtherBasisSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    amount = money()


class ComparableSerializer(serializers.Serializer):
    """The shares per basis of cost: HT and TTC are never added. Lines in another basis than their fiche's cost
    are counted in no share (`other_basis`)."""

    by_basis = ComparableBasisSerializer(many=True)
    other_basis = OtherBasisSerializer()


class ActionAggregatesSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    comparable = ComparableSerializer()
    by_status = StatusCountSerializer(many=True)
    by_axis = ActionAxisRowSerializer(many=True)
    by_sub_axis = ActionSubAxisRowSerializer(many=True)
    by_territory = ActionTerritoryRowSerializer(many=True)
    cost_totals = CostTotalsSerializer()


class FundingSumsSerializer(serializers.Serializer):
    """Amount per funding status, the counted total (refused left out), lines with an unknown amount."""

    planned = money()
    requested = money()
    granted = money()
    refused = money()
    paid = money()
    total = money()
    unknown_lines = serializers.IntegerField()
    lines = serializers.IntegerField()


class FundingBasisRowSerializer(FundingSumsSerializer):
    basis = serializers.CharField(help_text="TTC, HT ou vide : la base de la ligne, sinon celle du coût de sa fiche.")


class FundingBasisSumsSerializer(FundingSumsSerializer):
    basis_of_line = serializers.CharField(
        help_text="Base HT / TTC de la ligne (sinon celle du coût de sa fiche) : une ligne par base, non additionnées."
    )


class FundingFunderRowSerializer(FundingBasisSumsSerializer):
    funder_id = _id()
    funder__name = _text()
    funder__short_name = _text()
    funder__key = _text()


class FundingAxisRowSerializer(FundingBasisSumsSerializer):
    action__axes__id = _id()
    action__axes__number = _text()
    action__axes__title = _text()


class FundingSubAxisRowSerializer(FundingBasisSumsSerializer):
    action__sub_axis_id = _id()
    action__sub_axis__code = _text()
    action__sub_axis__title = _text()


class FundingTerritoryRowSerializer(FundingBasisSumsSerializer):
    action__territory_id = _id()
    action__territory__name = _text()
    action__territory__short_name = _text()


class FundingYearRowSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    basis_of_line = serializers.CharField()
    planned = money()
    requested = money()
    granted = money()
    refused = money()
    paid = money()
    total = money()


class FundingAggregatesSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=[("all", "toutes les lignes"), ("settled", "lignes accordées et versées de tous les financeurs")],
        help_text="all : toutes les lignes (rôles qui lisent tout) ; settled : pour un partenaire, les lignes "
        "accordées et versées de tous les financeurs (les autres états valent alors 0 par construction).",
    )
    by_status = FundingSumsSerializer(
        allow_null=True,
        help_text="Par état, quand toutes les lignes partagent une base HT / TTC ; null sinon (lire by_basis : "
        "HT et TTC ne s'additionnent pas).",
    )
    by_basis = FundingBasisRowSerializer(many=True, help_text="Par base HT / TTC : les montants à lire.")
    by_funder = FundingFunderRowSerializer(many=True)
    by_axis = FundingAxisRowSerializer(many=True)
    by_sub_axis = FundingSubAxisRowSerializer(many=True)
    by_territory = FundingTerritoryRowSerializer(many=True)
    by_year = FundingYearRowSerializer(many=True)


class OwnFundingSerializer(serializers.Serializer):
    by_status = FundingSumsSerializer(allow_null=True, help_text="Null quand les lignes sont en HT et en TTC.")
    by_year = FundingYearRowSerializer(many=True)


class AggregatesSerializer(serializers.Serializer):
    """Dashboard roll-ups of the fiches selected by the filters, and of their funding lines (see
    AggregatesView for what a partner gets)."""

    actions = ActionAggregatesSerializer()
    funding = FundingAggregatesSerializer()
    own_funding = OwnFundingSerializer(allow_null=True, help_text="Pour un partenaire : ses propres lignes.")
