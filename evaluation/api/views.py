"""The evaluation grid (criteria, indicators), its values and the whole matrix in one call: read by every
role, kept by the coordination.

The criteria, indicators and values endpoints are registered by acv/api_urls.py; the matrix
(`evaluation/grid/`) and the reports by evaluation/api/urls.py.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from acv.access import RestrictedViewSetMixin
from acv.api import ErrorSerializer, validation_error_from_django
from conventions import roles
from conventions.api.views import ReferenceViewSet
from evaluation.api import serializers
from evaluation.api.grid import GRID_EXAMPLE, GridSerializer, grid_data
from evaluation.forms import GridFilterForm
from evaluation.grid import build_grid
from evaluation.models import Criterion, Indicator, IndicatorValue, ResultIndicatorLink
from evaluation.services import (
    LINK_RIGHTS,
    indicator_value_delete,
    indicator_value_save,
    result_indicator_link_delete,
    result_indicator_link_save,
)


class EvaluationGridAPIMixin:
    """The grid's endpoints exist only in a programme that has an evaluation grid (programme configuration), as its
    pages: elsewhere a 404, once the caller is authenticated (an anonymous call still gets its 401)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not roles.programme_has_evaluation_grid(request.user):
            raise exceptions.NotFound("Ce programme n'a pas de grille d'évaluation.")


class CriterionViewSet(EvaluationGridAPIMixin, ReferenceViewSet):
    queryset = Criterion.objects.all()
    serializer_class = serializers.CriterionSerializer
    filterset_fields = ["programme", "axis", "code"]
    ordering_fields = ["position", "code"]


class IndicatorViewSet(EvaluationGridAPIMixin, ReferenceViewSet):
    queryset = Indicator.objects.all()
    serializer_class = serializers.IndicatorSerializer
    prefetch = ("sources",)
    filterset_fields = ["criterion", "scope", "frequency"]
    ordering_fields = ["position", "name"]


class IndicatorValueViewSet(EvaluationGridAPIMixin, mixins.DestroyModelMixin, ReferenceViewSet):
    """Values of the grid. Creating or changing one runs indicator_value_save, removing one
    indicator_value_delete: the same rules and messages as the grid page, the author and the history
    recorded (a removed value stays in the indicator's history)."""

    queryset = IndicatorValue.objects.all()
    serializer_class = serializers.IndicatorValueSerializer
    related = ("territory", "sector", "neighbourhood")
    filterset_fields = ["indicator", "territory", "sector", "neighbourhood", "series", "period_kind", "year"]
    ordering_fields = ["year", "number", "day", "value"]

    def destroy(self, request, *args, **kwargs):
        self.check_can_write(self.get_object())  # 404 first for what the user cannot see, then 403
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        indicator_value_delete(user=self.request.user, value=instance)

    def _save(self, serializer, value=None):
        try:
            serializer.instance = indicator_value_save(
                user=self.request.user, data=dict(serializer.validated_data), value=value
            )
        except DjangoValidationError as error:
            raise validation_error_from_django(error) from error

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, value=serializer.instance)


class ResultIndicatorLinkFilterSet(django_filters.FilterSet):
    action = django_filters.NumberFilter(field_name="result_indicator__action", help_text="Identifiant d'une fiche.")

    class Meta:
        model = ResultIndicatorLink
        fields = ["indicator", "result_indicator", "action"]


class ResultIndicatorLinkViewSet(
    EvaluationGridAPIMixin,
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Which fiche indicators feed which grid indicators: read with the fiches, drawn and removed by the
    coordination through result_indicator_link_save / _delete (the indicator page's form does the same)."""

    queryset = ResultIndicatorLink.objects.all()
    serializer_class = serializers.ResultIndicatorLinkSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ResultIndicatorLinkFilterSet

    def get_queryset(self):
        return ResultIndicatorLink.objects.visible_to(self.request.user).select_related("result_indicator")

    def create(self, request, *args, **kwargs):
        if not roles.can_edit_reference_data(request.user):
            raise exceptions.PermissionDenied(LINK_RIGHTS)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = result_indicator_link_save(
                user=self.request.user, result_indicator=data["result_indicator"], indicator=data["indicator"]
            )
        except DjangoValidationError as error:
            raise validation_error_from_django(error) from error

    def destroy(self, request, *args, **kwargs):
        link = self.get_object()  # 404 first for what the user cannot see
        if not ResultIndicatorLink.objects.editable_by(request.user).filter(pk=link.pk).exists():
            raise exceptions.PermissionDenied(LINK_RIGHTS)
        result_indicator_link_delete(user=request.user, link=link)
        return Response(status=204)


class GridAPIView(EvaluationGridAPIMixin, APIView):
    """GET /api/v1/evaluation/grid/: the whole matrix in one answer."""

    @extend_schema(
        operation_id="evaluation_grid_retrieve",
        summary="Grille d'évaluation (matrice complète)",
        description=(
            "Toute la grille d'évaluation du programme en une réponse : axes → critères → indicateurs, et pour chaque "
            "indicateur et chaque territoire (commune, EPCI, secteur ORT, quartier prioritaire) l'état initial, "
            "la cible, la dernière "
            "valeur mesurée, l'évolution en mots, et la valeur de chaque période demandée (`null` quand elle "
            "n'est pas renseignée). Sans période, les colonnes sont les périodes les plus récentes qui ont une "
            "valeur. Le nombre de requêtes SQL ne dépend ni du nombre d'indicateurs ni du nombre de valeurs. "
            "Lue par tout compte ayant un rôle sur le programme (partenaires compris)."
        ),
        parameters=[
            OpenApiParameter("axis", OpenApiTypes.INT, description="Identifiant d'un axe."),
            OpenApiParameter("territory", OpenApiTypes.INT, description="Identifiant d'une commune ou d'un EPCI."),
            OpenApiParameter("sector", OpenApiTypes.INT, description="Identifiant d'un secteur ORT."),
            OpenApiParameter(
                "neighbourhood",
                OpenApiTypes.INT,
                description="Identifiant d'un quartier prioritaire (QPV) ; ne se combine ni avec territory ni "
                "avec sector.",
            ),
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                description="Une période : 2025, 2025-S1, 2025-T2 ou 2025-03-31 (S1 2025 est lu aussi).",
            ),
        ],
        responses={200: GridSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        examples=[OpenApiExample("Un indicateur, une commune, 2025", value=GRID_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        # The grid of the programme of the request (the endpoint exists only where it has one).
        programme = roles.active_programme(request.user)
        form = GridFilterForm(request.query_params, programme=programme)
        if not form.is_valid():
            raise exceptions.ValidationError({name: list(errors) for name, errors in form.errors.items()})
        filters = {name: value for name, value in form.cleaned_data.items() if value}
        grid = build_grid(user=request.user, programme=programme, **filters)
        return Response(grid_data(grid))
