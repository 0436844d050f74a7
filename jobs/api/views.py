"""Background jobs through the API: a long operation answers 202 with its job; the client follows it here."""

from rest_framework import mixins, viewsets

from acv.access import RestrictedViewSetMixin
from jobs.api.serializers import JobSerializer
from jobs.models import Job


class JobViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own jobs, newest first; the file itself is served at `file_url` (same access rule)."""

    serializer_class = JobSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user)
