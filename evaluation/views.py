"""Pages and downloads of the reports: the reports page, the semester report, a fiche as PDF, the
end-of-action report. Views only check access and wrap the pure functions of evaluation.reports.

Access: the semester report is for those who may export programme reports (roles); a fiche's PDF for them,
for those who may edit the fiche (a référent, its own fiches) and for a partner on the fiches it sees — with
only the funding lines it may see. A fiche one may not see is a 404; a visible one one may not export, a 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from actions.models import Action, ActionStatus
from acv.access import editable_object, visible_object_or_404
from conventions import roles
from conventions.forms import SemesterForm
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import CommitteeMeeting, Organisation, PriorityNeighbourhood, Sector
from evaluation.charts import indicator_chart
from evaluation.exports import grid_xlsx
from evaluation.forms import (
    EndOfActionReportForm,
    GridFilterForm,
    IndicatorValueForm,
    ResultIndicatorLinkForm,
    SemesterReportForm,
)
from evaluation.grid import Place, build_grid
from evaluation.models import (
    EndOfActionReport,
    Indicator,
    IndicatorValue,
    ResultIndicatorLink,
    SemesterReport,
    Series,
    place_label_of,
    programme_neighbourhoods,
    programme_territories,
)
from evaluation.periods import Period, PeriodError
from evaluation.reports import action_pdf, end_of_action_pdf
from evaluation.services import (
    LINK_RIGHTS,
    NO_SEMESTER_REPORT,
    end_of_action_report_save,
    indicator_value_delete,
    indicator_value_save,
    result_indicator_link_delete,
    result_indicator_link_save,
)
from evaluation.tasks import build_annual_report, build_semester_report, present_semester_report
from financing.models import FundingLine
from jobs.services import job_start

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
            "form": form or SemesterReportForm.for_day(user=request.user),
            "stored": SemesterReport.objects.visible_to(request.user)
            .select_related("meeting", "generated_by")
            .order_by("-year", "-semester", "-generated_at")[:50],
        }
        return render(request, self.template_name, context, status=status)


def semester_report_job(*, user, year, semester, convention=None):
    """Hand the semester report to the background; the job page follows it and offers the file."""
    title = f"Rapport semestriel S{semester} {year}" + (f" – {convention}" if convention else "")
    parameters = {
        "year": year,
        "semester": semester,
        "convention": getattr(convention, "pk", None),
    }
    return job_start(kind="semester_report", title=title, user=user, task=build_semester_report, parameters=parameters)


class SemesterReportStartView(ProgrammeReportsMixin, View):
    """« Produire le rapport semestriel »: the report is built in the background; the person follows its job."""

    def post(self, request):
        if not roles.programme_reports_every_semester(request.user):
            messages.error(request, NO_SEMESTER_REPORT)
            return redirect("evaluation:report_index")
        form = SemesterReportForm(request.POST, user=request.user)
        if not form.is_valid():
            return ReportIndexView().get(request, form=form, status=400)
        job = semester_report_job(user=request.user, **form.cleaned_data)
        return redirect(job)


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
    """« Présenter ce rapport au comité »: the report is built in the background and kept with the meeting."""

    def post(self, request, meeting_pk):
        if not roles.can_manage_meetings(request.user):
            raise PermissionDenied(MEETINGS_REASON)
        meeting = editable_object(
            CommitteeMeeting,
            request.user,
            "Seuls l'administrateur et le coordinateur préparent les comités.",
            pk=meeting_pk,
        )
        if meeting.convention.programme.is_annual:
            messages.error(request, NO_SEMESTER_REPORT)
            return redirect(meeting)
        form = SemesterForm(request.POST)
        if not form.is_valid():
            errors = " ".join(error for field_errors in form.errors.values() for error in field_errors)
            messages.error(request, f"Le rapport n'a pas été produit : {errors}")
            return redirect(meeting)
        year, semester = form.cleaned_data["year"], form.cleaned_data["semester"]
        job = job_start(
            kind="meeting_report",
            title=f"Rapport semestriel S{semester} {year} pour le {meeting}",
            user=request.user,
            task=present_semester_report,
            parameters={
                "meeting": meeting.pk,
                "year": year,
                "semester": semester,
            },
        )
        return redirect(job)


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
        words = action.convention.programme
        raise PermissionDenied(
            f"Le bilan de fin d'action se rédige quand {words.the_fiche} est {words.fiche_agreed('réalisée')}."
        )
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
        words = action.convention.programme
        messages.success(request, f"Bilan de fin d'action {words.of_the_fiche} {action.code} enregistré.")
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


# --- The evaluation grid -------------------------------------------------------------------------------------

GRID_RIGHTS = "Seule la coordination du programme saisit les valeurs de la grille d'évaluation."


class EvaluationGridMixin(ProgrammeMemberMixin):
    """The pages of the evaluation grid exist only in a programme that has one (programme configuration): elsewhere
    they are a 404, as the national table's pages are."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.programme_has_evaluation_grid(request.user):
            raise Http404("Ce programme n'a pas de grille d'évaluation.")
        return super().dispatch(request, *args, **kwargs)


