"""Workbooks both ways, from one declarative spec per sheet.

A `SheetSpec` lists its `Column`s: the French header, how to read the value from an object, its type, whether an
import may change it and whether it is mandatory. The same spec writes the export and reads the import, so a
workbook exported and imported unchanged reads back exactly what was written: « 0 changes » by construction.

Writing uses openpyxl's write-only workbooks (rows are streamed to the file, memory stays flat whatever the number
of rows); reading returns plain values per row and, for every cell that cannot be read, a `Problem` naming the
sheet, the row and the column with a French reason. This module imports no app: the specs live in the apps.
"""

import datetime
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

EURO_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = '0.00\\ "%"'
DATE_FORMAT = "dd/mm/yyyy"
NUMBER_FORMAT = "#,##0.####"
# A cell starting with one of these could be read as a formula by a spreadsheet (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT, INT, EURO, DECIMAL, PERCENT, DATE, CHOICE, BOOL = (
    "text",
    "int",
    "euro",
    "decimal",
    "percent",
    "date",
    "choice",
    "bool",
)
FORMATS = {EURO: EURO_FORMAT, PERCENT: PERCENT_FORMAT, DATE: DATE_FORMAT, DECIMAL: NUMBER_FORMAT}
YES, NO = "Oui", "Non"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")


def is_formula_like(value):
    """The one rule of the project for text that a spreadsheet would take as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def keep_as_text(cell, value):
    """Set `value` on an openpyxl cell (normal or write-only), text that looks like a formula staying text."""
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        cell.quotePrefix = True  # and Excel keeps it as text when the cell is edited
    return cell


@dataclass(frozen=True)
class Column:
    """One column of a sheet, both ways.

    `get(obj)` gives the value to write (a Python value: str, int, Decimal, date, bool, None); for a CHOICE,
    `choices` maps stored values to the labels written (and read back, labels or stored values alike).
    `key` names the value in an imported row; an import only takes `editable` columns, and refuses an empty
    `mandatory` one.
    """

    header: str
    key: str
    get: Callable
    kind: str = TEXT
    editable: bool = True
    mandatory: bool = False
    choices: dict | None = None
    width: int = 16

    @cached_property
    def reading(self):
        """For a CHOICE: what a cell may hold (label or stored value, spaces and case aside) → the stored value;
        built once per column, not once per cell."""
        lookup = {}
        for stored, label in (self.choices or {}).items():
            lookup.setdefault(_squash(stored), stored)
            lookup[_squash(label)] = stored
        return lookup

    def to_cell(self, obj):
        value = self.get(obj)
        if self.kind == CHOICE and self.choices is not None:
            return str(self.choices.get(value, value)) if value not in (None, "") else ""
        if self.kind == BOOL:
            return YES if value else NO
        return value


@dataclass
class SheetSpec:
    """A sheet: its title and columns; `id_key` is the column naming an existing row (empty: a new one)."""

    title: str
    columns: list[Column]
    id_key: str = "id"

    def column(self, key):
        return next(column for column in self.columns if column.key == key)


@dataclass(frozen=True)
class Problem:
    """A reason a file cannot be imported, where it is."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self):
        where = [f"feuille « {self.sheet} »"] if self.sheet else []
        if self.row:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        return f"{', '.join(where)} : {self.message}" if where else self.message

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


# ---------------------------------------------------------------------------------------------------- writing


def _header_cell(sheet, label):
    cell = WriteOnlyCell(sheet)
    keep_as_text(cell, label)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_only_value(sheet, value, number_format=None):
    """What to append to a write-only sheet for `value`: the value itself when it needs no number format and is
    not text a spreadsheet would take as a formula, else a WriteOnlyCell of its own. openpyxl writes a bare value
    through one cell it reuses, whereas a cell object of ours first fails its conversion to a value, error
    message included: a quarter of the time of an export of 100 000 funding lines."""
    if (number_format is None or value is None) and not is_formula_like(value):
        return value
    cell = keep_as_text(WriteOnlyCell(sheet), value)
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _value_cell(sheet, value, kind):
    formatted = value is not None and value != "" and kind in FORMATS
    return write_only_value(sheet, value, FORMATS[kind] if formatted else None)


