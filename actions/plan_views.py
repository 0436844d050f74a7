"""Pages of the plan's life: each convention and avenant (and the next one while it is prepared), a fiche as
signed compared with today or as it was on a date, a partner's word on a fiche, the comité decisions that name
fiches.

The documents' pages live here rather than in conventions: they list fiches, and conventions imports no app
above it. What each reader gets is decided by the querysets (conventions.roles).
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from actions.documents import balance_rows, gather_since_signed, validators_of
from actions.models import (
    Action,
    ActionDocument,
    ActionLink,
    ActionSnapshot,
    ActionValidation,
    CommitteeDecision,
    DocumentChangeKind,
    ProgressUpdate,
    QualityNote,
)
from actions.plan_forms import (
    AmendmentDraftForm,
    AmendmentSignForm,
    CommitteeDecisionFormSet,
    ProgressCorrectionForm,
    ValidationForm,
)
from actions.services import (
    amendment_draft_save,
    amendment_sign,
    balance_notes_record,
    committee_decisions_save,
    progress_update_correct,
    validation_allowed,
    validation_record,
)
from actions.snapshots import diff, fiche_items, for_viewer, freeze, freeze_as_of, line_items, operation_items
from acv.access import editable_object, visible_object_or_404
from conventions import roles
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import (
    Amendment,
    BalanceItem,
    CommitteeMeeting,
    Convention,
    DocumentArticle,
    Signatory,
)


class DocumentReaderMixin(ProgrammeMemberMixin):
    """The documents' pages: the roles that read the programme, and partners (each then reads the documents it
    signed; another document is a 404)."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and roles.has_programme_role(user) and not roles.reads_documents(user):
            raise PermissionDenied("Les documents du programme sont lus par ses membres et par leurs signataires.")
        return super().dispatch(request, *args, **kwargs)


class DocumentListView(DocumentReaderMixin, TemplateView):
    template_name = "actions/document_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        counts = Count("fiche_changes", filter=Q(fiche_changes__in=ActionDocument.objects.visible_to(user)))
        conventions = (
            Convention.objects.readable_by(user)
            .annotate(fiche_count=Count("fiche_changes", filter=Q(fiche_changes__amendment__isnull=True)))
            .order_by("signed_on", "title")
        )
        amendments = (
            Amendment.objects.readable_by(user)
            .select_related("convention")
            .annotate(fiche_count=counts)
            .order_by("convention__signed_on", "number")
        )
        return super().get_context_data(
            conventions=list(conventions),
            amendments=list(amendments),
            can_prepare=roles.can_prepare_amendments(user),
            **kwargs,
        )


def _document_context(user, convention, amendment):
    """What a document's page shows, for this reader: its parties, articles, the fiches it acted on (linked when
    the reader sees them), its balance next to the fiches' figures and the notes of their differences."""
    scope = Q(convention=convention, amendment=amendment) if amendment else Q(convention=convention, amendment=None)
    signatories = Signatory.objects.visible_to(user).filter(scope).select_related("organisation").order_by("position")
    articles = DocumentArticle.objects.visible_to(user).filter(scope)
    relations = list(
        ActionDocument.objects.visible_to(user)
        .filter(scope)
        .select_related("action__territory")
        .order_by("kind", "action__kind", "action__code")
    )
    visible = set(
        Action.objects.visible_to(user)
        .filter(pk__in=[relation.action_id for relation in relations])
        .values_list("pk", flat=True)
    )
    snapshots = dict(ActionSnapshot.objects.visible_to(user).filter(scope).values_list("action_id", "pk"))
    for relation in relations:
        relation.readable = relation.action_id in visible
        relation.snapshot_id = snapshots.get(relation.action_id)
    relations.sort(key=lambda relation: (relation.kind, len(relation.action.code), relation.action.code))
    groups = [
        {"kind": kind, "label": label, "relations": [relation for relation in relations if relation.kind == kind]}
        for kind, label in DocumentChangeKind.choices
    ]
    context = {
        "signatories": list(signatories),
        "articles": list(articles),
        "groups": groups,
        "relation_count": len(relations),
        "compares": roles.compares_document_figures(user),
        "partial": not roles.sees_every_funding_line(user),
    }
    if amendment is not None:
        items = (
            BalanceItem.objects.visible_to(user).filter(amendment=amendment).select_related("territory", "amendment")
        )
        context["balance"] = balance_rows(list(items), user)
        context["balance_notes"] = list(
            QualityNote.objects.visible_to(user).filter(amendment=amendment).select_related("balance_item")
        )
    return context