def _grid_of_request(request):
    # The grid of the programme the user works in (these pages exist only where it has one).
    programme = roles.active_programme(request.user)
    form = GridFilterForm(request.GET or None, programme=programme)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    grid = build_grid(user=request.user, programme=programme, **{k: v for k, v in filters.items() if v})
    return form, grid


class GridExportView(EvaluationGridMixin, View):
    """The grid as XLSX, with the filters of the page: what the reader sees, to take away."""

    def get(self, request):
        form, grid = _grid_of_request(request)
        if form.errors:
            return GridView().get(request)
        response = HttpResponse(
            grid_xlsx(grid), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="grille-evaluation.xlsx"'
        return response


class GridView(EvaluationGridMixin, View):
    """The Article 8 grid: every account with a role on the programme reads it; the coordination fills it in,
    cell by cell (GridCellView)."""

    template_name = "evaluation/grid.html"

    def get(self, request):
        form, grid = _grid_of_request(request)
        context = {
            "form": form,
            "grid": grid,
            "can_edit": roles.can_edit_reference_data(request.user),
            "here": request.get_full_path(),
        }
        return render(request, self.template_name, context, status=400 if form.errors else 200)


def _safe_next(request, fallback):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return fallback


class GridCellView(EvaluationGridMixin, View):
    """One cell of the grid, for the coordination: its form (in place with htmx, or as a page without
    JavaScript) and its saving. The cell is named in the query string: indicator, the place (territory and
    maybe sector, or a quartier prioritaire: neighbourhood), and the column — a period (series mesuré or
    estimé) or the état initial / the cible of the place."""

    page_template = "evaluation/cell_form.html"
    form_template = "evaluation/_cell_form.html"
    cell_template = "evaluation/_cell_saved.html"

    def setup_cell(self, request):
        if not roles.can_edit_reference_data(request.user):
            raise PermissionDenied(GRID_RIGHTS)
        params = request.GET
        indicator = visible_object_or_404(
            Indicator.objects.visible_to(request.user).select_related("criterion"), pk=_int(params.get("indicator"))
        )
        programme_id = indicator.criterion.programme_id
        territory = sector = neighbourhood = None
        if params.get("neighbourhood"):
            neighbourhood = visible_object_or_404(
                PriorityNeighbourhood.objects.visible_to(request.user)
                .filter(pk__in=programme_neighbourhoods(programme_id).values("pk"))
                .prefetch_related("communes"),
                pk=_int(params.get("neighbourhood")),
            )
        else:
            territory = visible_object_or_404(
                Organisation.objects.visible_to(request.user).filter(
                    pk__in=programme_territories(programme_id).values("pk")
                ),
                pk=_int(params.get("territory")),
            )
        if params.get("sector") and territory is not None:
            sector = visible_object_or_404(
                Sector.objects.visible_to(request.user).filter(commune=territory), pk=_int(params.get("sector"))
            )
        column = params.get("column") or ""
        period = None
        if column not in (Series.INITIAL, Series.TARGET):
            try:
                period = Period.parse(column)
            except PeriodError as error:
                raise Http404("Colonne inconnue.") from error
        self.indicator, self.column, self.period = indicator, column, period
        self.place = Place(territory, sector, neighbourhood)
        self.value = self.current_value(request)

    def current_value(self, request):
        """The value the cell shows, which the form changes: the period's measured value (else its estimate),
        or the latest état initial / cible of the place."""
        values = IndicatorValue.objects.editable_by(request.user).filter(
            indicator=self.indicator,
            territory=self.place.territory,
            sector=self.place.sector,
            neighbourhood=self.place.neighbourhood,
        )
        if self.period is not None:
            found = {value.series: value for value in values.of_period(self.period)}
            return found.get(Series.MEASURED) or found.get(Series.ESTIMATED)
        candidates = list(values.filter(series=self.column))
        return max(candidates, key=lambda value: value.period.sort_key(), default=None)

    def initial(self):
        if self.value is not None:
            value = self.value
            return {
                "period": value.period.label if value.period.kind != "date" else value.period.key,
                "series": value.series,
                "value": value.value.normalize() if value.value is not None else None,
                "source": value.source_id,
                "measured_on": value.measured_on,
                "note": value.note,
            }
        sources = list(self.indicator.sources.all()[:1])
        return {
            "period": self.period.label if self.period is not None else "",
            "series": self.column if self.period is None else Series.MEASURED,
            "source": sources[0].pk if sources else None,
        }

    def get(self, request):
        self.setup_cell(request)
        if request.GET.get("show"):
            return self.render_cell(request)
        form = IndicatorValueForm(initial=self.initial(), indicator=self.indicator, auto_id=self.auto_id())
        self.limit_series(form)
        return self.render_form(request, form)

    def post(self, request):
        self.setup_cell(request)
        form = IndicatorValueForm(request.POST, indicator=self.indicator, auto_id=self.auto_id())
        self.limit_series(form)
        if form.is_valid():
            data = {
                "indicator": self.indicator,
                "territory": self.place.territory,
                "sector": self.place.sector,
                "neighbourhood": self.place.neighbourhood,
                **{name: form.cleaned_data[name] for name in ("period", "series", "value", "source", "measured_on")},
                "note": form.cleaned_data["note"] or "",
            }
            try:
                saved = indicator_value_save(user=request.user, data=data, value=self.value)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if request.htmx:
                    self.value = self.current_value(request)
                    return self.render_cell(request)
                messages.success(
                    request,
                    f"Valeur enregistrée : {saved.indicator}, {saved.place_label}, {saved.period.label} "
                    f"({saved.get_series_display()}).",
                )
                return redirect(_safe_next(request, reverse("evaluation:grid")))
        # htmx swaps only 2xx answers: the form comes back as 200 with its errors next to the fields; without
        # JavaScript, the page answers 400 like every refused form.
        return self.render_form(request, form, status=200 if request.htmx else 400)

    def auto_id(self):
        # Several cells' forms may be open at once in the grid: each keeps its own ids (not its field names).
        return f"{cell_id(self.indicator, self.place, self.column)}-%s"

    def limit_series(self, form):
        """A period column takes the measured or estimated value; the état initial and the cible columns keep
        their series."""
        if self.period is None:
            form.fields["series"].choices = [(self.column, Series(self.column).label)]
        else:
            form.fields["series"].choices = [
                (Series.MEASURED, Series.MEASURED.label),
                (Series.ESTIMATED, Series.ESTIMATED.label),
            ]

    def context(self, request, **extra):
        return {
            "indicator": self.indicator,
            "place": self.place,
            "column": self.column,
            "period": self.period,
            "value": self.value,
            "cell_id": cell_id(self.indicator, self.place, self.column),
            "cell_url": request.get_full_path(),
            "next": _safe_next(request, reverse("evaluation:grid")),
            "can_edit": True,
            **extra,
        }

    def render_form(self, request, form, status=200):
        template = self.form_template if request.htmx else self.page_template
        return render(request, template, self.context(request, form=form), status=status)

    def render_cell(self, request):
        grid = build_grid(
            user=request.user,
            programme=self.indicator.criterion.programme,
            indicators=[self.indicator.pk],
            territory=None if self.place.sector else self.place.territory,
            sector=self.place.sector,
            neighbourhood=self.place.neighbourhood,
            period=self.period,
        )
        row = next(place_row for place_row in grid.indicator_rows[0].places if place_row.place.key == self.place.key)
        return render(request, self.cell_template, self.context(request, row=row, grid_period=self.period))


def cell_id(indicator, place, column):
    return f"cell-{indicator.pk}-{place.key}-{column}"


def cell_url(indicator, place, column, next_url=""):
    query = QueryDict(mutable=True)
    query["indicator"] = indicator.pk
    if place.neighbourhood is not None:
        query["neighbourhood"] = place.neighbourhood.pk
    else:
        query["territory"] = place.territory.pk
    if place.sector:
        query["sector"] = place.sector.pk
    query["column"] = column
    if next_url:
        query["next"] = next_url
    return f"{reverse('evaluation:grid_cell')}?{query.urlencode()}"


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError) as error:
        raise Http404("Introuvable.") from error


