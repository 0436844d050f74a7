"""An uploaded workbook is checked before anything parses it.

An .xlsx file is a ZIP of XML parts. Before openpyxl opens it we look at the ZIP itself: its size, its signature
(an encrypted workbook is not a ZIP but an OLE2 compound file), its members (no macros: no vbaProject.bin, no
macro-enabled content type), the sum of its uncompressed sizes and the compression ratio of each member (a « zip
bomb » expands a few kilobytes into gigabytes), and no DTD in any XML part (entity expansion, « billion laughs »,
and external entities: defusedxml refuses them too when openpyxl parses, this says it first and in French).
Each refusal is a `WorkbookRefused` with the sentence to show. The limits are settings, so tests lower them.
"""

import io
import zipfile

from django.conf import settings

ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MACRO_CONTENT_TYPE = b"macroEnabled"

NOT_XLSX = "Ce fichier n'est pas un classeur Excel (.xlsx) : enregistrez-le au format « Classeur Excel (.xlsx) »."
ENCRYPTED = (
    "Ce classeur est protégé par un mot de passe (chiffré), ou c'est un ancien classeur .xls : enregistrez-le sans "
    "mot de passe au format .xlsx."
)
MACROS = (
    "Ce classeur contient des macros (.xlsm) : elles ne sont jamais acceptées. Enregistrez-le au format .xlsx, "
    "sans macros."
)
TOO_BIG = "Le fichier pèse {size} ; la limite est de {limit}. Découpez-le en plusieurs fichiers."
BOMB = (
    "Le contenu de ce classeur est anormalement compressé ({detail}) : il est refusé par précaution. Enregistrez-le "
    "à nouveau depuis votre tableur."
)
DTD = "Ce classeur contient des déclarations XML interdites (DTD, entités) : il est refusé. Enregistrez-le à nouveau."


class WorkbookRefused(Exception):
    """An uploaded file that will not be read; str() is the French reason."""


def megabytes(size):
    """A size as a person reads it: « 12,4 Mo », « 5 ko »."""
    if size < 100_000:
        return f"{max(1, round(size / 1000))} ko"
    return f"{size / 1_000_000:.1f} Mo".replace(".", ",")


def limits():
    """The limits in force (settings, with the defaults of acv.settings)."""
    return {
        "max_bytes": settings.ACV_IMPORT_MAX_BYTES,
        "max_uncompressed": settings.ACV_IMPORT_MAX_UNCOMPRESSED_BYTES,
        "max_ratio": settings.ACV_IMPORT_MAX_RATIO,
        "max_rows": settings.ACV_IMPORT_MAX_ROWS,
    }


def check_workbook_upload(content: bytes) -> None:
    """Refuse (WorkbookRefused) what must not reach the XML parser; return None for a file worth opening."""
    limit = limits()
    if len(content) > limit["max_bytes"]:
        raise WorkbookRefused(TOO_BIG.format(size=megabytes(len(content)), limit=megabytes(limit["max_bytes"])))
    if content.startswith(OLE2_SIGNATURE):
        raise WorkbookRefused(ENCRYPTED)
    if not content.startswith(ZIP_SIGNATURE):
        raise WorkbookRefused(NOT_XLSX)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise WorkbookRefused(NOT_XLSX) from error
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookRefused(NOT_XLSX)
    if any(member.flag_bits & 0x1 for member in members):
        raise WorkbookRefused(ENCRYPTED)
    if any(name.lower().endswith("vbaproject.bin") or name.lower().startswith("xl/macrosheets/") for name in names):
        raise WorkbookRefused(MACROS)
    total = sum(member.file_size for member in members)
    if total > limit["max_uncompressed"]:
        raise WorkbookRefused(BOMB.format(detail=f"{megabytes(total)} une fois décompressé"))
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1_000_000 and ratio > limit["max_ratio"]:
            raise WorkbookRefused(BOMB.format(detail=f"« {member.filename} » compressé {ratio:.0f} fois"))
    with archive:
        if MACRO_CONTENT_TYPE in archive.read("[Content_Types].xml"):
            raise WorkbookRefused(MACROS)
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")) and _declares_dtd(archive, member):
                raise WorkbookRefused(DTD)


def _declares_dtd(archive, member):
    """A DOCTYPE may only come before the root element: read the start of the part, never the whole of it."""
    with archive.open(member) as stream:
        head = stream.read(4096)
    return b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper()


def open_workbook(content: bytes):
    """The checked file opened by openpyxl, read-only, formulas as their text (never evaluated)."""
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds on a broken part; each is the same answer here
        raise WorkbookRefused(NOT_XLSX) from error


def merged_header_problems(content: bytes, sheet_titles) -> list[tuple[str, str]]:
    """Sheets whose merged cells touch the header row: [(sheet title, range)]. Read-only openpyxl does not report
    merged cells; the sheet's XML lists them in <mergeCell ref="A1:C1"/>, read here with the safe parser."""
    import re

    from defusedxml import ElementTree

    found = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {element.get("Id"): element.get("Target") for element in relations}
        for sheet in book.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
            title = sheet.get("name")
            if title not in sheet_titles:
                continue
            relation = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            target = targets.get(relation, "").lstrip("/")
            path = target if target.startswith("xl/") else f"xl/{target}"
            if path not in archive.namelist():
                continue
            with archive.open(path) as stream:
                text = stream.read()
            for ref in re.findall(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', text):
                if int(ref[1]) == 1:
                    found.append((title, f"{ref[0].decode()}{ref[1].decode()}:{ref[2].decode()}{ref[3].decode()}"))
    return found