class ConventionDetailView(DocumentReaderMixin, TemplateView):
    template_name = "actions/document_detail.html"

    def get_context_data(self, pk, **kwargs):
        user = self.request.user
        convention = visible_object_or_404(Convention.objects.readable_by(user).select_related("programme"), pk=pk)
        return super().get_context_data(
            document=convention,
            convention=convention,
            amendment=None,
            amendments=list(Amendment.objects.readable_by(user).filter(convention=convention).order_by("number")),
            **_document_context(user, convention, None),
            **kwargs,
        )


class AmendmentDetailView(DocumentReaderMixin, TemplateView):
    template_name = "actions/document_detail.html"

    def get_context_data(self, pk, **kwargs):
        user = self.request.user
        amendment = visible_object_or_404(Amendment.objects.readable_by(user).select_related("convention"), pk=pk)
        context = _document_context(user, amendment.convention, amendment)
        if not amendment.is_signed:
            context["gathered"] = gather_since_signed(amendment, Action.objects.visible_to(user), user)
        return super().get_context_data(
            document=amendment,
            convention=amendment.convention,
            amendment=amendment,
            can_prepare=roles.can_prepare_amendments(user),
            **context,
            **kwargs,
        )


class BalanceNotesView(ProgrammeMemberMixin, View):
    """« Relever les écarts » of an avenant's balance: each difference with the fiches kept as a quality note."""

    def post(self, request, pk):
        amendment = editable_object(
            Amendment, request.user, "Seule la coordination relève les écarts d'un bilan.", pk=pk
        )
        written = balance_notes_record(amendment=amendment, user=request.user)
        messages.success(
            request,
            f"{len(written)} note(s) de qualité créée(s) ou mise(s) à jour."
            if written
            else "Les notes du bilan étaient déjà à jour : rien à changer.",
        )
        return redirect(reverse("actions:amendment_detail", args=[amendment.pk]) + "#bilan")


class AmendmentPrepareMixin(ProgrammeMemberMixin):
    template_name = "actions/amendment_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.can_prepare_amendments(request.user):
            raise PermissionDenied("Seule la coordination prépare les avenants.")
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request, form, amendment, status=200):
        return render(request, self.template_name, {"form": form, "amendment": amendment}, status=status)

    def save(self, request, amendment):
        form = AmendmentDraftForm(request.POST, instance=amendment)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in AmendmentDraftForm.Meta.fields}
            try:
                saved = amendment_draft_save(
                    amendment=amendment,
                    data=data,
                    signatories=list(form.cleaned_data["signatories"]),
                    user=request.user,
                )
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"{saved} enregistré (en préparation).")
                return redirect(saved)
        return self.render_form(request, form, amendment, status=400)


def _draft(request, pk):
    amendment = editable_object(Amendment, request.user, "Seule la coordination prépare les avenants.", pk=pk)
    if amendment.is_signed:
        raise PermissionDenied("Cet avenant est signé : il ne se modifie plus.")
    return amendment


class AmendmentCreateView(AmendmentPrepareMixin, View):
    def get(self, request):
        return self.render_form(request, AmendmentDraftForm(), None)

    def post(self, request):
        return self.save(request, None)


class AmendmentUpdateView(AmendmentPrepareMixin, View):
    def get(self, request, pk):
        amendment = _draft(request, pk)
        return self.render_form(request, AmendmentDraftForm(instance=amendment), amendment)

    def post(self, request, pk):
        return self.save(request, _draft(request, pk))


