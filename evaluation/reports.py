"""The PDFs the programme hands out: the semester report, a fiche in the layout of Annexe 6, the end-of-action
report. Pure functions (querysets and parameters in, bytes out); views and services only wrap them.

Every figure comes from the roll-ups the dashboard uses (`by_status`, `cost_totals`, `comparable_funding`,
`FundingLine.objects.by_status()` / `by_funder()`), so the report and the pages cannot disagree. The number
of SQL queries is fixed: it does not grow with the number of fiches, lines or history rows.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.staticfiles import finders
from django.db.models import Max, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone

# Imported with the URLconf rather than on the first download: WeasyPrint takes ~0.5 s to load, which the
# first comité member asking for the report would otherwise wait on top of the ~2 s of layout.
from weasyprint import CSS, HTML

from actions.charts import horizontal_bars
from actions.models import Action, ActionStatus, Milestone, ProgressUpdate, QualityNote
from acv.values import format_cost, format_euros
from conventions.models import Axis, Organisation, Signatory, axis_short_label
from evaluation.charts import indicator_chart
from evaluation.grid import MISSING, Trend, build_grid, default_programme
from evaluation.models import Series, format_number, with_grid_indicators
from financing.managers import BASIS_ORDER
from financing.models import COUNTED_STATUSES, FundingLine, FundingLineYear, FundingStatus

PDF_STYLESHEET = "evaluation/pdf.css"
PDF_VARIANT = "pdf/ua-1"
# The printed charts keep a column on each side of the bars, labels left and values right, so no text touches a bar
# (evaluation/pdf/_bar_chart.html).
PDF_BAR_WIDTH = 520
STATUS_LABELS = dict(ActionStatus.choices)
FUNDING_LABELS = dict(FundingStatus.choices)
COST_FIELDS = ("cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis")
NO_AXIS = "sans-axe"


def semester_bounds(year, semester):
    """First and last day of a semester: S1 is January–June, S2 July–December."""
    if semester == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


def render_pdf(template_name, context):
    """HTML template → A4 PDF bytes, with the print stylesheet shared by every report.

    Tagged PDF/UA-1 (RGAA 13.3): the structure of the HTML (headings, lists, tables and their headers) becomes
    the PDF's tags and reading order, with the document's title (<title>) and language (<html lang="fr">), so
    that a screen reader reads the report as it reads the page.
    """
    html = render_to_string(template_name, context)
    stylesheet = CSS(filename=finders.find(PDF_STYLESHEET))
    return HTML(string=html, base_url=str(finders.find(PDF_STYLESHEET))).write_pdf(
        stylesheets=[stylesheet], pdf_variant=PDF_VARIANT
    )


# --- What changed during the semester, from django-simple-history ------------------------------------------


@dataclass
class CostMove:
    action: object
    before: str
    after: str


@dataclass
class FundingMove:
    action: object
    funder: str
    before: str
    after: str


@dataclass
class Changes:
    new: list = field(default_factory=list)
    started: list = field(default_factory=list)
    delivered: list = field(default_factory=list)
    status_moves: list = field(default_factory=list)
    became_late: list = field(default_factory=list)
    cost_moves: list = field(default_factory=list)
    funding_moves: list = field(default_factory=list)
    funding_before: Decimal = Decimal("0")
    funding_after: Decimal = Decimal("0")

    @property
    def funding_delta(self):
        return self.funding_after - self.funding_before

    @property
    def is_empty(self):
        return not (self.new or self.status_moves or self.became_late or self.cost_moves or self.funding_moves)


def _snapshot(history_model, scope, before, columns):
    """{object id: its last recorded state strictly before `before`} — two queries whatever the history length.

    The latest row per object is the one with the highest history_id (ids grow with time); objects whose
    latest row is a deletion are left out.
    """
    latest = (
        history_model.objects.filter(scope, history_date__lt=before)
        .order_by()
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    rows = history_model.objects.filter(history_id__in=latest).exclude(history_type="-").values("id", *columns)
    return {row["id"]: row for row in rows}


def _cost_label(row):
    return format_cost(
        row["cost_kind"], row["cost_amount"], row["cost_min"], row["cost_max"], row["cost_per_year"], row["cost_basis"]
    )


def _line_label(row):
    amount = format_euros(row["amount"]) if row["amount"] is not None else "montant à déterminer"
    return f"{amount} ({FUNDING_LABELS.get(row['status'], row['status'])})"


def semester_changes(fiches, fiches_by_pk, *, start, end, late_since):
    """What moved between the first day of the semester and `end` (exclusive): fiches added, started,
    delivered, other changes of state, fiches that fell late, costs and funding lines that changed.

    `fiches_by_pk` is the report's fiches already loaded; `late_since` the fiches late at the report date
    whose planned end fell within the semester.
    """
    # A subquery rather than a list of ids: no limit on the number of SQL parameters, whatever the programme.
    pks = fiches.order_by().values("pk")
    action_history = Action.history.model
    line_history = FundingLine.history.model
    action_columns = ("status", *COST_FIELDS)
    before = _snapshot(action_history, Q(id__in=pks), _aware(start), action_columns)
    after = _snapshot(action_history, Q(id__in=pks), end, action_columns)
    line_scope = Q(action_id__in=pks)
    line_columns = ("action_id", "funder_id", "amount", "status")
    lines_before = _snapshot(line_history, line_scope, _aware(start), line_columns)
    lines_after = _snapshot(line_history, line_scope, end, line_columns)

    changes = Changes(became_late=late_since)
    for pk, now in after.items():
        action = fiches_by_pk[pk]
        then = before.get(pk)
        if then is None:
            changes.new.append(action)
            continue
        if then["status"] != now["status"]:
            changes.status_moves.append(
                (action, STATUS_LABELS.get(then["status"], then["status"]), STATUS_LABELS.get(now["status"]))
            )
            if now["status"] == ActionStatus.IN_PROGRESS and then["status"] in (
                ActionStatus.PLANNED,
                ActionStatus.UNKNOWN,
            ):
                changes.started.append(action)
            if now["status"] == ActionStatus.DELIVERED:
                changes.delivered.append(action)
        if any(then[name] != now[name] for name in COST_FIELDS):
            changes.cost_moves.append(CostMove(action, _cost_label(then), _cost_label(now)))

    new_pks = {action.pk for action in changes.new}
    funder_ids = {row["funder_id"] for row in (*lines_before.values(), *lines_after.values())}
    names = {org.pk: str(org) for org in Organisation.objects.filter(pk__in=funder_ids)}
    for line_id in sorted(set(lines_before) | set(lines_after)):
        then, now = lines_before.get(line_id), lines_after.get(line_id)
        row = now or then
        # A fiche added this semester is listed once as new; its lines are not news of their own.
        if row["action_id"] in new_pks or row["action_id"] not in fiches_by_pk:
            continue
        if then and now and (then["amount"], then["status"]) == (now["amount"], now["status"]):
            continue
        changes.funding_moves.append(
            FundingMove(
                fiches_by_pk[row["action_id"]],
                names.get(row["funder_id"], "?"),
                _line_label(then) if then else "—",
                _line_label(now) if now else "supprimée",
            )
        )
    changes.funding_before = _counted_total(lines_before.values())
    changes.funding_after = _counted_total(lines_after.values())
    changes.funding_moves.sort(key=lambda move: (move.action.code, move.funder))
    return changes


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _counted_total(rows):
    return sum((row["amount"] or Decimal("0") for row in rows if row["status"] in COUNTED_STATUSES), Decimal("0"))


# --- Semester report ---------------------------------------------------------------------------------------


@dataclass
class AxisSection:
    anchor: str
    title: str
    fiches: list
    also: list


def _axis_chart(fiches, programme):
    rows = [row for row in fiches.by_axis() if row["axes__id"] is not None]
    for row in rows:
        short = axis_short_label(row["axes__label"], row["axes__number"], programme)
        title = row["axes__title"] or ""
        basis = row["cost_basis"] or "base ?"
        row["short"] = f"{short} ({basis}) – {title[:28]}…" if len(title) > 28 else f"{short} ({basis}) – {title}"
    bars, height = horizontal_bars(
        rows,
        value_key="cost_high",
        label_key="short",
        title_key="axes__title",
        count_key="count",
        url_for=_no_url,
        width=PDF_BAR_WIDTH,
    )
    return {"bars": bars, "height": height}


def _basis_rows(funding_bases, comparable):
    """One row per HT / TTC basis: the funding expected in it, and the shares of the one-off costs of that basis."""
    shares = {row["basis"]: row for row in comparable["by_basis"]}
    expected = {row["basis"]: row["total"] for row in funding_bases}
    return [
        {"basis": basis, "expected": expected.get(basis), **shares.get(basis, {})}
        for basis in BASIS_ORDER
        if basis in shares or basis in expected
    ]


def _funder_chart(by_funder, limit=10):
    rows = [
        {
            "label": f"{row['funder__short_name'] or row['funder__name']} ({row['basis_of_line'] or 'base ?'})",
            "title": row["funder__name"],
            **row,
        }
        for row in by_funder[:limit]
        if row["total"]
    ]
    for row in rows:
        row["count"] = row["lines"]
    bars, height = horizontal_bars(
        rows,
        value_key="total",
        label_key="label",
        title_key="title",
        count_key="count",
        url_for=_no_url,
        width=PDF_BAR_WIDTH,
    )
    return {"bars": bars, "height": height}


def _no_url(row):
    return ""


def _next_milestone(action):
    pending = [m for m in action.milestones.all() if m.achieved_on is None]
    pending.sort(key=lambda m: (m.planned_on is None, m.planned_on or datetime.date.min, m.position, m.pk))
    return pending[0] if pending else None


# --- The evaluation grid in the semester report -------------------------------------------------------------


@dataclass
class EvaluationLine:
    """One indicator at one place, as the report states it."""

    place: str
    baseline: str
    target: str
    latest: str
    latest_period: str
    previous: str
    since: str
    trend: str


@dataclass
class EvaluationIndicator:
    indicator: object
    criterion: object
    lines: list
    changed: bool
    chart: object = None


def _measured_until(values, day):
    measured = [v for v in values if v.series == Series.MEASURED and v.period.end <= day]
    return max(measured, key=lambda value: value.period.sort_key(), default=None)


def evaluation_section(programme, *, start, last_day):
    """Per axe, each indicator of the grid at each place where it has a value: its latest measured value
    (period ended by the last day of the semester), état initial, cible, trend since the état initial and since
    the previous report (the value known at the end of the previous semester); and the chart of the indicators
    that moved — a value entered or corrected during the semester, or a latest value that differs."""
    grid = build_grid(user=None, programme=programme)
    previous_end = start - datetime.timedelta(days=1)
    axes = []
    for axis_rows in grid.axes:
        indicators = []
        for group in axis_rows.criteria:
            for row in group.indicators:
                indicator, lines, changed, charted = row.indicator, [], False, []
                for place_row in row.places:
                    if not place_row.values:
                        continue
                    charted.extend(place_row.values)
                    latest = _measured_until(place_row.values, last_day)
                    previous = _measured_until(place_row.values, previous_end)
                    entered = any(start <= timezone.localdate(v.updated_at) <= last_day for v in place_row.values)
                    moved = latest is not None and (previous is None or previous.pk != latest.pk)
                    changed = changed or entered or moved
                    since = (
                        Trend.LABELS[Trend.between(indicator, previous.value, latest.value)]
                        if latest is not None and previous is not None
                        else ("nouvelle valeur" if latest is not None else "—")
                    )
                    lines.append(
                        EvaluationLine(
                            place=place_row.place.label,
                            baseline=_stated(indicator, place_row.baseline),
                            target=_stated(indicator, place_row.target),
                            latest=format_number(indicator, latest.value) if latest else MISSING,
                            latest_period=latest.period.label if latest else "",
                            previous=format_number(indicator, previous.value) if previous else "—",
                            since=since,
                            trend=Trend.LABELS[
                                Trend.between(
                                    indicator,
                                    place_row.baseline.value if place_row.baseline else None,
                                    latest.value if latest else None,
                                )
                            ],
                        )
                    )
                item = EvaluationIndicator(indicator, group.criterion, lines, changed)
                if changed:
                    item.chart = indicator_chart(indicator, charted, width=720, height=260)
                indicators.append(item)
        axis = axis_rows.axis
        # « Axe 4 : … » rather than the « Axe 4 – … » of chapter 3, whose headings mark where each axe starts.
        title = f"{axis.short_label} : {axis.title}" if axis else axis_rows.title
        axes.append({"title": title, "indicators": indicators})
    return {
        "axes": axes,
        "previous_end": previous_end,
        "filled": sum(1 for axis in axes for item in axis["indicators"] if item.lines),
        "count": sum(len(axis["indicators"]) for axis in axes),
    }


def _stated(indicator, value):
    return f"{format_number(indicator, value.value)} ({value.period.label})" if value else MISSING


def semester_report_context(fiches, *, year, semester, today=None, meeting=None, now=None):
    """Everything the semester report shows, from a queryset of fiches (already restricted to the reader)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    start, last_day = semester_bounds(year, semester)
    as_of = min(today, last_day)
    end = min(now, _aware(last_day + datetime.timedelta(days=1)))

    loaded = list(
        fiches.for_list()
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk")),
            Prefetch(
                "funding_lines",
                queryset=FundingLine.objects.select_related("funder", "scheme").order_by("position", "pk"),
            ),
            Prefetch(
                "progress_updates",
                queryset=ProgressUpdate.objects.filter(year=year, semester=semester).select_related("author"),
                to_attr="semester_updates",
            ),
        )
        .order_by("code")
    )
    by_pk = {action.pk: action for action in loaded}
    for action in loaded:
        action.update = action.semester_updates[0] if action.semester_updates else None
        action.next_milestone = _next_milestone(action)
        action.axis_list = list(action.axes.all())

    programme_axes = list(
        Axis.objects.filter(actions__in=fiches.values("pk")).distinct().order_by("position", "number")
    )
    sections = {axis.pk: AxisSection(f"axe-{axis.pk}", str(axis), [], []) for axis in programme_axes}
    no_axis = AxisSection(NO_AXIS, "Fiches sans axe", [], [])
    for action in loaded:
        axes = sorted(action.axis_list, key=lambda axis: (axis.position, axis.number))
        if not axes:
            no_axis.fiches.append(action)
            continue
        # Described once under its first axe, listed by reference under the others: no page printed twice.
        action.primary_axis = axes[0]
        sections[axes[0].pk].fiches.append(action)
        for axis in axes[1:]:
            sections[axis.pk].also.append(action)
    axis_sections = [section for section in sections.values() if section.fiches or section.also]
    if no_axis.fiches:
        axis_sections.append(no_axis)

    late = fiches.late(as_of).select_related("territory").order_by("end_until", "code")
    late_list = list(late)
    late_since = [action for action in late_list if action.end_until and action.end_until >= start]
    lines = FundingLine.objects.for_actions(fiches)
    funding = lines.by_status()
    funding_bases = lines.by_basis()
    cost = fiches.cost_totals()
    comparable = fiches.comparable_funding(None, costs=cost["comparable"])
    by_funder = list(lines.by_funder())
    statuses = [
        {"label": STATUS_LABELS.get(row["status"], row["status"]), "count": row["count"]} for row in fiches.by_status()
    ]
    territories = list(fiches.by_territory())
    convention = meeting.convention if meeting else (loaded[0].convention if loaded else None)
    programme = convention.programme if convention else None
    # A report of no fiche shows the grid of the first programme that has one.
    grid_programme = programme or default_programme()
    return {
        "year": year,
        "semester": semester,
        "semester_label": f"S{semester} {year}",
        "start": start,
        "last_day": last_day,
        "as_of": as_of,
        "generated_at": now,
        "meeting": meeting,
        "convention": convention,
        "programme": programme,
        "territories": [row["territory__name"] for row in territories],
        "total": len(loaded),
        "statuses": statuses,
        "cost": cost,
        "funding": funding,
        # One column per HT / TTC basis: amounts of different bases are never added into one figure.
        "funding_bases": funding_bases,
        "funding_rows": [
            {"label": FUNDING_LABELS[status], "amounts": [row[status] for row in funding_bases]}
            for status in ("planned", "requested", "granted", "paid", "refused")
        ],
        "by_funder": by_funder,
        "by_year": list(FundingLineYear.objects.for_lines(lines).by_year()),
        "by_territory_year": list(FundingLineYear.objects.for_lines(lines).by_year(per_territory=True)),
        "comparable": comparable,
        "basis_rows": _basis_rows(funding_bases, comparable),
        "axis_chart": _axis_chart(fiches, programme),
        "funder_chart": _funder_chart(by_funder),
        "changes": semester_changes(fiches, by_pk, start=start, end=end, late_since=late_since),
        "sections": axis_sections,
        "late": late_list,
        "without_update": [
            by_pk[pk] for pk in fiches.without_progress_update(year, semester).values_list("pk", flat=True)
        ],
        # Section 7 only for a programme that has an evaluation grid (programme configuration), citing the text
        # the grid comes from.
        "evaluation": evaluation_section(grid_programme, start=start, last_day=last_day)
        if grid_programme is None or grid_programme.has_evaluation_grid
        else None,
        "evaluation_source": grid_programme.evaluation_grid_source if grid_programme else "",
        "notes": list(
            QualityNote.objects.filter(is_open=True, action__in=fiches.values("pk"))
            .select_related("action")
            .order_by("action__code", "pk")
        ),
    }


