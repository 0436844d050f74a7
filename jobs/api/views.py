"""Background jobs through the API: a long operation answers 202 with its job; the client follows it here, then
takes its file here too (token or session, like every endpoint)."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from acv.access import RestrictedViewSetMixin
from acv.api import ErrorSerializer
from jobs.api.serializers import JobSerializer
from jobs.models import Job


class JobViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own jobs, newest first."""

    # The model, for the schema (read without a request); what is served is get_queryset()'s.
    queryset = Job.objects.all()
    serializer_class = JobSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Fichier produit par un traitement terminé",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="Le fichier."),
            404: ErrorSerializer,
        },
    )
    @action(detail=True, methods=["get"], url_path="file", url_name="file")
    def file(self, request, pk=None):
        job = self.get_object()
        if not job.has_file:
            raise Http404("Ce traitement n'a pas produit de fichier.")
        try:
            handle = job.result_file.open("rb")
        except FileNotFoundError as error:
            raise Http404("Le fichier de ce traitement est introuvable.") from error
        return FileResponse(
            handle,
            as_attachment=True,
            filename=job.result_name,
            content_type=job.result_content_type or "application/octet-stream",
        )
