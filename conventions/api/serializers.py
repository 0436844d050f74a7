"""Serializers of the programme's reference lists; writes run the models' own rules (ModelCleanSerializer)."""

from rest_framework import serializers

from acv.api import ModelCleanSerializer
from conventions.models import (
    Amendment,
    Axis,
    CommitteeMeeting,
    Convention,
    Organisation,
    PriorityNeighbourhood,
    SubAxis,
)


class OrganisationBriefSerializer(serializers.ModelSerializer):
    """An organisation where another object names it (territory, maître d'ouvrage, funder)."""

    class Meta:
        model = Organisation
        fields = ["id", "key", "name", "short_name", "kind"]
        read_only_fields = fields


class OrganisationSerializer(ModelCleanSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "key", "name", "short_name", "kind", "parent", "note", "insee_code", "siret", "acv_identifier"]


class PriorityNeighbourhoodSerializer(ModelCleanSerializer):
    """A quartier prioritaire (QPV) and the communes it lies on (one or more)."""

    communes = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Organisation.objects.communes(),
        help_text="Identifiants des communes du quartier (organisations de type commune).",
    )

    class Meta:
        model = PriorityNeighbourhood
        fields = ["id", "key", "name", "code", "communes", "source", "note"]


class AmendmentSerializer(ModelCleanSerializer):
    # Drafted and signed in the application through actions.services (amendment_draft_save, amendment_sign).
    status = serializers.CharField(read_only=True, help_text="draft (en préparation) ou signed (signé).")

    class Meta:
        model = Amendment
        fields = [
            "id",
            "key",
            "convention",
            "number",
            "title",
            "status",
            "signed_on",
            "covers_from",
            "covers_to",
            "source",
            "note",
        ]


class ConventionSerializer(ModelCleanSerializer):
    amendments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Convention
        fields = [
            "id",
            "key",
            "programme",
            "title",
            "signed_on",
            "starts_on",
            "ends_on",
            "phases",
            "source",
            "note",
            "amendments",
        ]


class SubAxisSerializer(ModelCleanSerializer):
    class Meta:
        model = SubAxis
        fields = ["id", "axis", "code", "title"]


class AxisSerializer(ModelCleanSerializer):
    sub_axes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Axis
        fields = ["id", "programme", "number", "title", "position", "sub_axes"]


class CommitteeMeetingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CommitteeMeeting
        fields = [
            "id",
            "convention",
            "kind",
            "kind_label",
            "held_on",
            "title",
            "attending_organisations",
            "attendees",
            "agenda",
            "decisions",
            "minutes",
        ]
        read_only_fields = fields