def semester_report_pdf(fiches, *, year, semester, today=None, meeting=None, now=None):
    """The semester report of these fiches as PDF bytes."""
    context = semester_report_context(fiches, year=year, semester=semester, today=today, meeting=meeting, now=now)
    return render_pdf("evaluation/pdf/semester_report.html", context)


# --- One fiche (Annexe 6) and its end-of-action report -----------------------------------------------------


def _signatories(action, lines):
    """Who signs the fiche: the commune, the maître d'ouvrage, then each co-funder, each with its representative
    as the convention names it (one query)."""
    parties = [("Commune", action.territory)]
    if action.project_owner and action.project_owner != action.territory:
        parties.append(("Maître d'ouvrage", action.project_owner))
    elif action.project_owner:
        parties[0] = ("Commune, maître d'ouvrage", action.territory)
    seen = {org.pk for _role, org in parties}
    for line in lines:
        if line.status in COUNTED_STATUSES and line.funder_id not in seen:
            seen.add(line.funder_id)
            parties.append(("Cofinanceur", line.funder))
    representatives = {
        row["organisation_id"]: row
        for row in Signatory.objects.filter(convention=action.convention_id, organisation_id__in=seen)
        .order_by("amendment_id")
        .values("organisation_id", "representative", "representative_title")
    }
    return [
        {"role": role, "organisation": org, "representative": representatives.get(org.pk, {})} for role, org in parties
    ]


