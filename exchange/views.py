"""Workbooks in and out (« Classeurs ») and the fiche list export."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from acv.access import visible_object_or_404
from acv.imports import TOO_BIG, WorkbookRefused, megabytes
from acv.workbooks import XLSX_CONTENT_TYPE
from conventions import roles
from conventions.mixins import ProgrammeMemberMixin
from exchange import exports
from exchange.analysis import may_import
from exchange.forms import ImportForm
from exchange.models import ImportKind, WorkbookImport
from exchange.services import workbook_import_confirm, workbook_import_start
from exchange.tasks import build_export
from jobs.services import job_start

PREVIEW_PAGE = 200


def _kinds_importable(user):
    return [kind for kind in ImportKind.values if may_import(kind, user)]


def _xlsx(content, name):
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response


def export_job(user, kind, query=""):
    titles = {
        "programme": "Export du programme complet",
        "fiches": "Export de la liste des fiches",
        "financements": "Export des lignes de financement",
        "grille": "Export des valeurs de la grille",
    }
    return job_start(
        kind="export", title=titles[kind], user=user, task=build_export, parameters={"kind": kind, "query": query}
    )


class ExchangeView(ProgrammeMemberMixin, View):
    """« Classeurs »: each kind's workbook to take out, the whole programme, and the import of a workbook."""

    template_name = "exchange/exchange.html"

    def get(self, request, form=None, status=200):
        kinds = _kinds_importable(request.user)
        context = {
            "form": form or (ImportForm(kinds=kinds) if kinds else None),
            "imports": WorkbookImport.objects.visible_to(request.user)[:20],
            "limits": {
                "size": megabytes(settings.ACV_IMPORT_MAX_BYTES),
                "rows": f"{settings.ACV_IMPORT_MAX_ROWS:,}".replace(",", "\u202f"),
            },
            "exports": [
                (kind, label)
                for kind, label in ImportKind.choices
                if kind != "grille" or roles.reads_evaluation_grid(request.user)
            ],
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request):
        kinds = _kinds_importable(request.user)
        if not kinds:
            raise PermissionDenied("Votre rôle ne permet pas d'importer de classeur.")
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.ACV_IMPORT_MAX_BYTES:
                # Said before reading it: a huge upload is never read into memory.
                raise WorkbookRefused(
                    TOO_BIG.format(size=megabytes(upload.size), limit=megabytes(settings.ACV_IMPORT_MAX_BYTES))
                )
            record = workbook_import_start(
                kind=form.cleaned_data["kind"], content=upload.read(), filename=upload.name, user=request.user
            )
        except WorkbookRefused as refusal:
            form.add_error("file", str(refusal))
            return self.get(request, form=form, status=400)
        return redirect(record)


class ImportDetailView(ProgrammeMemberMixin, View):
    """An import: where its analysis stands, then what it would change (paginated) and its errors, and
    « Confirmer l'import »."""

    def get(self, request, pk):
        record = visible_object_or_404(WorkbookImport.objects.visible_to(request.user), pk=pk)
        rows = record.preview.get("rows", [])
        page = Paginator(rows, PREVIEW_PAGE).get_page(request.GET.get("page"))
        return render(request, "exchange/import_detail.html", {"record": record, "page_obj": page})


class ImportConfirmView(ProgrammeMemberMixin, View):
    def post(self, request, pk):
        record = visible_object_or_404(WorkbookImport.objects.visible_to(request.user), pk=pk)
        if not record.can_confirm:
            raise PermissionDenied("Cet import ne peut pas être confirmé : voyez ses erreurs.")
        record = workbook_import_confirm(record=record, user=request.user)
        return redirect(record)


class KindExportView(ProgrammeMemberMixin, View):
    """A kind's workbook filled with what the user may read; a valid import of that kind."""

    def get(self, request, kind):
        if kind == "fiches":
            return FicheListExportView().get(request)
        if kind == "financements":
            if not roles.can_export_funding_lines(request.user):
                raise PermissionDenied("L'export des lignes de financement est réservé aux membres du programme.")
            return _xlsx(exports.funding_workbook_xlsx(request.user), "financements")
        if kind == "grille":
            # As the grid's pages: no such workbook in a programme without an evaluation grid.
            if not roles.programme_has_evaluation_grid(request.user):
                raise Http404("Ce programme n'a pas de grille d'évaluation.")
            return _xlsx(exports.grid_values_xlsx(request.user), "grille-valeurs")
        raise PermissionDenied("Nature de classeur inconnue.")