class AmendmentSignView(AmendmentPrepareMixin, View):
    template_name = "actions/amendment_sign.html"

    def render_sign(self, request, form, amendment, status=200):
        gathered = gather_since_signed(amendment, Action.objects.visible_to(request.user), request.user)
        return render(
            request, self.template_name, {"form": form, "amendment": amendment, "gathered": gathered}, status=status
        )

    def get(self, request, pk):
        amendment = _draft(request, pk)
        return self.render_sign(request, AmendmentSignForm(amendment=amendment), amendment)

    def post(self, request, pk):
        amendment = _draft(request, pk)
        form = AmendmentSignForm(request.POST, amendment=amendment)
        if form.is_valid():
            try:
                amendment_sign(
                    amendment=amendment,
                    signed_on=form.cleaned_data["signed_on"],
                    signatories=list(form.cleaned_data["signatories"]),
                    user=request.user,
                )
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"{amendment} signé : les fiches qu'il porte sont figées telles que signées.")
                return redirect(amendment)
        return self.render_sign(request, form, amendment, status=400)


# --- A fiche: as signed, as of a date, the partners' word ------------------------------------------------


def _line_sets(action, user):
    from financing.models import FundingLine

    current = set(FundingLine.objects.filter(action=action).values_list("pk", flat=True))
    visible = set(FundingLine.objects.visible_to(user).filter(action=action).values_list("pk", flat=True))
    return current, visible


def _parse_date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class ActionVersionsView(ProgrammeMemberMixin, TemplateView):
    """The fiche as a document signed it (?document=<snapshot>) or as it was on a date (?date=AAAA-MM-JJ), next to
    the field-by-field difference with today. A partner reads both sides cut to what it may see today."""

    template_name = "actions/action_versions.html"

    def get_context_data(self, pk, **kwargs):
        user = self.request.user
        action = visible_object_or_404(Action.objects.visible_to(user).select_related("convention", "amendment"), pk=pk)
        snapshots = list(
            ActionSnapshot.objects.visible_to(user)
            .filter(action=action)
            .select_related("convention", "amendment")
            .order_by("taken_at", "pk")
        )
        current_lines, visible_lines = _line_sets(action, user)
        base, label, error, chosen_date = None, "", "", None
        shows_text = roles.sees_signed_funding_text(user, action)
        wanted = self.request.GET.get("document")
        if wanted:
            snapshot = next((item for item in snapshots if str(item.pk) == wanted), None)
            if snapshot is None:
                raise Http404("Introuvable.")
            base = snapshot.data
            label = f"telle que signée dans {snapshot.document}"
            signed_text = roles.reads_document_text(user, snapshot.convention_id, snapshot.amendment_id)
            chosen = snapshot
        elif self.request.GET.get("date"):
            chosen_date = _parse_date(self.request.GET.get("date"))
            chosen = None
            signed_text = shows_text
            if chosen_date is None:
                error = "Saisissez une date valide, par exemple 2024-06-30."
            elif chosen_date > timezone.localdate():
                error = "Choisissez une date passée : l'historique ne dit pas l'avenir."
            else:
                when = timezone.make_aware(datetime.datetime.combine(chosen_date, datetime.time.max))
                base = freeze_as_of(action, when)
                if base is None:
                    error = f"La fiche n'existait pas encore le {chosen_date:%d/%m/%Y}."
                label = f"au {chosen_date.day} {_month(chosen_date)} {chosen_date.year}"
        else:
            chosen = snapshots[-1] if snapshots else None
            if chosen is not None:
                base = chosen.data
                label = f"telle que signée dans {chosen.document}"
                signed_text = roles.reads_document_text(user, chosen.convention_id, chosen.amendment_id)
        now = for_viewer(
            freeze(action),
            user,
            current_lines=current_lines,
            visible_lines=visible_lines,
            shows_funding_text=shows_text,
        )
        context = {
            "action": action,
            "snapshots": snapshots,
            "chosen": chosen if base is not None else None,
            "chosen_date": chosen_date,
            "date_error": error,
            "label": label,
            "partial": not roles.sees_every_funding_line(user),
        }
        if base is not None:
            base = for_viewer(
                base, user, current_lines=current_lines, visible_lines=visible_lines, shows_funding_text=signed_text
            )
            context.update(
                base_items=fiche_items(base, roles.active_programme(user)),
                base_operations=[operation_items(row) for row in base["operations"]],
                base_lines=[line_items(row) for row in base["funding_lines"]],
                changes=diff(base, now, roles.active_programme(user)),
            )
        return super().get_context_data(**context, **kwargs)


