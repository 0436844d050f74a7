"""Funding lines as the API shows and takes them."""

from rest_framework import serializers

from acv.api import ChoiceLabelField
from conventions import roles
from conventions.api.serializers import OrganisationBriefSerializer
from financing.models import FundingEvent, FundingLine, FundingLineYear, FundingScheme, FundingStatus, Payment


def money(**kwargs):
    """Money read-only and as a string ("7927732.94"), never a float."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class FundingSchemeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingScheme
        fields = ["id", "code", "name"]
        read_only_fields = fields


class FundingLineYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingLineYear
        fields = ["year", "amount"]
        # The service validates years against the model (full_clean), not DRF's copies of the rules.
        validators = []


class FundingEventSerializer(serializers.ModelSerializer):
    """A dated change of state of the line (its funder's and the coordination's to read)."""

    user = serializers.CharField(source="user.get_full_name", read_only=True, allow_null=True)

    class Meta:
        model = FundingEvent
        fields = ["at", "user", "from_status", "to_status", "amount", "note"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """A versement as read and as sent (POST /funding-lines/<id>/payments/); the rules run in
    financing.services.payment_record."""

    class Meta:
        model = Payment
        fields = ["id", "paid_on", "amount", "reference", "recorded_at", "cancelled_at", "cancellation_reason"]
        read_only_fields = ["id", "recorded_at", "cancelled_at", "cancellation_reason"]
        validators = []


class PaymentCancellationSerializer(serializers.Serializer):
    """Why a versement is cancelled (POST /funding-lines/<id>/payments/<payment id>/cancel/)."""

    reason = serializers.CharField(max_length=300, help_text="Motif de l'annulation : erreur de montant, doublon…")


class FundingLineSerializer(serializers.ModelSerializer):
    """A funding line as read. On another funder's line seen by a partner, `note` and `source_text`
    are left out (see roles.sees_funding_line_detail). Never queries: needs select_related("funder",
    "scheme", "action") and prefetch_related("years") from the caller."""

    action_code = serializers.CharField(source="action.code", read_only=True)
    funder = OrganisationBriefSerializer(read_only=True)
    scheme = FundingSchemeBriefSerializer(read_only=True, allow_null=True)
    amount = money(allow_null=True, help_text="null quand le montant n'est pas connu (ce n'est pas zéro).")
    share = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, allow_null=True)
    status_label = ChoiceLabelField(FundingStatus.choices, source="status")
    years = FundingLineYearSerializer(many=True, read_only=True)
    paid = money(help_text="Somme des versements (« versé »), visible comme l'accordé.")
    events = FundingEventSerializer(
        many=True, read_only=True, help_text="La vie de la ligne ; vide sur la ligne d'un autre financeur."
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        default=list,
        help_text="Après une écriture : les plafonds et enveloppes que la ligne dépasse (elle est enregistrée "
        "quand même) ; vide en lecture.",
    )
    # Not read-only in the schema's sense: they may be absent (see the class docstring).
    note = serializers.CharField(required=False)
    source_text = serializers.CharField(required=False)

    class Meta:
        model = FundingLine
        fields = [
            "id",
            "action",
            "action_code",
            "operation",
            "funder",
            "scheme",
            "nature",
            "amount",
            "share",
            "basis",
            "status",
            "status_label",
            "decision_reference",
            "decision_date",
            "source_text",
            "note",
            "position",
            "years",
            "years_complete",
            "paid",
            "events",
            "warnings",
            "version",
        ]
        read_only_fields = [
            name for name in fields if name not in ("note", "source_text", "funder", "scheme", "amount", "share")
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not roles.sees_funding_line_detail(request.user, instance):
            data.pop("note", None)
            data.pop("source_text", None)
        return data


class FundingLineWriteSerializer(serializers.ModelSerializer):
    """What a client sends to create or change a line; `years`, when given, replaces the yearly split.

    Only types are read here: the rules are the model's, run by financing.services (full_clean).
    """

    years = FundingLineYearSerializer(many=True, required=False)

    class Meta:
        model = FundingLine
        fields = [
            "action",
            "operation",
            "funder",
            "scheme",
            "nature",
            "amount",
            "share",
            "basis",
            "status",
            "decision_reference",
            "decision_date",
            "source_text",
            "note",
            "position",
            "years",
            "years_complete",
        ]
        validators = []