class IndicatorDetailView(EvaluationGridMixin, View):
    """An indicator: its definition and sources, every value with its history, its chart (the same SVG as in
    the PDFs), and the fiches' result indicators that feed it."""

    template_name = "evaluation/indicator_detail.html"

    def get(self, request, pk):
        return self.render_page(request, self.indicator_of(request, pk))

    @staticmethod
    def indicator_of(request, pk):
        return visible_object_or_404(
            Indicator.objects.visible_to(request.user)
            .select_related("criterion", "criterion__axis", "criterion__programme")
            .prefetch_related("sources"),
            pk=pk,
        )

    def render_page(self, request, indicator, link_form=None, status=200):
        values = list(
            IndicatorValue.objects.visible_to(request.user)
            .filter(indicator=indicator)
            .select_related("territory", "sector", "neighbourhood", "source", "entered_by")
        )
        values.sort(key=lambda value: (value.place_label, value.period.sort_key(), value.series))
        history = (
            IndicatorValue.history.all()
            .visible_to(request.user)
            .filter(indicator_id=indicator.pk)
            .select_related("history_user", "territory", "sector", "neighbourhood")
            .order_by("-history_date", "-history_id")
        )
        by_value = {}
        for record in history:
            by_value.setdefault(record.id, []).append(record)
        for value in values:
            value.records = by_value.pop(value.pk, [])
        removed = [records for records in by_value.values() if records]
        for records in removed:
            last = records[0]
            last.place_label, last.period_label = place_label_of(last), Period.of(last).label
        can_edit = roles.can_edit_reference_data(request.user)
        links = (
            ResultIndicatorLink.objects.visible_to(request.user)
            .filter(indicator=indicator)
            .select_related("result_indicator__action")
            .order_by("result_indicator__action", "result_indicator__position", "pk")
        )
        if can_edit and link_form is None:
            link_form = ResultIndicatorLinkForm(indicator=indicator)
        context = {
            "indicator": indicator,
            "values": values,
            "removed": removed,
            "chart": indicator_chart(indicator, values),
            "can_edit": can_edit,
            "links": list(links),
            "link_form": link_form if can_edit else None,
        }
        return render(request, self.template_name, context, status=status)


