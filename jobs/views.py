"""The pages of a background job: where it stands (polled in place while it runs), its file, the recent ones."""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views import View
from django.views.generic import ListView

from acv.access import RestrictedViewMixin, visible_object_or_404
from conventions.mixins import ProgrammeMemberMixin
from jobs.models import Job


class JobListView(ProgrammeMemberMixin, RestrictedViewMixin, ListView):
    """« Mes traitements »: what one asked for lately, to come back to a report or an import."""

    template_name = "jobs/job_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user).select_related("requested_by")


class JobDetailView(ProgrammeMemberMixin, View):
    """Where a job stands. While it runs the status block asks again every two seconds (htmx) and only that
    block comes back; without a script, the page says to reload it."""

    def get(self, request, pk):
        job = visible_object_or_404(Job.objects.visible_to(request.user), pk=pk)
        template = "jobs/_job_status.html" if request.htmx else "jobs/job_detail.html"
        return render(request, template, {"job": job})


class JobFileView(ProgrammeMemberMixin, View):
    """The file a finished job made, for whoever may see the job."""

    def get(self, request, pk):
        job = visible_object_or_404(Job.objects.visible_to(request.user), pk=pk)
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