def _chunks(items, size):
    return [items[index : index + size] for index in range(0, len(items), size)]


def action_context(action, lines, viewer=None):
    """The fiche and the funding lines the reader may see (a partner does not see others' negotiations).

    Totals are the fiche's roll-ups (with_totals), not sums of the lines shown: the part acquise for every
    reader, the part prévue only for those who read every line (viewer None: the programme itself); a
    partner gets its own lines' total apart.
    """
    from actions.documents import fiche_links
    from conventions import roles

    lines = list(lines)
    counted = [line for line in lines if line.status in COUNTED_STATUSES]
    sees_all = viewer is None or roles.sees_every_funding_line(viewer)
    origins, continuations = fiche_links(action, viewer)
    return {
        # The fiches of another period this one follows or is followed by (ActionLink), as the reader may see them.
        "origins": origins,
        "continuations": continuations,
        "action": action,
        # PDFs are rendered outside a request: the fiche's own programme gives its words.
        "programme": action.convention.programme,
        "axes": list(action.axes.all()),
        "result_indicators": with_grid_indicators(action.result_indicators.all(), viewer),
        "lines": lines,
        "sees_all_funding": sees_all,
        "shows_funding_text": viewer is None or roles.sees_signed_funding_text(viewer, action),
        "unknown_lines": [line for line in counted if line.amount is None],
        "funding_by_basis": FundingLine.objects.filter(action=action).fiche_totals_by_basis(action, viewer, lines),
        # The document that brought the fiche: its avenant when there is one (a date nobody wrote stays
        # unknown rather than borrowing the convention's).
        "signed_on": action.amendment.signed_on if action.amendment_id else action.convention.signed_on,
        # Four signature boxes a row, as wide as the Annexe 6 ones, however many co-funders sign.
        "signatory_rows": _chunks(_signatories(action, lines), 4),
        "generated_at": timezone.now(),
    }


def action_pdf(action, lines, viewer=None):
    """One fiche in the layout of the convention's Annexe 6. `action` comes from `for_detail(viewer)`."""
    return render_pdf("evaluation/pdf/action.html", action_context(action, lines, viewer))


def end_of_action_pdf(report, lines, viewer=None):
    """The end-of-action report (Article 8) of a delivered fiche, with its figures."""
    context = action_context(report.action, lines, viewer)
    context["report"] = report
    return render_pdf("evaluation/pdf/end_of_action.html", context)