class ResultIndicatorLinkCreateView(EvaluationGridMixin, View):
    """« This fiche indicator feeds the grid indicator »: the form of the indicator page, for the coordination."""

    def post(self, request, pk):
        if not roles.can_edit_reference_data(request.user):
            raise PermissionDenied(LINK_RIGHTS)
        page = IndicatorDetailView()
        indicator = page.indicator_of(request, pk)
        form = ResultIndicatorLinkForm(request.POST, indicator=indicator)
        if form.is_valid():
            item = form.cleaned_data["result_indicator"]
            try:
                result_indicator_link_save(user=request.user, result_indicator=item, indicator=indicator)
            except ValidationError as error:
                form.add_error("result_indicator", error.message_dict.get("result_indicator", error.messages))
            else:
                messages.success(
                    request, f"« {item.label} » ({item.action.code}) alimente désormais « {indicator.name} »."
                )
                return redirect(reverse("evaluation:indicator_detail", args=[indicator.pk]) + "#fiches")
        return page.render_page(request, indicator, link_form=form, status=400)


class ResultIndicatorLinkDeleteView(EvaluationGridMixin, View):
    """Removing a link drawn by mistake: a button of the indicator page (nothing of the fiche is removed)."""

    def post(self, request, pk, link_pk):
        if not roles.can_edit_reference_data(request.user):
            raise PermissionDenied(LINK_RIGHTS)
        link = visible_object_or_404(
            ResultIndicatorLink.objects.editable_by(request.user).select_related("result_indicator__action"),
            pk=link_pk,
            indicator_id=pk,
        )
        item = link.result_indicator
        result_indicator_link_delete(user=request.user, link=link)
        messages.success(request, f"« {item.label} » ({item.action.code}) n'alimente plus cet indicateur.")
        return redirect(reverse("evaluation:indicator_detail", args=[pk]) + "#fiches")


