from rest_framework import serializers
from rest_framework.reverse import reverse

from jobs.models import Job, JobStatus

STATUS_LABELS = dict(JobStatus.choices)


class JobSerializer(serializers.ModelSerializer):
    """Where a job stands, and once done, where its file is: a client polls this until `finished` is true."""

    status_label = serializers.SerializerMethodField()
    finished = serializers.BooleanField(source="is_finished", read_only=True)
    percent = serializers.IntegerField(read_only=True, allow_null=True, help_text="Avancement en %, s'il est connu.")
    file_url = serializers.SerializerMethodField(help_text="Adresse du fichier produit, une fois le travail terminé.")
    page_url = serializers.SerializerMethodField(help_text="La page du traitement, pour une personne.")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "status_label",
            "finished",
            "requested_at",
            "started_at",
            "finished_at",
            "progress_done",
            "progress_total",
            "progress_message",
            "percent",
            "result_name",
            "result_content_type",
            "result_summary",
            "file_url",
            "page_url",
            "error_message",
        ]
        read_only_fields = fields

    def get_status_label(self, job) -> str:
        return str(STATUS_LABELS[job.status])

    def get_file_url(self, job) -> str | None:
        if not job.has_file:
            return None
        return reverse("api:job-file", args=[job.pk], request=self.context.get("request"))

    def get_page_url(self, job) -> str:
        return reverse("jobs:job_detail", args=[job.pk], request=self.context.get("request"))
