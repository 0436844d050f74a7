"""The partners' portal "Mes engagements" and the funding lines export."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, Sum
from django.db.models.functions import Length
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from actions.models import Action
from actions.plan_forms import ValidationForm
from acv.access import editable_object, visible_object_or_404
from acv.pagination import IdFirstPaginator
from acv.workbooks import XLSX_CONTENT_TYPE
from conventions import roles
from conventions.mixins import ProgrammeMemberMixin
from conventions.models import axis_short_label
from financing.caps import EnvelopeAlerts, alerts_for, envelope_consumption
from financing.exports import export_filename, funding_lines_xlsx, selected_funding_lines
from financing.forms import FundingLineDecisionForm, FundingLineYearFormSet, PaymentForm
from financing.history import funding_changes_since
from financing.managers import BASIS_ORDER, STATUSES, own_funding_summary
from financing.models import (
    Envelope,
    FundingEvent,
    FundingLine,
    FundingLineYear,
    FundingStatus,
    FundingSummary,
    Payment,
)
from financing.services import FundingLineConflict, funding_line_update, payment_cancel, payment_record
from financing.tasks import build_funding_lines_export
from jobs.services import job_start

PORTAL_PAGE_SIZE = 50
# Labels read from a dict built once, not looked up row by row.
STATUS_LABELS = dict(FundingStatus.choices)


def _with_axis_labels(rows, programme):
    """The roll-up per axe with each row's short name in the programme's words (« Axe 3 », « Pilier 2 »)."""
    rows = list(rows)
    for row in rows:
        number = row["action__axes__number"]
        row["short"] = axis_short_label(row["action__axes__label"], number, programme) if number else ""
    return rows


class PartnerPortalView(ProgrammeMemberMixin, TemplateView):
    """What a partner committed to: by state, year, commune and axe; its lines; what changed since its last visit."""

    template_name = "financing/portal.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.is_partner(request.user):
            raise PermissionDenied("Cette page est réservée aux partenaires financeurs.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = roles.profile_of(self.request.user)
        own = FundingLine.objects.visible_to(self.request.user).filter(funder_id=profile.organisation_id)
        # The roll-ups from the funding summary (its own rows: every state of its own lines), per convention over
        # the programme; by axe per fiche (a fiche may have two axes).
        own_summary = own_funding_summary(self.request.user, None, whole_programme=True)
        own_per_fiche = FundingSummary.objects.visible_to(self.request.user).filter(funder_id=profile.organisation_id)
        labels = STATUS_LABELS
        bases = own_summary.by_basis()
        # Numbers of lines, not amounts: they add up across HT and TTC (the amounts stay per basis).
        totals = {key: sum(row[key] for row in bases) for key in ("lines", "unknown_lines")}
        # Bounded pages: a national funder has thousands of lines and fiches; 50 of each a page.
        paginator = IdFirstPaginator(own.for_portal().with_paid(), PORTAL_PAGE_SIZE)
        paginator.count = totals["lines"]  # its own lines, every state: already counted by the summary
        lines = paginator.get_page(self.request.GET.get("page"))
        validations = _validation_rows(self.request.user, profile.organisation_id, self.request.GET.get("avis"))
        context.update(
            organisation=profile.organisation,
            totals=totals,
            # One column per HT / TTC basis: amounts of different bases are never added into one figure.
            bases=bases,
            states=[(labels[status], [row[status] for row in bases]) for status in STATUSES],
            by_year=FundingLineYear.objects.filter(funding_line__in=own.values("pk")).by_year(),
            by_territory=_territory_rows(own_summary.by_territory()),
            by_axis=_with_axis_labels(own_per_fiche.by_axis(), profile.programme),
            lines=lines,
            status_labels=STATUS_LABELS,
            lines_pages=lines.paginator.get_elided_page_range(lines.number, on_each_side=2, on_ends=1),
            last_visit=profile.last_portal_visit,
            changes=funding_changes_since(
                FundingLine.objects.visible_to(self.request.user), profile.last_portal_visit, self.request.user
            ),
            # The partner's own envelopes only: visible_to shows a partner no other funder's.
            envelope_alerts=EnvelopeAlerts(alerts_for(self.request.user)),
            validations=validations,
            validations_pages=validations.paginator.get_elided_page_range(
                validations.number, on_each_side=2, on_ends=1
            ),
            validation_form=ValidationForm(),
        )
        # Seen now: the next visit shows what changed after this one.
        profile.last_portal_visit = timezone.now()
        profile.save(update_fields=["last_portal_visit"])
        return context


# How many territory × basis rows the portal's « Par territoire » table lists: the largest. A city's partner has a
# handful; a national funder, hundreds (national set, Banque des Territoires: 753 rows, 68 KiB of the page).
TERRITORY_ROWS_SHOWN = 15


def _territory_rows(rows):
    """by_territory()'s rows, by name; beyond TERRITORY_ROWS_SHOWN of them, the largest totals only, the largest
    first, and for the others their sum per HT / TTC basis (amounts of different bases are never added) with how
    many territories they cover: {"shown": [...], "others": [{"basis_of_line", "total", "territories"}]}."""
    if len(rows) <= TERRITORY_ROWS_SHOWN:
        return {"shown": rows, "others": []}
    # A stable sort: by name among equal totals.
    ranked = sorted(rows, key=lambda row: -row["total"])
    shown, rest = ranked[:TERRITORY_ROWS_SHOWN], ranked[TERRITORY_ROWS_SHOWN:]
    others = {}
    for row in rest:
        other = others.setdefault(
            row["basis_of_line"], {"basis_of_line": row["basis_of_line"], "total": 0, "ids": set()}
        )
        other["total"] += row["total"]
        other["ids"].add(row["action__territory_id"])
    return {
        "shown": shown,
        "others": [
            {"basis_of_line": basis, "total": other["total"], "territories": len(other["ids"])}
            for basis, other in sorted(others.items(), key=lambda item: BASIS_ORDER.index(item[0]))
        ],
    }


def _validation_rows(user, organisation_id, number=None):
    """A page of the fiches the partner pilots, funds or co-funds (avenant n°2, Article 4) with its word on each:
    those without a word or to renew first, then by code. Sorted in SQL and read a page at a time (two queries
    whatever their number), each row {"action", "validation"}."""
    from actions.documents import fiches_validated_by
    from actions.models import ActionValidation

    settled = ActionValidation.objects.filter(action=OuterRef("pk"), organisation_id=organisation_id, to_renew=False)
    fiches = (
        fiches_validated_by(organisation_id, Action.objects.visible_to(user))
        .select_related("territory")
        .annotate(word_given=Exists(settled))
        .order_by("word_given", Length("code"), "code", "pk")
    )
    page = IdFirstPaginator(fiches, PORTAL_PAGE_SIZE).get_page(number)
    page.object_list = list(page.object_list)
    given = {
        validation.action_id: validation
        for validation in ActionValidation.objects.visible_to(user).filter(
            action__in=[fiche.pk for fiche in page.object_list]
        )
    }
    page.object_list = [{"action": fiche, "validation": given.get(fiche.pk)} for fiche in page.object_list]
    return page


class EnvelopeListView(ProgrammeMemberMixin, TemplateView):
    """Every envelope the user may see (a partner: its own) with its ceiling, what is granted or paid against it,
    what is still foreseen or asked for, what is left, its state, and how many fiches are behind it."""

    template_name = "financing/envelope_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        envelopes = Envelope.objects.visible_to(user).order_by(
            "funder__name", F("territory__name").asc(nulls_first=True), "period_start", "key"
        )
        # The number of fiches behind each envelope, linked to the fiche list filtered on it: a national funder's
        # envelope has thousands, which the page does not list (it listed 17 000 codes, 1.8 MB, on the national set).
        context["rows"] = envelope_consumption(envelopes, fiches=Action.objects.visible_to(user))
        return context


class FundingLineExportView(ProgrammeMemberMixin, View):
    """XLSX of exactly the funding lines the user may see (a partner: its own and others' settled lines).

    Linked from the fiche list with the list's filters: it then holds the lines of the fiches the list selects,
    through the same FilterSet, started from the fiches the user may see.
    """

    def get(self, request):
        if not roles.can_export_funding_lines(request.user):
            raise PermissionDenied("L'export des lignes de financement est réservé aux membres du programme.")
        query = request.GET.urlencode()
        lines = selected_funding_lines(request.user, query)
        # Past ACV_EXPORT_MAX_SYNC_ROWS lines (a national funder has 12 000, a national programme 100 000: 20 s),
        # the workbook is written in the background and the person follows its job, as for the fiche list.
        if lines.count() > settings.ACV_EXPORT_MAX_SYNC_ROWS:
            job = job_start(
                kind="export",
                title="Export des lignes de financement",
                user=request.user,
                task=build_funding_lines_export,
                parameters={"query": query},
            )
            return redirect(job)
        response = HttpResponse(funding_lines_xlsx(lines, viewer=request.user), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
        return response


class FundingLineDecisionView(ProgrammeMemberMixin, View):
    """A funder confirms or updates its own line: state, decision reference and date, yearly split.

    The line must be visible (else 404) and editable by the user (else 403); the write goes through
    financing.services.funding_line_update, which refuses a stale version.
    """

    template_name = "financing/funding_line_decision.html"

    def dispatch(self, request, pk):
        if request.user.is_authenticated and roles.has_programme_role(request.user):
            self.line = editable_object(
                FundingLine,
                request.user,
                "Seul le financeur de cette ligne ou la coordination peut la mettre à jour.",
                pk=pk,
            )
        # Anonymous visitors and accounts without a role are answered by ProgrammeMemberMixin.
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return self.render(FundingLineDecisionForm(instance=self.line), FundingLineYearFormSet(instance=self.line))

    def post(self, request, pk):
        form = FundingLineDecisionForm(request.POST, instance=self.line)
        years = FundingLineYearFormSet(request.POST, instance=self.line)
        if form.is_valid() and years.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
            split = [
                {"year": row["year"], "amount": row["amount"]}
                for row in years.cleaned_data
                if row and not row.get("DELETE") and row.get("year") is not None
            ]
            try:
                updated = funding_line_update(
                    line=self.line,
                    changes=changes,
                    years=split,
                    user=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except PermissionDenied:
                raise
            except FundingLineConflict:
                current = FundingLine.objects.get(pk=pk)
                messages.error(
                    request,
                    "Quelqu'un a modifié cette ligne depuis que vous l'avez ouverte (état actuel : "
                    f"{current.get_status_display()}, décision : {current.decision_reference or '—'}). "
                    "Vos valeurs sont conservées ci-dessous : vérifiez-les puis enregistrez à nouveau.",
                )
                form.data = form.data.copy()
                form.data["version"] = current.version
                return self.render(form, years, status=409)
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    target = field if field in form.fields else None
                    for message in field_errors:
                        form.add_error(target, message)
                return self.render(form, years, status=400)
            messages.success(request, f"Ligne {self.line.funder} de la fiche {self.line.action.code} mise à jour.")
            for warning in getattr(updated, "warnings", []):
                messages.warning(request, warning)
            return redirect("financing:partner_portal" if roles.is_partner(request.user) else self.line.action)
        return self.render(form, years, status=400)

    def render(self, form, years, status=200, payment_form=None):
        user = self.request.user
        payments = (
            Payment.objects.visible_to(user)
            .filter(funding_line=self.line)
            .select_related("recorded_by", "cancelled_by")
        )
        paid = payments.standing().aggregate(total=Sum("amount"))["total"] or Decimal("0")
        context = {
            "line": self.line,
            "form": form,
            "years": years,
            "payments": payments,
            "paid": paid,
            "left_to_pay": self.line.amount - paid if self.line.amount is not None else None,
            "payment_form": payment_form or PaymentForm(),
            "can_pay": self.line.status in (FundingStatus.GRANTED, FundingStatus.PAID),
            "events": FundingEvent.objects.visible_to(user).filter(funding_line=self.line).select_related("user"),
        }
        return render(self.request, self.template_name, context, status=status)


class PaymentCreateView(FundingLineDecisionView):
    """« Enregistrer un versement » on the line's page: financing.services.payment_record decides."""

    def get(self, request, pk):
        return redirect("financing:funding_line_decision", pk=pk)

    def post(self, request, pk):
        payment_form = PaymentForm(request.POST, request.FILES)
        decision = FundingLineDecisionForm(instance=self.line)
        years = FundingLineYearFormSet(instance=self.line)
        if payment_form.is_valid():
            try:
                payment_record(line=self.line, data=payment_form.cleaned_data, user=request.user)
            except ValidationError as error:
                for field, field_errors in error.message_dict.items():
                    for message in field_errors:
                        payment_form.add_error(field if field in payment_form.fields else None, message)
            else:
                messages.success(
                    request, f"Versement enregistré sur la ligne {self.line.funder} de {self.line.action.code}."
                )
                return redirect("financing:funding_line_decision", pk=pk)
        return self.render(decision, years, status=400, payment_form=payment_form)


class PaymentCancelView(ProgrammeMemberMixin, View):
    """« Annuler ce versement » on the line's page: financing.services.payment_cancel decides (who may, the
    reason, the line back to accordé when it no longer adds up)."""

    def post(self, request, pk):
        payment = visible_object_or_404(Payment.objects.visible_to(request.user).standing(), pk=pk)
        try:
            payment_cancel(payment=payment, reason=request.POST.get("reason", ""), user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, f"Versement non annulé : {message}")
        else:
            messages.success(
                request,
                f"Versement du {payment.paid_on:%d/%m/%Y} annulé ; il reste dans l'historique de la ligne.",
            )
        return redirect("financing:funding_line_decision", pk=payment.funding_line_id)


class PaymentDocumentView(ProgrammeMemberMixin, View):
    """The document of a versement, to those who may read the payment (its funder and the coordination): never
    a public media URL."""

    def get(self, request, pk):
        payment = visible_object_or_404(Payment.objects.visible_to(request.user).exclude(document=""), pk=pk)
        try:
            handle = payment.document.open("rb")
        except FileNotFoundError as error:
            raise Http404("Le fichier de ce versement est introuvable.") from error
        return FileResponse(handle, as_attachment=True, filename=payment.document.name.rsplit("/", 1)[-1])