_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _month(day):
    return _MONTHS[day.month - 1]


def _safe_next(request, fallback):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


class ActionValidationView(ProgrammeMemberMixin, View):
    """A partner's word on a fiche it pilots, funds or co-funds, from the fiche page or its portal."""

    def post(self, request, pk):
        action = visible_object_or_404(Action.objects.visible_to(request.user), pk=pk)
        validation_allowed(request.user, action)  # 403 before reading the form: only who pilots or funds it
        form = ValidationForm(request.POST)
        back = _safe_next(request, reverse("actions:action_detail", args=[action.pk]) + "#validations")
        if not form.is_valid():
            errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
            messages.error(request, f"Votre avis n'a pas été enregistré : {errors}")
            return redirect(back)
        try:
            validation = validation_record(
                action=action,
                user=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, "Votre avis n'a pas été enregistré : " + " ".join(error.messages))
            return redirect(back)
        messages.success(request, f"Votre avis sur la fiche {action.code} est enregistré : {validation.state_label}.")
        return redirect(back)


def validation_overview(action, user):
    """Who pilots, funds or co-funds the fiche and what each said — for the roles that read the programme; a
    partner gets its own word only (another partner's reservations are its negotiation).

    `action` comes from for_detail(user): its partners and the lines this user sees are loaded. For the roles
    that read every line they are all the lines, so validators_of gives the whole list; a partner's own lines
    are among those it sees, so whether it is asked is exact too. One query, for the validations."""
    from financing.models import COUNTED_STATUSES

    lines = [line for line in action.funding_lines.all() if line.status in COUNTED_STATUSES]
    organisations = {org.pk: org for org in action.partners.all()}
    organisations.update({line.funder_id: line.funder for line in lines})
    expected = validators_of(
        action.project_owner_id,
        action.territory_id,
        [org.pk for org in action.partners.all()],
        [line.funder_id for line in lines],
    )
    validations = {
        validation.organisation_id: validation
        for validation in ActionValidation.objects.visible_to(user).filter(action=action).select_related("organisation")
    }
    own = roles.validating_organisation(user)
    if not roles.reads_everything(user):
        expected = expected & {own}
    organisations.update({pk: validation.organisation for pk, validation in validations.items()})
    rows = [
        {"organisation": organisations[pk], "validation": validations.get(pk), "expected": pk in expected}
        for pk in sorted(expected | set(validations), key=lambda pk: organisations[pk].name)
    ]
    return {
        "rows": rows,
        "may_validate": own is not None and own in expected,
        "own": validations.get(own),
        "validated": sum(1 for row in rows if row["validation"] and not row["validation"].to_renew and row["expected"]),
        "expected_count": len(expected),
    }


def fiche_plan_context(action, user):
    """The plan's life on a fiche page: the documents that acted on it, its links with fiches of another period,
    its snapshots, the partners' word and the comité decisions about it (a fixed number of queries)."""
    links = list(
        ActionLink.objects.visible_to(user)
        .filter(Q(later=action) | Q(earlier=action))
        .select_related("earlier", "later")
    )
    return {
        "plan_documents": list(
            ActionDocument.objects.visible_to(user).filter(action=action).select_related("convention", "amendment")
        ),
        "origins": [link for link in links if link.later_id == action.pk],
        "continuations": [link for link in links if link.earlier_id == action.pk],
        "snapshots": list(
            ActionSnapshot.objects.visible_to(user).filter(action=action).select_related("convention", "amendment")
        ),
        "validation": validation_overview(action, user),
        "validation_form": ValidationForm(),
        **progress_context(action, user),
        # Comité decisions are read by the roles that read the meetings; nobody else pays their query.
        "decisions": list(
            CommitteeDecision.objects.visible_to(user)
            .filter(action=action)
            .select_related("meeting")
            .order_by("-meeting__held_on", "position")
        )
        if roles.reads_everything(user)
        else [],
    }


