"""Fiches through the API: the HTML list's FilterSet, the pages' access rules, the fiche save service."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action as route
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from actions.api import serializers
from actions.api.plan import documents_prefetch, plan_prefetches
from actions.filters import ActionFilterSet
from actions.models import Action, ProgressUpdate
from actions.services import EditConflict, action_save, progress_update_create
from acv.access import RestrictedViewSetMixin
from acv.api import (
    ApiAutoSchema,
    PreconditionFailed,
    VersionedResponseMixin,
    expected_version,
    validation_error_from_django,
)
from conventions import roles
from financing.api.views import IF_MATCH
from financing.managers import funding_summary_for, funding_years_for, own_funding_summary
from financing.models import FundingEvent, FundingLine, FundingLineYear, FundingSummary


def funding_lines_prefetch(user):
    """The fiche's funding lines this user may see: a partner must not read other funders' negotiations
    through a fiche any more than through /funding-lines/."""
    lines = (
        FundingLine.objects.visible_to(user)
        .with_paid()
        .select_related("funder", "scheme")
        .prefetch_related(
            "years", Prefetch("events", queryset=FundingEvent.objects.visible_to(user).select_related("user"))
        )
    )
    return Prefetch("funding_lines", queryset=lines)


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
    RestrictedViewSetMixin,
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
        queryset = Action.objects.visible_to(user).for_list(user).prefetch_related(*plan_prefetches(user))
        if self.action == "list":
            return queryset.prefetch_related(funding_lines_prefetch(user))
        return queryset.prefetch_related(
            documents_prefetch(user),
            "partners",
            "operations",
            "milestones",
            "result_indicators",
            Prefetch("progress_updates", queryset=ProgressUpdate.objects.select_related("author")),
            funding_lines_prefetch(user),
        )

    def retrieve(self, request, *args, **kwargs):
        self.etag_object = self.get_object()
        return Response(self.get_serializer(self.etag_object).data)

    @extend_schema(
        request=serializers.ProgressUpdateWriteSerializer, responses={201: serializers.ProgressUpdateSerializer}
    )
    @route(
        detail=True,
        methods=["post"],
        url_path="progress-updates",
        url_name="progress-updates",
        serializer_class=serializers.ProgressUpdateWriteSerializer,
    )
    def progress_updates(self, request, pk=None):
        """Record the état d'avancement of a semester: of the programme's period and not after the current one;
        only the current semester's sets the fiche's status, along the workflow (motive and decision where
        required)."""
        fiche = self.get_object()
        if not Action.objects.editable_by(request.user).filter(pk=fiche.pk).exists():
            raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
        serializer = serializers.ProgressUpdateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            data = dict(serializer.validated_data)
            reason = data.pop("correction_reason", "")
            update = progress_update_create(action=fiche, data=data, user=request.user, correction_reason=reason)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(serializers.ProgressUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    def _save(self, serializer, action, expected):
        data = dict(serializer.validated_data)
        rows = {name: data.pop(name, None) for name in serializers.ROW_LISTS}
        try:
            action = action_save(action=action, data=data, user=self.request.user, expected_version=expected, **rows)
        except EditConflict as exc:
            raise PreconditionFailed() from exc
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        self.etag_object = self.get_queryset().get(pk=action.pk)
        return self.get_serializer(self.etag_object).data

    def create(self, request, *args, **kwargs):
        if not roles.can_create_actions(request.user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur créent des fiches.")
        serializer = serializers.ActionWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return Response(self._save(serializer, None, None), status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        action = self.get_object()  # 404 for what the user cannot see
        if not Action.objects.editable_by(request.user).filter(pk=action.pk).exists():
            raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
        version = expected_version(request, action)
        serializer = serializers.ActionWriteSerializer(
            action, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return Response(self._save(serializer, action, version))


def single_basis(lines, by_basis):
    """by_status() of these lines when they all share one HT / TTC basis (`by_basis`: their by_basis() rows);
    None otherwise — one figure may add only amounts of one basis."""
    return lines.by_status() if len(by_basis) <= 1 else None


class AggregatesSchema(ApiAutoSchema):
    """One object, not a list, yet filtered by the fiche FilterSet: document its query parameters."""

    def get_filter_backends(self):
        return self.view.filter_backends


class AggregatesView(RestrictedViewSetMixin, generics.GenericAPIView):
    """Dashboard roll-ups, all computed by the QuerySet methods, over the fiches the user may see that the
    ActionFilterSet parameters select.

    Funding: every line of those fiches for the roles that read every line (scope "all"). A partner gets the
    settled lines of every funder (scope "settled": accordé and versé, the part acquise — the same figures for
    everyone) and, apart in "own", its own lines by state; never a mix of the two.
    """

    queryset = Action.objects.all()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ActionFilterSet
    serializer_class = serializers.AggregatesSerializer
    pagination_class = None
    schema = AggregatesSchema()

    def get_queryset(self):
        return Action.objects.visible_to(self.request.user)

    def get(self, request):
        user = request.user
        visible = self.get_queryset()
        # The filters built once, to read both what they select and whether they narrow it (as filter_queryset
        # does: invalid filters are a 400 with their errors).
        filterset = DjangoFilterBackend().get_filterset(request, visible, self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        whole_programme = not filterset.narrows()
        actions = filterset.qs
        lines = FundingLine.objects.for_actions(actions)
        # Roll-ups from the funding summary (per convention, or a few rows per fiche); by axe from the summary per
        # fiche (a fiche may have two axes); the yearly split from the lines' years.
        summary = funding_summary_for(user, actions, whole_programme=whole_programme)
        per_fiche = FundingSummary.objects.for_actions(actions)
        sees_all = roles.sees_every_funding_line(user)
        scoped = lines if sees_all else lines.settled()
        scoped_summary = summary if sees_all else summary.settled()
        partner = roles.is_partner(user)
        own = None
        if partner:
            # Over the whole programme, its own lines are all its lines of the programme (a line of its own makes the
            # fiche one it sees): read by funder, without going through the fiches it sees (the years of the national
            # set's Banque des Territoires: 94 → 76 ms).
            mine = FundingLine.objects.visible_to(user) if whole_programme else lines
            own = mine.filter(funder_id=roles.organisation_id_of(user))
        own_summary = own_funding_summary(user, actions, whole_programme=whole_programme) if partner else None
        scoped_bases = scoped_summary.by_basis()
        cost = actions.cost_totals()
        by_status = list(actions.by_status())
        data = {
            "actions": {
                # Every fiche has one state: their number is the sum of the states' counts, without a second pass.
                "count": sum(row["count"] for row in by_status),
                "by_status": by_status,
                "by_axis": actions.by_axis(),
                "by_sub_axis": actions.by_sub_axis(),
                "by_territory": actions.by_territory(),
                "cost_totals": cost,
                "comparable": actions.comparable_funding(user, summary=summary, costs=cost["comparable"]),
            },
            "funding": {
                "scope": "all" if sees_all else "settled",
                "by_status": single_basis(scoped_summary, scoped_bases),
                "by_basis": scoped_bases,
                "by_funder": scoped_summary.by_funder(),
                "by_axis": (per_fiche if sees_all else per_fiche.settled()).by_axis(),
                "by_sub_axis": scoped_summary.by_sub_axis(),
                "by_territory": scoped_summary.by_territory(),
                "by_year": funding_years_for(user, scoped, whole_programme=whole_programme).by_year(),
            },
            "own_funding": None
            if own is None
            else {
                "by_status": single_basis(own_summary, own_summary.by_basis()),
                "by_year": FundingLineYear.objects.for_lines(own).by_year(),
            },
        }
        return Response(self.get_serializer(data).data)
