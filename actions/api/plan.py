"""The plan's life through the API: the partners' validations of fiches (read, and recorded by the partner itself
through actions.services.validation_record), and the pieces the fiche serializers show (links between periods,
the documents that acted on the fiche)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from actions.models import Action, ActionDocument, ActionLink, ActionValidation, ValidationDecision
from actions.services import validation_allowed, validation_record
from acv.access import RestrictedViewSetMixin, visible_object_or_404
from acv.api import validation_error_from_django
from conventions import roles
from conventions.api.serializers import OrganisationBriefSerializer


class LinkedFicheSerializer(serializers.ModelSerializer):
    class Meta:
        model = Action
        fields = ["id", "code", "title"]
        read_only_fields = fields


class OriginSerializer(serializers.ModelSerializer):
    """A fiche this one follows (« issue de »): this fiche continues, replaces or takes it over."""

    fiche = LinkedFicheSerializer(source="earlier", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ActionLink
        fields = ["fiche", "kind", "kind_label", "inferred", "reason", "reference"]
        read_only_fields = fields


class ContinuationSerializer(OriginSerializer):
    """A fiche of a later period that follows this one."""

    fiche = LinkedFicheSerializer(source="later", read_only=True)


class ActionDocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    document = serializers.CharField(source="document.__str__", read_only=True)

    class Meta:
        model = ActionDocument
        fields = ["convention", "amendment", "document", "kind", "kind_label", "reference"]
        read_only_fields = fields


def plan_prefetches(user):
    """The links between periods of the fiches, restricted to what this user may see (a link never reveals a
    fiche the user may not read)."""
    links = ActionLink.objects.visible_to(user)
    return [
        Prefetch("origins", queryset=links.select_related("earlier")),
        Prefetch("continuations", queryset=links.select_related("later")),
    ]


def documents_prefetch(user):
    """The documents that acted on the fiche (its detail only)."""
    return Prefetch(
        "documents", queryset=ActionDocument.objects.visible_to(user).select_related("convention", "amendment")
    )


class ActionValidationSerializer(serializers.ModelSerializer):
    organisation = OrganisationBriefSerializer(read_only=True)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)

    class Meta:
        model = ActionValidation
        fields = [
            "id",
            "action",
            "organisation",
            "decision",
            "decision_label",
            "comment",
            "decided_at",
            "action_version",
            "to_renew",
            "renewal_reason",
            "to_renew_since",
        ]
        read_only_fields = fields


class ActionValidationWriteSerializer(serializers.Serializer):
    """A partner's word on a fiche it pilots, funds or co-funds; recording it again replaces the previous one."""

    action = serializers.IntegerField(help_text="Identifiant de la fiche.")
    decision = serializers.ChoiceField(choices=ValidationDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ActionValidationViewSet(
    RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Validations of fiches: all of them for the roles that read the programme, its own for a partner."""

    queryset = ActionValidation.objects.all()
    serializer_class = ActionValidationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["action", "organisation", "decision", "to_renew"]

    def get_queryset(self):
        return ActionValidation.objects.visible_to(self.request.user).select_related("organisation")

    @extend_schema(request=ActionValidationWriteSerializer, responses={201: ActionValidationSerializer})
    def create(self, request, *args, **kwargs):
        """Record the caller's organisation's word on a fiche it pilots, funds or co-funds (403 otherwise; 404 for
        a fiche it may not see)."""
        if roles.validating_organisation(request.user) is None:
            raise PermissionDenied("Seuls les partenaires d'une fiche donnent leur avis sur elle.")
        serializer = ActionValidationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = visible_object_or_404(Action.objects.visible_to(request.user), pk=serializer.validated_data["action"])
        validation_allowed(request.user, action)
        try:
            validation = validation_record(
                action=action,
                user=request.user,
                decision=serializer.validated_data["decision"],
                comment=serializer.validated_data["comment"],
            )
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(ActionValidationSerializer(validation).data, status=status.HTTP_201_CREATED)