def write_sheet(book, spec: SheetSpec, objects: Iterable):
    """Append a sheet to a write-only workbook: frozen header, one row per object, streamed."""
    sheet = book.create_sheet(spec.title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([_header_cell(sheet, column.header) for column in spec.columns])
    count = 0
    for obj in objects:
        sheet.append([_value_cell(sheet, column.to_cell(obj), column.kind) for column in spec.columns])
        count += 1
    return count


def write_preface(book, title, lines: Iterable[tuple[str, object]]):
    """A first sheet stating what the workbook holds (filters, who, when): label, value per row."""
    sheet = book.create_sheet(title[:31])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 70
    for label, value in lines:
        kind = DATE if isinstance(value, datetime.date) else TEXT
        sheet.append([_value_cell(sheet, label, TEXT), _value_cell(sheet, value, kind)])
    return sheet


def new_workbook():
    return Workbook(write_only=True)


def workbook_bytes(book):
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------- reading


def _squash(text):
    return " ".join(str(text or "").replace("\u00a0", " ").split()).casefold()


AMOUNT_NOISE = re.compile(r"[\s\u00a0\u202f€%]")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message is French."""


def _decimal(value):
    if isinstance(value, bool):
        raise CellError("nombre attendu")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # A spreadsheet stores numbers as binary floats: back to the decimal it displayed.
        return Decimal(repr(value))
    if isinstance(value, str):
        # « 1 234,56 € », « 1 234.56 », with spaces, no-break spaces or the euro sign: the amount a person wrote.
        text = AMOUNT_NOISE.sub("", value)
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
    raise CellError(f"nombre attendu, trouvé « {value} »")


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        # A date typed as text the French way is unambiguous: accepted; anything else is refused, never guessed.
        match = FRENCH_DATE.match(value.strip())
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                pass
    raise CellError(f"date attendue (jj/mm/aaaa), trouvé « {value} »")


def parse_value(column: Column, value):
    """The Python value of a cell for this column, or CellError. Empty cells are None (or "" for text)."""
    if isinstance(value, str) and not value.strip():
        value = None
    if value is None:
        if column.mandatory:
            raise CellError("cellule obligatoire vide")
        return "" if column.kind in (TEXT, CHOICE) else (False if column.kind == BOOL else None)
    kind = column.kind
    if kind == TEXT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime.datetime | datetime.date):
            raise CellError("texte attendu, trouvé une date")
        return str(value)
    if kind == INT:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and AMOUNT_NOISE.sub("", value).isdigit():
            return int(AMOUNT_NOISE.sub("", value))
        raise CellError(f"nombre entier attendu, trouvé « {value} »")
    if kind in (EURO, DECIMAL, PERCENT):
        return _decimal(value)
    if kind == DATE:
        return _date(value)
    if kind == BOOL:
        text = _squash(value)
        if text in ("oui", "vrai", "true", "1"):
            return True
        if text in ("non", "faux", "false", "0"):
            return False
        raise CellError(f"« Oui » ou « Non » attendu, trouvé « {value} »")
    if kind == CHOICE:
        wanted = _squash(value)
        if wanted in column.reading:
            return column.reading[wanted]
        known = ", ".join(f"« {label} »" for label in list((column.choices or {}).values())[:12])
        raise CellError(f"valeur inconnue « {value} » (valeurs possibles : {known})")
    raise CellError(f"type de colonne inconnu : {kind}")


@dataclass
class ReadSheet:
    """What was read from one sheet: rows as {key: value, "_row": number}, and the problems met. A row with a cell
    that could not be read is marked "_unreadable": the others can still be compared, for a complete preview."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def readable_rows(self):
        return [row for row in self.rows if not row.get("_unreadable")]


def read_sheet(book, spec: SheetSpec, *, max_rows: int, required=True) -> ReadSheet:
    """Read a sheet of an openpyxl workbook (opened read-only, data_only=False) against its spec.

    Headers are matched by their label (order free, unknown columns ignored); a formula in a cell is refused
    with its place and its text is never evaluated; rows left empty are skipped.
    """
    result = ReadSheet()
    if spec.title not in book.sheetnames:
        if required:
            result.problems.append(Problem(spec.title, None, "", "feuille absente du classeur"))
        return result
    sheet = book[spec.title]
    rows = sheet.iter_rows()
    header = next(rows, None)
    by_label = {_squash(column.header): column for column in spec.columns}
    positions = {}
    for index, cell in enumerate(header or ()):
        column = by_label.get(_squash(cell.value))
        if column is not None:
            positions[index] = column
    found = {column.key for column in positions.values()}
    for column in spec.columns:
        if column.key not in found and (column.mandatory or column.key == spec.id_key):
            result.problems.append(Problem(spec.title, 1, column.header, "colonne absente de la ligne d'en-tête"))
    if result.problems:
        return result
    for number, cells in enumerate(rows, start=2):
        if number - 1 > max_rows:
            result.problems.append(
                Problem(
                    spec.title, number, "", f"le fichier dépasse {max_rows:,} lignes ; découpez-le".replace(",", " ")
                )
            )
            break
        if all(cell.value in (None, "") for cell in cells):
            continue
        row = {"_row": number}
        for index, column in positions.items():
            cell = cells[index] if index < len(cells) else None
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f" or (
                isinstance(value, str) and value.startswith("=") and getattr(cell, "data_type", "") == "f"
            ):
                result.problems.append(
                    Problem(spec.title, number, column.header, "formule refusée : saisissez la valeur elle-même")
                )
                row["_unreadable"] = True
                continue
            try:
                row[column.key] = parse_value(column, value)
            except CellError as error:
                result.problems.append(Problem(spec.title, number, column.header, str(error)))
                row["_unreadable"] = True
        result.rows.append(row)
    return result
