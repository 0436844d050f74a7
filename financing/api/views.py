"""Funding lines through the API: scoped by FundingLine.objects.visible_to, changed through financing.services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from acv.access import RestrictedViewSetMixin, visible_object_or_404
from acv.api import PreconditionFailed, VersionedResponseMixin, expected_version, validation_error_from_django
from conventions import roles
from financing.api.serializers import (
    FundingLineSerializer,
    FundingLineWriteSerializer,
    PaymentCancellationSerializer,
    PaymentSerializer,
)
from financing.filters import FundingLineFilterSet
from financing.models import FundingEvent, FundingLine, Payment
from financing.services import (
    PAYMENT_RIGHTS,
    FundingLineConflict,
    funding_line_create,
    funding_line_update,
    payment_cancel,
    payment_record,
)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "ETag lu (GET) : la modification est refusée (412) si l'objet a changé depuis. Absent : pas de contrôle."
    ),
)


@extend_schema_view(
    create=extend_schema(request=FundingLineWriteSerializer, responses={201: FundingLineSerializer}),
    update=extend_schema(request=FundingLineWriteSerializer, responses=FundingLineSerializer, parameters=[IF_MATCH]),
    partial_update=extend_schema(
        request=FundingLineWriteSerializer, responses=FundingLineSerializer, parameters=[IF_MATCH]
    ),
)
class FundingLineViewSet(
    RestrictedViewSetMixin,
    VersionedResponseMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Funding lines the user may see. A partner sees its own lines and other funders' settled lines on
    the fiches it funds; it changes only the state, the decision and the yearly split of its own lines."""

    queryset = FundingLine.objects.all()
    serializer_class = FundingLineSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = FundingLineFilterSet
    ordering_fields = ["amount", "status", "position", "decision_date"]
    ordering = ["action", "position", "pk"]
    versioned = True

    def get_queryset(self):
        user = self.request.user
        return (
            FundingLine.objects.visible_to(user)
            .with_paid()
            .select_related("funder", "scheme", "action")
            .prefetch_related(
                "years",
                Prefetch("events", queryset=FundingEvent.objects.visible_to(user).select_related("user")),
            )
        )

    @extend_schema(methods=["GET"], responses=PaymentSerializer(many=True))
    @extend_schema(methods=["POST"], request=PaymentSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=PaymentSerializer, pagination_class=None)
    def payments(self, request, pk=None):
        """The line's versements (GET) or a new one (POST): never above the amount granted; the line becomes
        « versé » when they reach it."""
        line = self.get_object()
        if request.method == "GET":
            payments = Payment.objects.visible_to(request.user).filter(funding_line=line)
            return Response(PaymentSerializer(payments, many=True).data)
        # Before validation: a reader learns it may not write, not what its data lacked.
        if not FundingLine.objects.editable_by(request.user).filter(pk=line.pk).exists():
            raise PermissionDenied(PAYMENT_RIGHTS)
        serializer = PaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payment = payment_record(line=line, data=dict(serializer.validated_data), user=request.user)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PaymentCancellationSerializer, responses={200: PaymentSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"payments/(?P<payment_pk>[0-9]+)/cancel",
        url_name="payment-cancel",
        serializer_class=PaymentCancellationSerializer,
        pagination_class=None,
    )
    def cancel_payment(self, request, pk=None, payment_pk=None):
        """Cancel a mistaken versement: it stays in the list with its date and reason, no longer counts in
        « versé », and a line no longer fully paid is accordé again."""
        line = self.get_object()
        payment = visible_object_or_404(
            Payment.objects.visible_to(request.user).filter(funding_line=line), pk=payment_pk
        )
        if not FundingLine.objects.editable_by(request.user).filter(pk=line.pk).exists():
            raise PermissionDenied(PAYMENT_RIGHTS)
        serializer = PaymentCancellationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payment = payment_cancel(payment=payment, reason=serializer.validated_data["reason"], user=request.user)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(PaymentSerializer(payment).data)

    def retrieve(self, request, *args, **kwargs):
        self.etag_object = self.get_object()
        return Response(self.get_serializer(self.etag_object).data)

    def _respond(self, line, status_code=status.HTTP_200_OK):
        warnings = getattr(line, "warnings", [])
        line = self.get_queryset().get(pk=line.pk)
        line.warnings = warnings
        self.etag_object = line
        return Response(self.get_serializer(line).data, status=status_code)

    def create(self, request, *args, **kwargs):
        # Before validation: a reader learns it may not write, not what its data lacked.
        if not roles.may_edit_some_fiches(request.user):
            raise PermissionDenied("Seuls la coordination et les référents ajoutent des lignes de financement.")
        serializer = FundingLineWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        years = data.pop("years", None)
        try:
            line = funding_line_create(data=data, years=years, user=request.user)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return self._respond(line, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        line = self.get_object()  # 404 for what the user cannot see
        if not FundingLine.objects.editable_by(request.user).filter(pk=line.pk).exists():
            raise PermissionDenied("Vous ne pouvez pas modifier cette ligne de financement.")
        version = expected_version(request, line)
        serializer = FundingLineWriteSerializer(
            line, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        years = changes.pop("years", None)
        # Access (whose line, which fields, onto which fiche) is the service's: the same for every caller.
        try:
            line = funding_line_update(
                line=line, changes=changes, years=years, user=request.user, expected_version=version
            )
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        except FundingLineConflict as exc:
            raise PreconditionFailed() from exc
        return self._respond(line)