class FicheListExportView(ProgrammeMemberMixin, View):
    """/fiches/ as a workbook, exactly as filtered and sorted; past ACV_EXPORT_MAX_SYNC_ROWS fiches it is written
    in the background and the person follows its job."""

    def get(self, request):
        query = request.GET.urlencode()
        _filterset, fiches = exports.filtered_fiches(request.user, query)
        if fiches.count() > settings.ACV_EXPORT_MAX_SYNC_ROWS:
            return redirect(export_job(request.user, "fiches", query))
        return _xlsx(exports.fiche_list_xlsx(request.user, query), "fiches")


class ProgrammeExportView(ProgrammeMemberMixin, View):
    """The whole programme as a workbook: always a job."""

    def post(self, request):
        if not exports.may_export_programme(request.user):
            raise PermissionDenied("L'export du programme est réservé aux membres du programme.")
        return redirect(export_job(request.user, "programme"))


class NationalTableMixin(ProgrammeMemberMixin):
    """The national table holds every fiche: the coordination and the comité read it, not partners nor référents."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        # A programme that files no national table has no such pages (programme configuration).
        if user.is_authenticated and not roles.programme_files_national_table(user):
            raise Http404("Ce programme ne dépose pas de tableau national.")
        if user.is_authenticated and roles.has_programme_role(user) and not roles.can_export_programme_reports(user):
            raise PermissionDenied("Le tableau national est réservé à la coordination et au comité de projet.")
        return super().dispatch(request, *args, **kwargs)


class NationalTableView(NationalTableMixin, View):
    """« Tableau national »: each semester's status (fait, à faire, en retard), the submissions with their
    difference and files, and « Préparer / Déposer » for the coordination."""

    def get(self, request):
        from exchange import national
        from exchange.models import NationalSubmission

        programme = roles.active_programme(request.user)
        submissions = list(
            NationalSubmission.objects.visible_to(request.user)
            .filter(programme=programme)
            .select_related("submitted_by")
            .order_by("-submitted_at")
        )
        today = timezone.localdate()
        year, semester = national.semester_of(today)
        context = {
            "programme": programme,
            "semesters": national.semester_statuses(programme, submissions, today) if programme else [],
            "submissions": submissions,
            "current": {"year": year, "semester": semester},
            "can_submit": roles.edits_everything(request.user),
            "count": national.national_fiches(programme).count() if programme else 0,
        }
        return render(request, "exchange/national_table.html", context)


class NationalPreviewView(NationalTableMixin, View):
    """« Préparer »: the table as it would be filed now, to read before depositing it (nothing is recorded)."""

    def get(self, request, fmt):
        from exchange import national

        rows = national.national_rows(roles.active_programme(request.user))
        stamp = timezone.localdate().strftime("%Y-%m-%d")
        if fmt == "csv":
            response = HttpResponse(national.table_csv(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="tableau-national-apercu-{stamp}.csv"'
            return response
        return _xlsx(national.table_xlsx(rows), "tableau-national-apercu")


class NationalSubmitView(NationalTableMixin, View):
    """« Déposer »: the table of the current semester is filed in the background (coordination only)."""

    def post(self, request):
        from exchange import national
        from exchange.services import NATIONAL_RIGHTS
        from exchange.tasks import submit_national_table

        if not roles.edits_everything(request.user):
            raise PermissionDenied(NATIONAL_RIGHTS)
        year, semester = national.semester_of(timezone.localdate())
        job = job_start(
            kind="national-table",
            title=f"Tableau national S{semester} {year}",
            user=request.user,
            task=submit_national_table,
            parameters={"programme": roles.active_programme(request.user).code, "year": year, "semester": semester},
        )
        return redirect(job)


class NationalFileView(NationalTableMixin, View):
    """A file as it was filed: the stored bytes, never rebuilt."""

    def get(self, request, pk, fmt):
        from django.http import FileResponse, Http404

        from exchange.models import NationalSubmission

        submission = visible_object_or_404(NationalSubmission.objects.visible_to(request.user), pk=pk)
        stored = submission.csv if fmt == "csv" else submission.xlsx
        try:
            handle = stored.open("rb")
        except FileNotFoundError as error:
            raise Http404("Ce fichier est introuvable.") from error
        name = f"tableau-national-{submission.year}-S{submission.semester}.{fmt}"
        content_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_CONTENT_TYPE
        return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
