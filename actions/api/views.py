"""Fiches through the API: the HTML list's FilterSet, the pages' access rules, the fiche save service."""

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from actions.api import serializers
from actions.filters import ActionFilterSet
from actions.models import Action, ProgressUpdate
from actions.services import EditConflict, action_save
from acv.api import ApiAutoSchema, PreconditionFailed, VersionedResponseMixin, expected_version
from conventions import roles
from financing.api.views import IF_MATCH
from financing.models import FundingLine, FundingLineYear


def visible_funding_lines(user):
    """The fiche's funding lines this user may see: a partner must not read other funders' negotiations
    through a fiche any more than through /funding-lines/."""
    lines = FundingLine.objects.visible_to(user).select_related("funder", "scheme").prefetch_related("years")
    return Prefetch("funding_lines", queryset=lines)


class _SerializerAsForm:
    """What actions.services.action_save expects of a form — the instance and save() — so API writes go
    through the same service (and version check) as the page's."""

    def __init__(self, serializer):
        self.serializer = serializer
        self.instance = serializer.cleaned_instance

    def save(self):
        return self.serializer.save()


@extend_schema_view(
    create=extend_schema(
        request=serializers.ActionWriteSerializer, responses={201: serializers.ActionDetailSerializer}
    ),
    update=extend_schema(
        request=serializers.ActionWriteSerializer, responses=serializers.ActionDetailSerializer, parameters=[IF_MATCH]
    ),
    partial_update=extend_schema(
        request=serializers.ActionWriteSerializer, responses=serializers.ActionDetailSerializer, parameters=[IF_MATCH]
    ),
)
class ActionViewSet(
    VersionedResponseMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Fiches action the user may see, filtered and sorted by the HTML list's ActionFilterSet."""

    queryset = Action.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ActionFilterSet
    versioned = True

    def get_serializer_class(self):
        return serializers.ActionSerializer if self.action == "list" else serializers.ActionDetailSerializer

    def get_queryset(self):
        user = self.request.user
        queryset = Action.objects.visible_to(user).for_list(user)
        if self.action == "list":
            return queryset.prefetch_related(visible_funding_lines(user))
        return queryset.prefetch_related(
            "partners",
            "operations",
            "milestones",
            "result_indicators",
            Prefetch("progress_updates", queryset=ProgressUpdate.objects.select_related("author")),
            visible_funding_lines(user),
        )

    def retrieve(self, request, *args, **kwargs):
        self.etag_object = self.get_object()
        return Response(self.get_serializer(self.etag_object).data)

    def _save(self, serializer, expected):
        try:
            action = action_save(
                form=_SerializerAsForm(serializer), formsets=[], user=self.request.user, expected_version=expected
            )
        except EditConflict as exc:
            raise PreconditionFailed() from exc
        self.etag_object = self.get_queryset().get(pk=action.pk)
        return self.get_serializer(self.etag_object).data

    def create(self, request, *args, **kwargs):
        if not roles.can_create_actions(request.user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur créent des fiches.")
        serializer = serializers.ActionWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return Response(self._save(serializer, None), status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        action = self.get_object()  # 404 for what the user cannot see
        if not Action.objects.editable_by(request.user).filter(pk=action.pk).exists():
            raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
        version = expected_version(request, action)
        serializer = serializers.ActionWriteSerializer(
            action, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return Response(self._save(serializer, version))


class AggregatesSchema(ApiAutoSchema):
    """One object, not a list, yet filtered by the fiche FilterSet: document its query parameters."""

    def get_filter_backends(self):
        return self.view.filter_backends


class AggregatesView(generics.GenericAPIView):
    """Dashboard roll-ups, all computed by the QuerySet methods, over the fiches the user may see that
    the ActionFilterSet parameters select, and over those fiches' funding lines the user may see."""

    queryset = Action.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ActionFilterSet
    serializer_class = serializers.AggregatesSerializer
    pagination_class = None
    schema = AggregatesSchema()

    def get_queryset(self):
        return Action.objects.visible_to(self.request.user)

    def get(self, request):
        actions = self.filter_queryset(self.get_queryset())
        lines = FundingLine.objects.visible_to(request.user).for_actions(actions)
        data = {
            "actions": {
                "count": actions.count(),
                "by_status": actions.by_status(),
                "by_axis": actions.by_axis(),
                "by_sub_axis": actions.by_sub_axis(),
                "by_territory": actions.by_territory(),
                "cost_totals": actions.cost_totals(),
            },
            "funding": {
                "by_status": lines.by_status(),
                "by_funder": lines.by_funder(),
                "by_axis": lines.by_axis(),
                "by_sub_axis": lines.by_sub_axis(),
                "by_territory": lines.by_territory(),
                "by_year": FundingLineYear.objects.for_lines(lines).by_year(),
            },
        }
        return Response(self.get_serializer(data).data)
