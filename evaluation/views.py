"""Pages and downloads of the reports: the reports page, the semester report, a fiche as PDF, the
end-of-action report. Views only check access and wrap the pure functions of evaluation.reports.

Access: the semester report is for those who may export programme reports (roles); a fiche's PDF for them,
for those who may edit the fiche (a référent, its own fiches) and for a partner on the fiches it sees — with
only the funding lines it may see. A fiche one may not see is a 404; a visible one one may not export, a 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from actions.models import Action, ActionStatus
from acv.access import editable_object, visible_object_or_404
from conventions import roles
from conventions.forms import SemesterForm
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import CommitteeMeeting
from evaluation.forms import EndOfActionReportForm
from evaluation.models import EndOfActionReport, SemesterReport
from evaluation.reports import action_pdf, end_of_action_pdf, semester_report_pdf
from evaluation.services import end_of_action_report_save, semester_report_present
from financing.models import FundingLine

MEETINGS_REASON = "Seuls l'administrateur et le coordinateur préparent les comités."


def pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def report_fiches(user):
    """The fiches a semester report covers: every fiche the reader may see."""
    return Action.objects.visible_to(user)


class ProgrammeReportsMixin(ProgrammeMemberMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.can_export_programme_reports(request.user):
            raise PermissionDenied("Le rapport semestriel est réservé à la coordination et au comité de projet.")
        return super().dispatch(request, *args, **kwargs)


class ReportIndexView(ProgrammeReportsMixin, View):
    template_name = "evaluation/report_index.html"

    def get(self, request, form=None, status=200):
        context = {
            "form": form or SemesterForm.for_day(),
            "stored": SemesterReport.objects.visible_to(request.user)
            .select_related("meeting", "generated_by")
            .order_by("-year", "-semester", "-generated_at")[:50],
        }
        return render(request, self.template_name, context, status=status)


class SemesterReportPdfView(ProgrammeReportsMixin, View):
    """The semester report built now, for the semester asked (?year=2026&semester=2)."""

    def get(self, request):
        form = SemesterForm(request.GET)
        if not form.is_valid():
            return ReportIndexView().get(request, form=form, status=400)
        year, semester = form.cleaned_data["year"], form.cleaned_data["semester"]
        content = semester_report_pdf(report_fiches(request.user), year=year, semester=semester)
        return pdf_response(content, f"rapport-semestriel-{year}-S{semester}.pdf")


class StoredReportPdfView(ProgrammeReportsMixin, View):
    """A report as it was presented: the stored bytes, never rebuilt."""

    def get(self, request, pk):
        report = visible_object_or_404(SemesterReport.objects.visible_to(request.user), pk=pk)
        try:
            handle = report.pdf.open("rb")
        except FileNotFoundError as error:
            raise Http404("Le fichier de ce rapport est introuvable.") from error
        return FileResponse(handle, as_attachment=True, filename=report.filename, content_type="application/pdf")


class ReportPresentView(ProgrammeMemberMixin, View):
    """« Présenter ce rapport au comité »: build the report now and keep it with the meeting."""

    def post(self, request, meeting_pk):
        if not roles.can_manage_meetings(request.user):
            raise PermissionDenied(MEETINGS_REASON)
        meeting = editable_object(
            CommitteeMeeting,
            request.user,
            "Seuls l'administrateur et le coordinateur préparent les comités.",
            pk=meeting_pk,
        )
        form = SemesterForm(request.POST)
        if not form.is_valid():
            errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
            messages.error(request, f"Le rapport n'a pas été produit : {errors}")
            return redirect(meeting)
        fiches = report_fiches(request.user).filter(convention=meeting.convention_id)
        report = semester_report_present(
            meeting=meeting,
            fiches=fiches,
            year=form.cleaned_data["year"],
            semester=form.cleaned_data["semester"],
            user=request.user,
        )
        messages.success(
            request, f"Rapport semestriel S{report.semester} {report.year} produit et conservé avec la réunion."
        )
        return redirect(meeting)


def may_export_action(user, action):
    """Whether this user may export this fiche, which it can see, as PDF: the programme's exporters, a
    partner (on the fiches it sees, with its own view of the funding), and whoever may edit the fiche."""
    return (
        roles.can_export_programme_reports(user)
        or roles.is_partner(user)
        or Action.objects.editable_by(user).filter(pk=action.pk).exists()
    )


def exportable_action(request, pk):
    """The fiche if the user may export it as PDF (404 when not visible, 403 when visible but not exportable),
    with the funding lines this user may see."""
    user = request.user
    action = visible_object_or_404(Action.objects.visible_to(user).for_detail(user), pk=pk)
    if not may_export_action(user, action):
        raise PermissionDenied("Vous ne pouvez pas exporter cette fiche.")
    lines = (
        FundingLine.objects.visible_to(user)
        .filter(action=action)
        .select_related("funder", "scheme", "operation")
        .order_by("position", "pk")
    )
    return action, lines


def _file_code(action):
    return "".join(char if char.isalnum() else "-" for char in action.code).strip("-")


class ActionPdfView(ProgrammeMemberMixin, View):
    def get(self, request, pk):
        action, lines = exportable_action(request, pk)
        return pdf_response(action_pdf(action, lines, request.user), f"fiche-{_file_code(action)}.pdf")


def _editable_delivered_action(request, pk):
    action = editable_object(Action, request.user, "Vous ne pouvez pas modifier cette fiche.", pk=pk)
    if action.status != ActionStatus.DELIVERED:
        raise PermissionDenied("Le bilan de fin d'action se rédige quand la fiche est réalisée.")
    return action


class EndOfActionReportView(ProgrammeMemberMixin, View):
    template_name = "evaluation/end_of_action_form.html"

    def get(self, request, pk):
        action = _editable_delivered_action(request, pk)
        report = EndOfActionReport.objects.filter(action=action).first()
        return self.render_form(request, action, EndOfActionReportForm(instance=report), report)

    def post(self, request, pk):
        action = _editable_delivered_action(request, pk)
        report = EndOfActionReport.objects.filter(action=action).first()
        form = EndOfActionReportForm(request.POST, instance=report)
        if not form.is_valid():
            return self.render_form(request, action, form, report, status=400)
        end_of_action_report_save(action=action, data=form.cleaned_data, user=request.user)
        messages.success(request, f"Bilan de fin d'action de la fiche {action.code} enregistré.")
        return redirect("evaluation:end_of_action_report", pk=action.pk)

    def render_form(self, request, action, form, report, status=200):
        return render(request, self.template_name, {"action": action, "form": form, "report": report}, status=status)


class EndOfActionPdfView(ProgrammeMemberMixin, View):
    def get(self, request, pk):
        action, lines = exportable_action(request, pk)
        report = visible_object_or_404(
            EndOfActionReport.objects.visible_to(request.user).select_related("author"), action=action
        )
        report.action = action  # the fiche as loaded by for_detail(), with its totals
        return pdf_response(end_of_action_pdf(report, lines, request.user), f"bilan-{_file_code(action)}.pdf")
