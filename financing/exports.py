"""Funding lines as XLSX: pure functions, queryset in, bytes out; views only wrap them."""

import datetime
import io

from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from financing.models import FundingStatus

EURO_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = '0.00\\ "%"'
DATE_FORMAT = "dd/mm/yyyy"
# A cell starting with one of these could be read as a formula by a spreadsheet (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def write_cell(sheet, row, column, value, number_format=None):
    """Write a value with its real type; text that could start a formula is forced to stay text."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        cell.quotePrefix = True  # and Excel keeps it as text when the cell is edited
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
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


def funding_lines_xlsx(lines, *, viewer, title="Engagements"):
    """An XLSX of these funding lines (one row each, the yearly split in one column per year) and a
    sheet of totals per state. `lines`: FundingLine.objects.visible_to(viewer); on another funder's line a
    partner gets the figures, not the remarks (roles.sees_funding_line_detail), as on the fiche page and in
    the API."""
    from conventions import roles

    totals_by_group = export_totals(lines, viewer)
    lines = list(lines.for_export())
    years = sorted({year.year for line in lines for year in line.years.all()})
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    headers = HEADERS + [(str(year), 14) for year in years]
    bold = Font(bold=True)
    for column, (label, width) in enumerate(headers, start=1):
        cell = write_cell(sheet, 1, column, label)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    for row, line in enumerate(lines, start=2):
        action = line.action
        values = [
            (action.code, None),
            (action.title, None),
            (action.territory.name, None),
            (", ".join(axis.number for axis in action.axes.all()), None),
            (line.funder.name, None),
            (line.scheme.name if line.scheme else "", None),
            (capfirst(line.get_nature_display()) if line.nature else "", None),
            (line.amount, EURO_FORMAT),  # None stays an empty cell: unknown is not zero
            (line.share, PERCENT_FORMAT),
            (line.basis, None),
            (capfirst(line.get_status_display()), None),
            (line.decision_reference, None),
            (line.decision_date, DATE_FORMAT),
            (line.note if roles.sees_funding_line_detail(viewer, line) else "", None),
        ]
        by_year = {year.year: year.amount for year in line.years.all()}
        values += [(by_year.get(year), EURO_FORMAT) for year in years]
        for column, (value, number_format) in enumerate(values, start=1):
            write_cell(sheet, row, column, value, number_format if value is not None else None)

    totals = workbook.create_sheet("Totaux")
    for column, (label, width) in enumerate(
        [("Lignes", 34), ("État", 16), ("Montant connu (€)", 20), ("Lignes au montant à déterminer", 30)], start=1
    ):
        write_cell(totals, 1, column, label).font = bold
        totals.column_dimensions[get_column_letter(column)].width = width
    row = 2
    for group, sums, statuses in totals_by_group:
        for status in statuses:
            write_cell(totals, row, 1, group)
            write_cell(totals, row, 2, str(capfirst(FundingStatus(status).label)))
            write_cell(totals, row, 3, sums[status], EURO_FORMAT)
            write_cell(totals, row, 4, sums[f"{status}_unknown"])
            row += 1
    write_cell(totals, row + 1, 1, f"Export du {datetime.date.today():%d/%m/%Y}")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
