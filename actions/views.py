"""Pages of the coordinator's workspace: dashboard, fiche list, fiche page, fiche editing."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, TemplateView

from actions.charts import horizontal_bars
from actions.filters import SUGGESTED_FILTERS, ActionFilterSet, current_reporting_period, current_semester
from actions.forms import (
    FORMSET_PREFIXES,
    FORMSETS,
    ActionForm,
    FundingLineFormSet,
    MilestoneAchieveForm,
    OperationFormSet,
    ProgressUpdateForm,
    ResultIndicatorFormSet,
    YearTerritoryForm,
)
from actions.history import action_timeline, changes_since
from actions.models import Action, ActionStatus, Milestone, ProgressUpdate, QualityNote
from actions.plan_views import fiche_plan_context
from actions.services import EditConflict, action_save, milestone_achieve, progress_update_create
from acv.access import RestrictedViewMixin, editable_object, visible_object_or_404
from acv.pagination import IdFirstPaginator
from conventions import roles
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import axis_short_label
from financing.caps import EnvelopeAlerts, alerts_for, envelope_label
from financing.managers import funding_summary_for, funding_years_for, own_funding_summary
from financing.models import COUNTED_STATUSES, FundingLine, FundingStatus

PAGE_SIZE = 25
# How many communes the dashboard's « par commune » table lists: those with the most fiches. A city's programme
# has a handful; at national scale there are 250, which the list of fiches reaches through its Commune filter.
TERRITORIES_SHOWN = 15


def list_url(**params):
    from urllib.parse import urlencode

    return reverse("actions:action_list") + ("?" + urlencode(params) if params else "")


class DashboardView(ProgrammeMemberMixin, TemplateView):
    template_name = "actions/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        year, semester = current_semester(today)
        fiches = Action.objects.visible_to(self.request.user)
        programme = roles.active_programme(self.request.user)
        labels = dict(ActionStatus.choices)
        statuses = [
            {
                "label": labels.get(row["status"], row["status"]),
                "count": row["count"],
                "url": list_url(status=row["status"]),
            }
            for row in fiches.by_status()
        ]
        territories = [
            {
                "id": row["territory_id"],
                "label": row["territory__name"],
                "count": row["count"],
                "url": list_url(territory=row["territory_id"]),
            }
            for row in fiches.by_territory()
        ]
        # Every line of the fiches for those who read everything; for a partner, the settled lines of every
        # funder (the part acquise) and, apart, its own lines — never a sum of the two.
        lines = FundingLine.objects.for_actions(fiches)
        # The roll-ups read the funding summary, the yearly table the yearly split: per convention for the roles
        # that read every line (and a partner's own lines), else a few rows per fiche and the lines' years.
        summary = funding_summary_for(self.request.user, fiches, whole_programme=True)
        sees_all = roles.sees_every_funding_line(self.request.user)
        scoped = lines if sees_all else lines.settled()
        scoped_summary = summary if sees_all else summary.settled()
        # One column per HT / TTC basis: amounts of different bases are never added into one figure. Lines of unknown
        # amount are a count, which adds across bases: from the same rows, without a pass of its own.
        by_basis = scoped_summary.by_basis()
        unknown_lines = sum(row["unknown_lines"] for row in by_basis)
        shown = ("planned", "requested", "granted", "paid") if sees_all else ("granted", "paid")
        funding_rows = [
            {
                "label": FundingStatus(status).label,
                "amounts": [row[status] for row in by_basis],
                "url": list_url(funding_status=status),
            }
            for status in shown
        ]

        # The year × state table for the whole programme or, chosen in the page, one territory's fiches.
        year_form = YearTerritoryForm(
            self.request.GET, territories=territories, max_options=settings.ACV_FILTER_MAX_OPTIONS
        )
        year_territory = year_form.chosen(territories)
        years = funding_years_for(self.request.user, scoped, whole_programme=True)
        if year_territory is not None:
            years = years.of_territory(year_territory["id"])
        by_year = list(years.by_year())
        own = None
        if roles.is_partner(self.request.user):
            own_bases = own_funding_summary(self.request.user, fiches, whole_programme=True).by_basis()
            own = {
                "bases": own_bases,
                "rows": [
                    {"label": FundingStatus(status).label, "amounts": [row[status] for row in own_bases]}
                    for status in ("planned", "requested", "granted", "paid", "refused")
                ],
            }
        axis_rows = [row for row in fiches.by_axis() if row["axes__id"] is not None]
        for row in axis_rows:
            short = axis_short_label(row["axes__label"], row["axes__number"], programme)
            title = row["axes__title"] or ""
            # One bar per axe and HT / TTC basis: costs of different bases are never added.
            short = f"{short} ({row['cost_basis'] or 'base ?'})"
            row["short"] = f"{short} – {title[:22]}…" if len(title) > 22 else f"{short} – {title}"
        bars, chart_height = horizontal_bars(
            axis_rows,
            value_key="cost_high",
            label_key="short",
            title_key="axes__title",
            count_key="count",
            url_for=lambda row: list_url(axis=row["axes__id"]),
        )
        late = fiches.late(today).select_related("territory").order_by("end_until", "code")
        cost = fiches.cost_totals()
        no_update = fiches.without_progress_update(*current_reporting_period(programme, today))
        notes = QualityNote.objects.visible_to(self.request.user).filter(is_open=True, action__in=fiches.values("pk"))
        # The communes with the most fiches first when they are too many to list (a stable sort: by name among equals).
        shown = territories
        if len(territories) > TERRITORIES_SHOWN:
            shown = sorted(territories, key=lambda row: -row["count"])[:TERRITORIES_SHOWN]
        context.update(
            # Every fiche has one state: their number is the sum of the states' counts, without a second pass.
            total=sum(row["count"] for row in statuses),
            statuses=statuses,
            territories=shown,
            territories_more={
                "communes": len(territories) - len(shown),
                "fiches": sum(row["count"] for row in territories) - sum(row["count"] for row in shown),
            },
            cost=cost,
            unknown_cost_url=list_url(cost_kind="unknown"),
            unknown_lines=unknown_lines,
            funding_rows=funding_rows,
            funding_bases=by_basis,
            envelope_alerts=EnvelopeAlerts(alerts_for(self.request.user)),
            funding_by_year=by_year,
            year_territory=year_territory,
            year_form=year_form,
            sees_all_funding=sees_all,
            own_funding=own,
            comparable=fiches.comparable_funding(self.request.user, summary=summary, costs=cost["comparable"]),
            bars=bars,
            chart_height=chart_height,
            late=list(late[:10]),
            late_count=late.count(),
            late_url=list_url(late=1),
            no_update_count=no_update.count(),
            no_update_url=list_url(no_update=1),
            semester_label=f"S{semester} {year}",
            current_year=year,
            notes=list(notes.select_related("action").order_by("action__code", "pk")[:10]),
            notes_count=notes.count(),
            notes_url=list_url(open_notes=1),
        )
        return context


class ActionFilterChoicesView(ProgrammeMemberMixin, View):
    """The suggestions of a fiche filter with too many choices to list: the names that contain what is typed,
    among the choices the filter offers this user, as the <option>s of the input's <datalist>."""

    def get(self, request, name):
        if name not in SUGGESTED_FILTERS:
            raise Http404
        filterset = ActionFilterSet(queryset=Action.objects.none(), request=request)
        names = filterset.suggestions(name, request.GET.get(name, ""))
        return render(request, "actions/_filter_choices.html", {"names": names})


