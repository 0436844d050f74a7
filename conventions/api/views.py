"""Reference lists of the programme: every account with a role reads them, the coordination keeps them."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter

from acv.access import RestrictedViewSetMixin
from conventions import roles
from conventions.api import serializers
from conventions.models import (
    Amendment,
    Axis,
    CommitteeMeeting,
    Convention,
    Organisation,
    PriorityNeighbourhood,
    SubAxis,
)


class ReferenceViewSet(
    RestrictedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create, update (no delete: reference rows are PROTECTed by the fiches that use them)."""

    filter_backends = [DjangoFilterBackend, OrderingFilter]
    related = ()
    prefetch = ()

    def get_queryset(self):
        return (
            self.queryset.model.objects.visible_to(self.request.user)
            .select_related(*self.related)
            .prefetch_related(*self.prefetch)
        )

    def check_can_write(self, obj):
        if not self.queryset.model.objects.editable_by(self.request.user).filter(pk=obj.pk).exists():
            raise PermissionDenied("Seule la coordination du programme modifie ces données.")

    def create(self, request, *args, **kwargs):
        # Before validation: a reader learns it may not write, not what its data lacked.
        if not roles.can_edit_reference_data(request.user):
            raise PermissionDenied("Seule la coordination du programme modifie ces données.")
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self.check_can_write(self.get_object())  # 404 first for what the user cannot see
        return super().update(request, *args, **kwargs)


class OrganisationViewSet(ReferenceViewSet):
    queryset = Organisation.objects.all()
    serializer_class = serializers.OrganisationSerializer
    filterset_fields = ["kind", "key"]
    ordering_fields = ["name", "key", "kind"]


class ConventionViewSet(ReferenceViewSet):
    queryset = Convention.objects.all()
    serializer_class = serializers.ConventionSerializer
    prefetch = ("amendments",)
    filterset_fields = ["programme", "key"]
    ordering_fields = ["signed_on", "title"]


class AmendmentViewSet(ReferenceViewSet):
    queryset = Amendment.objects.all()
    serializer_class = serializers.AmendmentSerializer
    filterset_fields = ["convention"]
    ordering_fields = ["number", "signed_on"]


class AxisViewSet(ReferenceViewSet):
    queryset = Axis.objects.all()
    serializer_class = serializers.AxisSerializer
    prefetch = ("sub_axes",)
    filterset_fields = ["programme", "number"]
    ordering_fields = ["position", "number"]


class SubAxisViewSet(ReferenceViewSet):
    queryset = SubAxis.objects.all()
    serializer_class = serializers.SubAxisSerializer
    filterset_fields = ["axis", "code"]
    ordering_fields = ["code"]


class PriorityNeighbourhoodViewSet(ReferenceViewSet):
    """Quartiers prioritaires (QPV): perimeters a programme's values may be measured on."""

    queryset = PriorityNeighbourhood.objects.all()
    serializer_class = serializers.PriorityNeighbourhoodSerializer
    prefetch = ("communes",)
    filterset_fields = ["communes", "code"]
    ordering_fields = ["name", "code"]


class CommitteeMeetingViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Comité meetings, read only here (they are prepared on their own pages); for the roles that read the
    whole programme, as on the pages."""

    queryset = CommitteeMeeting.objects.all()
    serializer_class = serializers.CommitteeMeetingSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_fields = ["convention", "kind"]
    ordering_fields = ["held_on"]

    def get_queryset(self):
        return CommitteeMeeting.objects.visible_to(self.request.user).prefetch_related("attending_organisations")
