"""Pages of the comités: the list of meetings, a meeting and the reports presented at it, creating and editing."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, ListView

from acv.access import RestrictedViewMixin, visible_object_or_404
from conventions import roles
from conventions.forms import CommitteeMeetingForm, SemesterForm
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import Amendment, CommitteeMeeting


class MeetingReadMixin(ProgrammeMemberMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.reads_everything(request.user):
            raise PermissionDenied("Les réunions de comité sont réservées aux membres du programme.")
        return super().dispatch(request, *args, **kwargs)


class MeetingManageMixin(ProgrammeMemberMixin):
    template_name = "conventions/meeting_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.can_manage_meetings(request.user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur préparent les comités.")
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request, form, meeting, status=200):
        return render(request, self.template_name, {"form": form, "meeting": meeting}, status=status)

    def save(self, request, meeting):
        form = CommitteeMeetingForm(request.POST, instance=meeting)
        if not form.is_valid():
            return self.render_form(request, form, meeting, status=400)
        meeting = form.save()
        messages.success(request, f"{str(meeting).capitalize()} enregistrée.")
        return redirect(meeting)


class MeetingListView(MeetingReadMixin, RestrictedViewMixin, ListView):
    template_name = "conventions/meeting_list.html"
    context_object_name = "meetings"
    paginate_by = 25

    def get_queryset(self):
        return (
            CommitteeMeeting.objects.visible_to(self.request.user)
            .select_related("convention")
            .prefetch_related("semester_reports")
            .order_by("-held_on", "-pk")
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        amendments = list(Amendment.objects.visible_to(user).select_related("convention"))
        rhythm = CommitteeMeeting.objects.visible_to(user).rhythm(amendments, timezone.localdate())
        return super().get_context_data(
            can_manage=roles.can_manage_meetings(user),
            rhythm=rhythm,
            # The documents that set the minimum, named as they are (ACV: avenant n°2, article 3).
            rhythm_amendments=[amendment for amendment in amendments if amendment.project_committees_per_year],
            **kwargs,
        )


class MeetingDetailView(MeetingReadMixin, RestrictedViewMixin, DetailView):
    template_name = "conventions/meeting_detail.html"
    context_object_name = "meeting"

    def get_queryset(self):
        return (
            CommitteeMeeting.objects.visible_to(self.request.user)
            .select_related("convention__programme")
            .prefetch_related("attending_organisations", "semester_reports__generated_by")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            can_manage=roles.can_manage_meetings(user),
            can_export=roles.can_export_programme_reports(user),
            attendees=[line.strip() for line in self.object.attendees.splitlines() if line.strip()],
            reports=list(self.object.semester_reports.all()),
            present_form=SemesterForm.for_meeting(self.object),
            # The decisions that name fiches (kept by the actions app, reached through the meeting's reverse
            # relation: conventions imports no app above it), restricted like every row.
            fiche_decisions=list(
                self.object.fiche_decisions.visible_to(user).select_related("action").order_by("position", "pk")
            ),
        )
        return context


class MeetingCreateView(MeetingManageMixin, View):
    def get(self, request):
        return self.render_form(request, CommitteeMeetingForm(), None)

    def post(self, request):
        return self.save(request, CommitteeMeeting())


class MeetingUpdateView(MeetingManageMixin, View):
    def get(self, request, pk):
        meeting = visible_object_or_404(CommitteeMeeting.objects.editable_by(request.user), pk=pk)
        return self.render_form(request, CommitteeMeetingForm(instance=meeting), meeting)

    def post(self, request, pk):
        return self.save(request, visible_object_or_404(CommitteeMeeting.objects.editable_by(request.user), pk=pk))


def _in_programme(target, code):
    """The same page in another programme: « /cdv/fiches/?q=x » → « /fiches/?q=x » for the default programme."""
    from conventions.programme_urls import programme_prefix, split_programme

    path, _, query = target.partition("?")
    _, rest = split_programme(path)
    path = "/" + programme_prefix(code, roles.default_programme_code()) + rest.lstrip("/")
    return path + (f"?{query}" if query else "")


class ProgrammeSwitchView(ProgrammeMemberMixin, View):
    """The programme switcher: POST a programme code where the user has a role, and the page asked (`next`) is
    opened in that programme (its URL prefix, none for the default programme). A code where the user has no role
    is refused (403), never silently ignored."""

    http_method_names = ["post"]

    def post(self, request):
        from django.http import HttpResponseRedirect
        from django.urls import reverse
        from django.utils.http import url_has_allowed_host_and_scheme

        code = request.POST.get("programme", "")
        if code not in roles.programme_codes_of(request.user):
            raise PermissionDenied("Vous n'avez pas de rôle dans ce programme.")
        with roles.working_in(request.user, code):
            programme = roles.active_programme(request.user)
        messages.success(request, f"Vous travaillez maintenant dans le programme « {programme.name} ».")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
            target = reverse("actions:dashboard")
        return HttpResponseRedirect(_in_programme(target, code))