class ActionListView(ProgrammeMemberMixin, TemplateView):
    template_name = "actions/action_list.html"

    def get_template_names(self):
        # htmx filter submissions replace only the results, not the whole page.
        if self.request.htmx and not self.request.htmx.boosted:
            return ["actions/_action_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = Action.objects.visible_to(self.request.user)
        filterset = ActionFilterSet(
            self.request.GET or None, queryset=base.for_list(self.request.user), request=self.request
        )
        filterset.suggest_long_choices(settings.ACV_FILTER_MAX_OPTIONS)
        # Unfiltered, the plan order of the model (its own index), the same as every later page's.
        queryset = filterset.qs if filterset.is_bound else filterset.queryset
        if filterset.is_bound and not filterset.is_valid():
            queryset = queryset.none()
        paginator = IdFirstPaginator(queryset, PAGE_SIZE)
        number = self.request.GET.get("page")
        page = paginator.get_page(paginator.num_pages if number == "last" else number)
        # Totals over every fiche the filters select, not only this page; without a filter, every fiche the user
        # sees (selecting them again by id would cost a pass over the whole programme).
        whole_programme = not filterset.narrows()
        selected = base if whole_programme else base.filter(pk__in=queryset.values("pk"))
        user = self.request.user
        # The summary rows of the filtered fiches are found from the filters' own query (an IN ignores the rows a
        # filter on axes may repeat): one pass over the fiches fewer than through `selected`.
        source = base if whole_programme else queryset
        lines = funding_summary_for(user, source, whole_programme=whole_programme)
        sees_all = roles.sees_every_funding_line(user)
        # Who reads every line gets the part prévue and the part acquise from one pass over the summary rows.
        planned, acquired = lines.by_basis_and_settled() if sees_all else (None, lines.settled().by_basis())
        cost = selected.cost_totals()
        columns = [("code", "Code"), ("title", "Intitulé"), ("commune", "Commune"), ("cost", "Coût")]
        columns.append(("acquired", "Acquis"))
        if sees_all:
            columns.append(("funded", "Prévu"))
        elif roles.is_partner(self.request.user):
            columns.append(("own", "Vos engagements"))
        context.update(
            filter=filterset,
            page_obj=page,
            # A window of page links around the current one (and the ends), not one link per page.
            page_range=paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            actions=page.object_list,
            count=page.paginator.count,
            cost=cost,
            # Footer totals per HT / TTC basis: never one figure adding the two.
            acquired=acquired,
            planned=planned,
            own=own_funding_summary(user, source, whole_programme=whole_programme).by_basis()
            if roles.is_partner(user)
            else None,
            sees_all_funding=sees_all,
            comparable=selected.comparable_funding(user, summary=lines, costs=cost["comparable"]),
            sort=self.request.GET.get("ordering", ""),
            columns=columns,
            can_create=Action.objects.can_create(self.request.user),
        )
        # Reached from the Enveloppes page: the list names the envelope it is filtered on.
        envelope = filterset.form.cleaned_data.get("envelope") if filterset.is_bound and filterset.is_valid() else None
        if envelope is not None:
            context.update(envelope=envelope, envelope_label=envelope_label(envelope))
        return context


class ActionDetailView(ProgrammeMemberMixin, RestrictedViewMixin, DetailView):
    template_name = "actions/action_detail.html"
    context_object_name = "action"

    def get_queryset(self):
        return Action.objects.visible_to(self.request.user).for_detail(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        action = self.object
        user = self.request.user
        lines = list(action.funding_lines.all())
        for line in lines:
            line.show_detail = roles.sees_funding_line_detail(user, line)
        counted = [line for line in lines if line.status in COUNTED_STATUSES]
        unknown = [line for line in counted if line.amount is None]
        can_edit = Action.objects.editable_by(user).filter(pk=action.pk).exists()
        warnings = []
        if action.is_overfunded:
            warnings.append("Les financements dépassent le coût de la fiche : vérifiez les montants ou le coût.")
        for line in counted:
            if line.basis and action.cost_basis and line.basis != action.cost_basis:
                warnings.append(
                    f"La ligne {line.funder} est en {line.basis} et le coût de la fiche en {action.cost_basis} : "
                    "HT et TTC ne s'additionnent pas ; vérifiez l'une ou l'autre."
                )
        if unknown:
            warnings.append(
                f"{len(unknown)} ligne(s) de financement sans montant connu : elles sont comptées à part, "
                "pas comme zéro."
            )
        # When the lines are in more than one HT / TTC basis, the fiche's totals are given per basis (never one
        # figure adding the two).
        by_basis = FundingLine.objects.filter(action=action).fiche_totals_by_basis(action, user, lines)
        if by_basis:
            warnings.append("Les lignes de cette fiche sont en HT et en TTC : leurs totaux sont donnés par base.")
        milestones = list(action.milestones.all())
        for milestone in milestones:
            milestone.achieve_form = (
                MilestoneAchieveForm(instance=milestone, prefix=f"m{milestone.pk}") if can_edit else None
            )
        context.update(
            can_edit=can_edit,
            lines=lines,
            unknown_lines=unknown,
            warnings=warnings,
            timeline=action_timeline(action.pk, viewer=user),
            envelope_alerts=EnvelopeAlerts(alerts_for(user, action=action)),
            funding_by_basis=by_basis,
            sees_all_funding=roles.sees_every_funding_line(user),
            shows_funding_text=roles.sees_signed_funding_text(user, action),
            # The coordination's work list: shown to those who may read it (QualityNote.objects.visible_to).
            sees_quality_notes=roles.reads_everything(user),
            milestones=milestones,
            progress_form=(
                ProgressUpdateForm(instance=ProgressUpdate(action=action), initial=self._progress_initial(action))
                if can_edit
                else None
            ),
            axes=list(action.axes.all()),
        )
        # Documents, links between periods, versions as signed, partners' word, comité decisions.
        context.update(fiche_plan_context(action, user))
        return context

    @staticmethod
    def _progress_initial(action):
        from financing.services import programme_years

        programme = action.convention.programme
        year, semester = current_reporting_period(programme)
        last = programme_years(action)[1]
        if last and year > last:
            # The programme's period is over (the Contrat de Ville of 2015-2022): offer its last period, not one the
            # form would refuse.
            year, semester = last, None if programme.is_annual else 2
        return {"year": year, "semester": semester, "status": action.status}


def _editable_action(request, pk):
    """The fiche if the user may change it: 404 when it is not visible, 403 when only readable."""
    return editable_object(Action, request.user, "Vous ne pouvez pas modifier cette fiche.", pk=pk)


class ActionEditMixin(ProgrammeMemberMixin):
    template_name = "actions/action_form.html"

    def build(self, action, data=None, refresh_versions=False):
        form = ActionForm(data, instance=action, user=self.request.user)
        formsets = [
            OperationFormSet(data, instance=action, prefix="operations"),
            FundingLineFormSet(
                data, instance=action, prefix="funding", refresh_versions=refresh_versions, user=self.request.user
            ),
            ResultIndicatorFormSet(data, instance=action, prefix="results"),
        ]
        return form, formsets

    def render_form(self, request, action, form, formsets, *, version=None, conflict=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "action": action,
                "form": form,
                "operations_formset": formsets[0],
                "funding_formset": formsets[1],
                "results_formset": formsets[2],
                "version": version,
                "conflict": conflict,
                "is_new": action.pk is None,
            },
            status=status,
        )

    def save(self, request, action):
        form, formsets = self.build(action, request.POST)
        expected = _int_or_none(request.POST.get("version"))
        if not (form.is_valid() and all(formset.is_valid() for formset in formsets)):
            return self.render_form(request, action, form, formsets, version=expected, status=400)
        try:
            saved = action_save(
                action=action if action.pk else None,
                data={name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data},
                user=request.user,
                expected_version=expected,
                operations=formset_rows(formsets[0]),
                funding_lines=formset_rows(formsets[1]),
                result_indicators=formset_rows(formsets[2]),
            )
        except EditConflict as conflict:
            current = Action.objects.get(pk=action.pk)
            changes, entries = changes_since(current, expected, form.cleaned_data, viewer=request.user)
            subject = (
                f"la ligne de financement {conflict.line.funder} de cette fiche" if conflict.line else "cette fiche"
            )
            messages.error(
                request,
                f"Quelqu'un a enregistré {subject} pendant que vous la modifiiez : rien n'a été enregistré. "
                "Vos saisies sont conservées ci-dessous ; comparez avec ses modifications, "
                "puis enregistrez de nouveau.",
            )
            # The form now carries the current versions: saving again re-applies these values knowingly.
            form, formsets = self.build(current, request.POST, refresh_versions=True)
            form.is_valid()
            for formset in formsets:
                formset.is_valid()
            return self.render_form(
                request,
                current,
                form,
                formsets,
                version=current.version,
                conflict={"changes": changes, "entries": entries},
                status=409,
            )
        except ValidationError as error:
            _attach_errors(form, formsets, error)
            return self.render_form(request, action, form, formsets, version=expected, status=400)
        messages.success(request, f"Fiche {saved.code} enregistrée.")
        for warning in saved.funding_warnings:
            messages.warning(request, warning)
        return redirect(saved)


ROW_NAMES = {"operations": 0, "funding_lines": 1, "result_indicators": 2}


def _attach_errors(form, formsets, error):
    """The service's messages, next to the field they name (rows' messages above their formset)."""
    for field, field_errors in error.message_dict.items():
        if field in ROW_NAMES:
            formsets[ROW_NAMES[field]]._non_form_errors = formsets[ROW_NAMES[field]].error_class(field_errors)
            continue
        target = field if field in form.fields else None
        for message in field_errors:
            form.add_error(target, message)


def formset_rows(formset):
    """A validated formset as the plain rows the services take: {"id", "version", "delete", field: value}."""
    rows = []
    for row_form in formset.forms:
        if not row_form.has_changed() and row_form.instance.pk is None:
            continue  # an empty row added and left blank
        data = row_form.cleaned_data
        # The fiche itself is the service's `action`: the formset's foreign key is not a field to write.
        row = {name: data[name] for name in row_form._meta.fields if name in data and name != "action"}
        row.update(id=row_form.instance.pk, delete=bool(data.get("DELETE")), version=data.get("version"))
        rows.append(row)
    return rows


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ActionCreateView(ActionEditMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not Action.objects.can_create(request.user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur créent des fiches.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        action = Action()
        form, formsets = self.build(action)
        return self.render_form(request, action, form, formsets)

    def post(self, request):
        return self.save(request, Action())


class ActionUpdateView(ActionEditMixin, View):
    def get(self, request, pk):
        action = _editable_action(request, pk)
        form, formsets = self.build(action)
        return self.render_form(request, action, form, formsets, version=action.version)

    def post(self, request, pk):
        return self.save(request, _editable_action(request, pk))


class FormsetRowView(ProgrammeMemberMixin, View):
    """An empty row of the operations, funding or result indicators formset, appended in place by htmx.

    The row's index is the formset's current TOTAL_FORMS; the answer also bumps that counter
    (out-of-band swap), so the page needs no script of its own.
    """

    def get(self, request, kind):
        if not roles.may_edit_some_fiches(request.user):
            raise PermissionDenied
        if kind not in FORMSETS:
            return HttpResponse(status=404)
        prefix = FORMSET_PREFIXES[kind]
        index = _int_or_none(request.GET.get(f"{prefix}-TOTAL_FORMS")) or 0
        action = Action()
        pk = _int_or_none(request.GET.get("action"))
        if pk:
            action = _editable_action(request, pk)
        formset = FORMSETS[kind](instance=action, prefix=prefix)
        return render(
            request,
            f"actions/_{kind}_row.html",
            {"row": formset.blank_form(index), "prefix": prefix, "next_total": index + 1, "is_new_row": True},
        )


class FormsetRowRemoveView(ProgrammeMemberMixin, View):
    """Removing a row not saved yet: htmx deletes it from the page; the server has nothing to do."""

    def get(self, request):
        return HttpResponse("")


class ProgressCreateView(ProgrammeMemberMixin, View):
    def post(self, request, pk):
        action = _editable_action(request, pk)
        form = ProgressUpdateForm(request.POST, instance=ProgressUpdate(action=action))
        if form.is_valid():
            try:
                data = dict(form.cleaned_data)
                reason = data.pop("correction_reason", "")
                update = progress_update_create(action=action, data=data, user=request.user, correction_reason=reason)
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    for message in field_errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"État d'avancement {update.period_label} enregistré.")
                action.refresh_from_db(fields=["status"])
                if update.status != action.status:
                    past = "une année passée" if update.semester is None else "un semestre passé"
                    messages.info(
                        request,
                        f"{update.period_label} est {past} : {action.convention.programme.the_fiche} garde son état "
                        f"actuel « {action.get_status_display()} ».",
                    )
                return redirect(action)
        return render(request, "actions/progress_form.html", {"action": action, "form": form}, status=400)


class MilestoneAchieveView(ProgrammeMemberMixin, View):
    def post(self, request, pk, milestone_pk):
        action = _editable_action(request, pk)
        milestone = visible_object_or_404(Milestone.objects.editable_by(request.user), pk=milestone_pk, action=action)
        form = MilestoneAchieveForm(request.POST, instance=milestone, prefix=f"m{milestone.pk}")
        if form.is_valid():
            milestone_achieve(milestone=milestone, user=request.user, achieved_on=form.cleaned_data["achieved_on"])
            if request.htmx:
                # The row itself now says « atteint le … »: a message would only show on the next page.
                return render(request, "actions/_milestone_row.html", {"milestone": milestone, "can_edit": True})
            messages.success(request, f"Jalon « {milestone.label} » marqué atteint.")
            return redirect(action)
        if request.htmx:
            return render(
                request,
                "actions/_milestone_row.html",
                {"milestone": milestone, "can_edit": True, "form": form},
                status=400,
            )
        messages.error(request, "Le jalon n'a pas été mis à jour : indiquez une date valide.")
        return redirect(action)
