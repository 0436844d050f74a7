"""The evaluation grid (criteria, indicators) and indicator values: read by every role, kept by the coordination.

The reports' endpoints (evaluation/api/urls.py) are separate; these are registered by acv/api_urls.py.
"""

from conventions.api.views import ReferenceViewSet
from evaluation.api import serializers
from evaluation.models import Criterion, Indicator, IndicatorValue


class CriterionViewSet(ReferenceViewSet):
    queryset = Criterion.objects.all()
    serializer_class = serializers.CriterionSerializer
    filterset_fields = ["programme", "axis", "code"]
    ordering_fields = ["position", "code"]


class IndicatorViewSet(ReferenceViewSet):
    queryset = Indicator.objects.all()
    serializer_class = serializers.IndicatorSerializer
    prefetch = ("sources",)
    filterset_fields = ["criterion"]
    ordering_fields = ["position", "name"]


class IndicatorValueViewSet(ReferenceViewSet):
    queryset = IndicatorValue.objects.all()
    serializer_class = serializers.IndicatorValueSerializer
    filterset_fields = ["indicator", "territory", "period"]
    ordering_fields = ["period", "value"]
