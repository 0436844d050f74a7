"""The evaluation grid and its measured values through the API; writes run the models' rules."""

from rest_framework import serializers

from acv.api import ModelCleanSerializer
from evaluation.models import Criterion, Indicator, IndicatorValue


class CriterionSerializer(ModelCleanSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "programme", "axis", "code", "title", "position"]


class IndicatorSerializer(ModelCleanSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "criterion", "name", "unit", "perimeter", "direction", "sources", "note", "position"]


class IndicatorValueSerializer(ModelCleanSerializer):
    value = serializers.DecimalField(max_digits=16, decimal_places=4)

    class Meta:
        model = IndicatorValue
        fields = ["id", "indicator", "territory", "period", "value", "source", "note"]
