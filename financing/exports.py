"""Funding lines as XLSX: pure functions, queryset in, bytes out; views only wrap them."""

import datetime
from itertools import groupby
from operator import itemgetter

from django.utils import timezone
from django.utils.text import capfirst
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from actions.filters import ActionFilterSet, FilterRequest
from actions.models import Action
from acv.workbooks import (
    DATE_FORMAT,
    EURO_FORMAT,
    PERCENT_FORMAT,
    keep_as_text,
    new_workbook,
    workbook_bytes,
    write_only_value,
)
from conventions.models import Axis
from financing.models import FundingLine, FundingLineYear, FundingStatus

# Rows read per query when streaming lines: memory stays flat whatever the number of lines.
CHUNK = 1000


def write_cell(sheet, row, column, value, number_format=None):
    """Write a value with its real type on a normal worksheet; text that could start a formula stays text
    (the rule is acv.workbooks.keep_as_text, shared by every export)."""
    cell = keep_as_text(sheet.cell(row=row, column=column), value)
    if number_format:
        cell.number_format = number_format
    return cell


def _cell(sheet, value, number_format=None, font=None):
    if font is None:
        return write_only_value(sheet, value, number_format)
    cell = keep_as_text(WriteOnlyCell(sheet), value)
    cell.font = font
    return cell


HEADERS = [
    ("Fiche", 10),
    ("Intitulé", 50),
    ("Commune", 22),
    ("Axe(s)", 10),
    ("Financeur", 28),
    ("Dispositif", 22),
    ("Nature", 16),
    ("Montant (€)", 16),
    ("Part (%)", 10),
    ("HT / TTC", 9),
    ("État", 12),
    ("Référence de la décision", 26),
    ("Date de la décision", 14),
    ("Remarque", 40),
]


def programme_headers(programme):
    """HEADERS in the words of the programme: « Projet », « Pilier(s) » in the Contrat de Ville."""
    if programme is None:
        return list(HEADERS)
    words = {"Fiche": programme.fiche_title, "Axe(s)": f"{programme.level1_title}(s)"}
    return [(words.get(label, label), width) for label, width in HEADERS]


def export_totals(lines, viewer):
    """The Totaux sheet's groups, as SQL roll-ups, one per HT / TTC basis (never added): every line by state for
    those who read every line; for a partner its own lines by state, and apart the other funders' settled lines
    — never one sum of both."""
    from conventions import roles

    if roles.sees_every_funding_line(viewer):
        groups = [("Toutes les lignes", lines, STATUS_ORDER)]
    else:
        organisation = roles.organisation_id_of(viewer)
        groups = [
            ("Vos lignes", lines.filter(funder_id=organisation), STATUS_ORDER),
            (
                "Autres financeurs (accordé, versé)",
                lines.exclude(funder_id=organisation).settled(),
                ("granted", "paid"),
            ),
        ]
    return [
        (f"{label} — {row['basis_of_line'] or 'base non précisée'}", row, statuses)
        for label, queryset, statuses in groups
        for row in queryset.by_status_with_unknown_per_basis()
    ]


STATUS_ORDER = ("planned", "requested", "granted", "paid", "refused")

# The export reads plain rows, not model instances: building a line, its fiche (every text of it), territory,
# funder and scheme, then prefetching axes and years for each chunk, took 30 s of the national export's 47.
# Each fiche's lines together, in the order of their fiche codes; the id settles ties (a code is unique only
# within its convention) and orders the yearly amounts' query the same way.
EXPORT_ORDER = ("action__code", "action_id", "position", "pk")
LINE_COLUMNS = (
    "pk",
    "action_id",
    "action__code",
    "action__title",
    "action__territory__name",
    "funder_id",
    "funder__name",
    "scheme__name",
    "nature",
    "amount",
    "share",
    "basis",
    "status",
    "decision_reference",
    "decision_date",
    "note",
)


def _axes_of_fiches(lines):
    """{fiche id: "1, 3"}: the axes' numbers of the fiches of `lines`, in one query (a few bytes per fiche)."""
    rows = (
        Action.axes.through.objects.filter(action_id__in=lines.values("action_id"))
        .order_by("action_id", *(f"axis__{field}" for field in Axis._meta.ordering))
        .values_list("action_id", "axis__number")
    )
    return {action_id: ", ".join(number for _, number in group) for action_id, group in groupby(rows, itemgetter(0))}