class IndicatorValueDeleteView(EvaluationGridMixin, View):
    """Removing a value entered by mistake, for the coordination: a page that says what will go (the
    confirmation, without JavaScript), then its POST through indicator_value_delete. The indicator's history
    keeps the value, who removed it and when."""

    template_name = "evaluation/value_confirm_delete.html"

    def value_of(self, request, pk):
        if request.user.is_authenticated and not roles.can_edit_reference_data(request.user):
            raise PermissionDenied(GRID_RIGHTS)
        value = editable_object(IndicatorValue, request.user, GRID_RIGHTS, pk=pk)
        return (
            IndicatorValue.objects.editable_by(request.user)
            .select_related("indicator", "territory", "sector", "neighbourhood", "source", "entered_by")
            .get(pk=value.pk)
        )

    def get(self, request, pk):
        value = self.value_of(request, pk)
        fallback = reverse("evaluation:indicator_detail", args=[value.indicator_id])
        return render(request, self.template_name, {"value": value, "next": _safe_next(request, fallback)})

    def post(self, request, pk):
        value = self.value_of(request, pk)
        indicator = value.indicator
        described = f"{value.place_label}, {value.period.label} ({value.get_series_display()})"
        indicator_value_delete(user=request.user, value=value)
        messages.success(
            request,
            f"Valeur supprimée : {indicator}, {described}. L'historique de l'indicateur la conserve.",
        )
        return redirect(_safe_next(request, reverse("evaluation:indicator_detail", args=[indicator.pk])))


class CrossProgrammeView(ProgrammeMemberMixin, View):
    """The agglomeration's programmes side by side, for who coordinates at least two of them (403 otherwise)."""

    template_name = "evaluation/cross_programme.html"

    def get(self, request):
        from evaluation.cross_programme import cross_programme_view

        if not roles.sees_cross_programme_view(request.user):
            raise PermissionDenied("Cette vue est réservée à qui coordonne plusieurs programmes de l'agglomération.")
        return render(request, self.template_name, cross_programme_view(request.user))


class AnnualReportStartView(ProgrammeReportsMixin, View):
    """« Produire le rapport annuel » of a programme that reports every year: built in the background."""

    def post(self, request):
        programme = roles.active_programme(request.user)
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            year = None
        if programme is None or not programme.is_annual or year is None or not 2000 <= year <= 2100:
            messages.error(request, "Le rapport annuel n'a pas été produit : indiquez une année (2000 à 2100).")
            return redirect("evaluation:report_index")
        job = job_start(
            kind="annual_report",
            title=f"Rapport annuel {year} – {programme.name}",
            user=request.user,
            task=build_annual_report,
            parameters={"year": year},
        )
        return redirect(job)
