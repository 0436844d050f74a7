"""Funding lines as XLSX: pure functions, queryset in, bytes out; views only wrap them."""

import datetime
import io
from decimal import Decimal

from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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


def funding_lines_xlsx(lines, *, title="Engagements"):
    """An XLSX of these funding lines (one row each, the yearly split in one column per year) and a
    sheet of totals per state. `lines` must come from FundingLine.objects.for_export()."""
    lines = list(lines)
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
            (line.note, None),
        ]
        by_year = {year.year: year.amount for year in line.years.all()}
        values += [(by_year.get(year), EURO_FORMAT) for year in years]
        for column, (value, number_format) in enumerate(values, start=1):
            write_cell(sheet, row, column, value, number_format if value is not None else None)

    totals = workbook.create_sheet("Totaux")
    write_cell(totals, 1, 1, "État").font = bold
    write_cell(totals, 1, 2, "Montant connu (€)").font = bold
    write_cell(totals, 1, 3, "Lignes au montant à déterminer").font = bold
    totals.column_dimensions["A"].width = 16
    totals.column_dimensions["B"].width = 20
    totals.column_dimensions["C"].width = 30
    states = {}
    for line in lines:
        label = capfirst(line.get_status_display())
        known, unknown = states.get(label, (Decimal("0"), 0))
        states[label] = (known + (line.amount or 0), unknown + (line.amount is None))
    for row, (label, (known, unknown)) in enumerate(sorted(states.items()), start=2):
        write_cell(totals, row, 1, label)
        write_cell(totals, row, 2, known, EURO_FORMAT)
        write_cell(totals, row, 3, unknown)
    write_cell(totals, len(states) + 3, 1, f"Export du {datetime.date.today():%d/%m/%Y}")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
