"""The annex of an avenant as PDF: a view that only wraps evaluation.annex (the documents' pages are in
actions.plan_views)."""

from django.core.exceptions import PermissionDenied
from django.views import View

from acv.access import visible_object_or_404
from conventions import roles
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import Amendment
from evaluation.annex import amendment_annex_pdf
from evaluation.views import pdf_response


class AmendmentAnnexPdfView(ProgrammeMemberMixin, View):
    """Every reader of the avenant's text downloads its annex, with the lines it may see of each fiche."""

    def get(self, request, pk):
        if not roles.reads_documents(request.user):
            raise PermissionDenied("Les documents du programme sont lus par ses membres et par leurs signataires.")
        amendment = visible_object_or_404(
            Amendment.objects.readable_by(request.user).select_related("convention"), pk=pk
        )
        return pdf_response(amendment_annex_pdf(amendment, request.user), f"avenant-{amendment.number}-annexe-2.pdf")
