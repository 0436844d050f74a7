"""The evaluation grid as XLSX, in the layout of the page: pure function, grid in, bytes out."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from evaluation.grid import MISSING
from financing.exports import write_cell

BOLD = Font(bold=True)
AXIS_FILL = PatternFill("solid", fgColor="DDDDEE")
CRITERION_FILL = PatternFill("solid", fgColor="F0F0F5")
SUB_COLUMNS = 3  # état initial, cible, évolution, around the period columns


def _number_format(indicator, note=""):
    """The indicator's decimals; the period of a baseline or target, or « estimé », shown after the number
    while the cell keeps a number the comité can compute with."""
    places = indicator.places
    base = "#,##0" + ("." + "0" * places if places else "")
    return f'{base} "({note})"' if note else base


def _value_cell(sheet, row, column, indicator, value, *, with_period=False):
    if value is None:
        write_cell(sheet, row, column, MISSING).font = Font(italic=True, color="666666")
        return
    notes = [value.period.label] if with_period else []
    if value.series == "estimated":
        notes.append("estimé")
    write_cell(sheet, row, column, value.value, _number_format(indicator, ", ".join(notes)))


def grid_xlsx(grid) -> bytes:
    """One sheet: a row per indicator under its axe and criterion, per place the état initial, each period,
    the cible and the trend in words; numbers are numbers, a missing value says « non renseigné »."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Grille d'évaluation"
    width = len(grid.periods) + SUB_COLUMNS + 1
    write_cell(sheet, 1, 1, "Indicateur").font = BOLD
    write_cell(sheet, 1, 2, "Unité").font = BOLD
    for index, place in enumerate(grid.places):
        first = 3 + index * width
        write_cell(sheet, 1, first, place.label).font = BOLD
        sheet.merge_cells(start_row=1, start_column=first, end_row=1, end_column=first + width - 1)
        headers = ["État initial", *(period.label for period in grid.periods), "Cible", "Évolution"]
        for offset, header in enumerate(headers):
            cell = write_cell(sheet, 2, first + offset, header)
            cell.font = BOLD
            cell.alignment = Alignment(wrap_text=True)
    row = 3
    last_column = 2 + len(grid.places) * width
    for axis in grid.axes:
        write_cell(sheet, row, 1, axis.title).font = BOLD
        for column in range(1, last_column + 1):
            sheet.cell(row=row, column=column).fill = AXIS_FILL
        row += 1
        for group in axis.criteria:
            write_cell(sheet, row, 1, f"Critère {group.criterion.code} – {group.criterion.title}").font = BOLD
            for column in range(1, last_column + 1):
                sheet.cell(row=row, column=column).fill = CRITERION_FILL
            row += 1
            for indicator_row in group.indicators:
                indicator = indicator_row.indicator
                write_cell(sheet, row, 1, indicator.name).alignment = Alignment(wrap_text=True)
                write_cell(sheet, row, 2, indicator.unit_label)
                for index, place_row in enumerate(indicator_row.places):
                    first = 3 + index * width
                    _value_cell(sheet, row, first, indicator, place_row.baseline, with_period=True)
                    for offset, cell in enumerate(place_row.cells, start=1):
                        _value_cell(sheet, row, first + offset, indicator, cell.value)
                    _value_cell(
                        sheet, row, first + len(grid.periods) + 1, indicator, place_row.target, with_period=True
                    )
                    write_cell(sheet, row, first + len(grid.periods) + 2, place_row.trend_label)
                row += 1
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 12
    for column in range(3, last_column + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 14
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