def _years_by_line(lines):
    """(line id, {year: amount}) for each line of `lines` with a yearly split, streamed in EXPORT_ORDER: the export
    takes them in step with its lines, so memory does not grow with the number of lines."""
    rows = (
        FundingLineYear.objects.filter(funding_line__in=lines.values("pk"))
        .order_by(*(f"funding_line__{field}" for field in EXPORT_ORDER), "year")
        .values_list("funding_line_id", "year", "amount")
        .iterator(chunk_size=CHUNK)
    )
    for line_id, group in groupby(rows, itemgetter(0)):
        yield line_id, {year: amount for _, year, amount in group}


def selected_funding_lines(user, query):
    """The lines of the funding export: those `user` may see, of the fiches /fiches/ selects with this query
    string (every fiche without one). Filters the list would refuse select nothing, here as there."""
    lines = FundingLine.objects.visible_to(user)
    request = FilterRequest(user, query)
    if not request.GET:
        return lines
    fiches = ActionFilterSet(request.GET, queryset=Action.objects.visible_to(user), request=request)
    return lines.filter(action_id__in=fiches.qs.values("pk")) if fiches.is_valid() else lines.none()


def export_filename():
    return f"engagements-{timezone.localdate():%Y-%m-%d}.xlsx"


def funding_lines_xlsx(lines, *, viewer, title="Engagements"):
    """An XLSX of these funding lines (one row each, the yearly split in one column per year) and a
    sheet of totals per state. `lines`: FundingLine.objects.visible_to(viewer); on another funder's line a
    partner gets the figures, not the remarks (roles.sees_funding_line_detail), as on the fiche page and in
    the API. Written as a stream (write-only workbook, lines read in chunks): memory does not grow with the
    number of lines."""
    from conventions import roles

    totals_by_group = export_totals(lines, viewer)
    # Labels read from a dict made once: get_FOO_display() hashes the lazy choices on every call (a quarter of the
    # national export's time).
    nature_labels = {value: capfirst(str(label)) for value, label in FundingLine._meta.get_field("nature").choices}
    status_labels = {value: capfirst(str(label)) for value, label in FundingStatus.choices}
    years = sorted(
        set(
            FundingLineYear.objects.filter(funding_line__in=lines.values("pk"))
            .values_list("year", flat=True)
            .distinct()
        )
    )
    workbook = new_workbook()
    sheet = workbook.create_sheet(title[:31])
    headers = programme_headers(roles.active_programme(viewer)) + [(str(year), 14) for year in years]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    for column, (_label, width) in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    header_cells = []
    for label, _width in headers:
        cell = _cell(sheet, label, font=bold)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header_cells.append(cell)
    sheet.append(header_cells)
    axes = _axes_of_fiches(lines)
    years_of_lines = _years_by_line(lines)
    next_years = next(years_of_lines, None)
    for line in lines.order_by(*EXPORT_ORDER).values_list(*LINE_COLUMNS, named=True).iterator(chunk_size=CHUNK):
        by_year = {}
        if next_years is not None and next_years[0] == line.pk:
            by_year, next_years = next_years[1], next(years_of_lines, None)
        values = [
            (line.action__code, None),
            (line.action__title, None),
            (line.action__territory__name, None),
            (axes.get(line.action_id, ""), None),
            (line.funder__name, None),
            (line.scheme__name or "", None),
            (nature_labels.get(line.nature, line.nature), None),
            (line.amount, EURO_FORMAT),  # None stays an empty cell: unknown is not zero
            (line.share, PERCENT_FORMAT),
            (line.basis, None),
            (status_labels.get(line.status, line.status), None),
            (line.decision_reference, None),
            (line.decision_date, DATE_FORMAT),
            (line.note if roles.sees_funding_line_detail(viewer, line) else "", None),
        ]
        values += [(by_year.get(year), EURO_FORMAT) for year in years]
        sheet.append([_cell(sheet, value, number_format) for value, number_format in values])

    totals = workbook.create_sheet("Totaux")
    labels = [("Lignes", 34), ("État", 16), ("Montant connu (€)", 20), ("Lignes au montant à déterminer", 30)]
    for column, (_label, width) in enumerate(labels, start=1):
        totals.column_dimensions[get_column_letter(column)].width = width
    totals.append([_cell(totals, label, font=bold) for label, _width in labels])
    for group, sums, statuses in totals_by_group:
        for status in statuses:
            totals.append(
                [
                    _cell(totals, group),
                    _cell(totals, str(capfirst(FundingStatus(status).label))),
                    _cell(totals, sums[status], EURO_FORMAT),
                    _cell(totals, sums[f"{status}_unknown"]),
                ]
            )
    totals.append([])
    totals.append([_cell(totals, f"Export du {datetime.date.today():%d/%m/%Y}")])
    return workbook_bytes(workbook)