class MeetingDecisionsView(ProgrammeMemberMixin, View):
    """The decisions of a comité meeting that name fiches, so that each fiche shows them."""

    template_name = "actions/meeting_decisions.html"

    def _meeting(self, request, pk):
        if not roles.can_manage_meetings(request.user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur préparent les comités.")
        return editable_object(
            CommitteeMeeting, request.user, "Seuls l'administrateur et le coordinateur préparent les comités.", pk=pk
        )

    def _formset(self, request, meeting, data=None):
        fiches = Action.objects.visible_to(request.user).filter(convention=meeting.convention_id).order_by("code")
        initial = [
            {"id": decision.pk, "action": decision.action_id, "text": decision.text}
            for decision in CommitteeDecision.objects.filter(meeting=meeting).order_by("position", "pk")
        ]
        return CommitteeDecisionFormSet(data, initial=initial, form_kwargs={"fiches": fiches}, prefix="decisions")

    def get(self, request, pk):
        meeting = self._meeting(request, pk)
        return render(request, self.template_name, {"meeting": meeting, "formset": self._formset(request, meeting)})

    def post(self, request, pk):
        meeting = self._meeting(request, pk)
        formset = self._formset(request, meeting, request.POST)
        if formset.is_valid():
            rows = [
                {
                    "id": form.cleaned_data.get("id"),
                    "action": form.cleaned_data.get("action"),
                    "text": form.cleaned_data.get("text"),
                    "delete": form.cleaned_data.get("delete"),
                }
                for form in formset.forms
                if form.cleaned_data and (form.cleaned_data.get("action") or form.cleaned_data.get("id"))
            ]
            try:
                committee_decisions_save(meeting=meeting, rows=rows, user=request.user)
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages)
            else:
                messages.success(request, "Décisions sur les fiches enregistrées.")
                return redirect(meeting)
        return render(request, self.template_name, {"meeting": meeting, "formset": formset}, status=400)


# --- Semesters frozen once their report was presented ---------------------------------------------------------


def progress_context(action, user):
    """For the fiche page's états d'avancement: the semesters frozen by a report presented to the comité, and the
    corrections made to each update with their reason (two queries)."""
    from conventions.models import PresentedSemester

    frozen = {
        (row.year, row.semester): row
        for row in PresentedSemester.objects.visible_to(user)
        .filter(convention_id=action.convention_id)
        .select_related("meeting")
    }
    corrections = {}
    for row in (
        ProgressUpdate.history.all()
        .visible_to(user)
        .filter(action_id=action.pk)
        .exclude(history_change_reason__isnull=True)
        .exclude(history_change_reason="")
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        corrections.setdefault(row.id, []).append(row)
    return {"frozen_semesters": frozen, "progress_corrections": corrections}


class ProgressCorrectView(ProgrammeMemberMixin, View):
    """Correct a recorded état d'avancement (the coordination, with a reason kept in the history)."""

    template_name = "actions/progress_correct.html"

    def _update(self, request, pk, update_pk):
        if not roles.edits_everything(request.user):
            raise PermissionDenied("Seule la coordination corrige un état d'avancement déjà saisi.")
        action = editable_object(Action, request.user, "Vous ne pouvez pas modifier cette fiche.", pk=pk)
        return visible_object_or_404(ProgressUpdate.objects.editable_by(request.user), pk=update_pk, action=action)

    def render_form(self, request, update, form, status=200):
        from actions.services import frozen_by

        return render(
            request,
            self.template_name,
            {
                "action": update.action,
                "update": update,
                "form": form,
                "presented": frozen_by(update.action, update.year, update.semester),
            },
            status=status,
        )

    def get(self, request, pk, update_pk):
        update = self._update(request, pk, update_pk)
        initial = {name: getattr(update, name) for name in ProgressCorrectionForm.base_fields if name != "reason"}
        return self.render_form(request, update, ProgressCorrectionForm(initial=initial))

    def post(self, request, pk, update_pk):
        update = self._update(request, pk, update_pk)
        form = ProgressCorrectionForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                progress_update_correct(update=update, data=data, reason=reason, user=request.user)
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"État d'avancement {update.period_label} corrigé.")
                return redirect(reverse("actions:action_detail", args=[pk]) + "#avancement")
        return self.render_form(request, update, form, status=400)
