"""The evaluation grid and its values through the API. Writes of values go through
evaluation.services.indicator_value_save, as on the grid page and in the admin."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from acv.api import ModelCleanSerializer
from evaluation.models import Criterion, Indicator, IndicatorValue, ResultIndicatorLink
from evaluation.periods import PERIOD_HELP, Period, PeriodError


class CriterionSerializer(ModelCleanSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "programme", "axis", "code", "title", "position"]


class IndicatorSerializer(ModelCleanSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "criterion",
            "name",
            "unit",
            "unit_kind",
            "decimal_places",
            "min_value",
            "max_value",
            "perimeter",
            "direction",
            "scope",
            "frequency",
            "sources",
            "note",
            "position",
        ]


@extend_schema_field(OpenApiTypes.STR)
class PeriodField(serializers.Field):
    """A period as its key (« 2025 », « 2025-S1 », « 2025-T2 », « 2025-03-31 »); « S1 2025 » is read too."""

    default_error_messages = {"invalid": "Période invalide."}

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", str(PERIOD_HELP))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # Bound with source="*": what is returned is merged into the validated data.
        try:
            return {"period": Period.parse(data)}
        except PeriodError as error:
            raise serializers.ValidationError(str(error)) from error

    def to_representation(self, value):
        return value.period.key


class IndicatorValueSerializer(serializers.ModelSerializer):
    """One value of the grid, on a territory (and maybe one of its ORT sectors) or on a quartier prioritaire
    (neighbourhood, territory left null). The rules (place of the programme, period matching the indicator's
    frequency, decimals and bounds of its unit, one value per cell and series) are the model's, applied by
    the service when the view saves."""

    period = PeriodField(source="*")
    period_label = serializers.SerializerMethodField(help_text="La période telle que la grille l'écrit.")
    value = serializers.DecimalField(max_digits=16, decimal_places=4)

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "indicator",
            "territory",
            "sector",
            "neighbourhood",
            "period",
            "period_label",
            "period_kind",
            "year",
            "number",
            "day",
            "series",
            "value",
            "source",
            "measured_on",
            "note",
            "entered_by",
            "updated_at",
        ]
        read_only_fields = ["period_kind", "year", "number", "day", "entered_by", "updated_at"]
        # One cell + series is unique: the service says so in French; DRF's generic check would run first.
        validators = []

    def get_period_label(self, obj) -> str:
        return obj.period.label


class ResultIndicatorLinkSerializer(serializers.ModelSerializer):
    """A fiche's indicateur de résultat feeding an indicator of the grid. Drawn and removed by the coordination
    through evaluation.services (one grid indicator per fiche indicator: remove a link before drawing another)."""

    action = serializers.IntegerField(source="result_indicator.action_id", read_only=True, help_text="La fiche.")

    class Meta:
        model = ResultIndicatorLink
        fields = ["id", "result_indicator", "indicator", "action", "created_by"]
        read_only_fields = ["created_by"]
        # One grid indicator per fiche indicator: the service says so in French, and takes the same link twice.
        extra_kwargs = {"result_indicator": {"validators": []}}
