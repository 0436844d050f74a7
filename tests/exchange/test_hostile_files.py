"""Hostile or broken workbooks are refused with a French message, and the database is unchanged.

Each file is built here, small: the limits are settings, lowered where a real attack would be big."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from exchange.exports import fiche_list_xlsx
from exchange.models import WorkbookImport
from tests.exchange.conftest import edited, fingerprint, row_of, upload


@pytest.fixture
def coordinator_in(client, coordinator, small_programme):
    client.force_login(coordinator)
    return coordinator


@pytest.fixture
def export(coordinator_in):
    return fiche_list_xlsx(coordinator_in)


def _with_member(content, name, data, *, replace=None):
    """The workbook's ZIP with one more member (or one replaced)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == replace:
                continue
            target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return buffer.getvalue()


def _refused(client, content, message):
    """The upload is refused at once with this message; nothing is kept, nothing changes."""
    before = fingerprint()
    response = upload(client, "fiches", content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WorkbookImport.objects.exists()
    assert fingerprint() == before


def _problems(client, user, content):
    """The upload is analysed; its problems are listed and nothing changes."""
    before = fingerprint()
    upload(client, "fiches", content)
    record = WorkbookImport.objects.get(requested_by=user)
    assert not record.can_confirm
    assert fingerprint() == before
    return [(problem["row"], problem["column"], problem["message"]) for problem in record.problems]


def test_not_a_zip(client, coordinator_in):
    _refused(client, b"Code;Intitule\nFA 1;Place\n", "n&#x27;est pas un classeur Excel (.xlsx)")


def test_a_zip_that_is_not_a_workbook(client, coordinator_in):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("document.txt", "bonjour")
    _refused(client, buffer.getvalue(), "n&#x27;est pas un classeur Excel (.xlsx)")


def test_xlsm_with_macros(client, export):
    _refused(client, _with_member(export, "xl/vbaProject.bin", b"\x00" * 64), "contient des macros (.xlsm)")


def test_macro_enabled_content_type(client, export):
    types = (
        zipfile.ZipFile(io.BytesIO(export))
        .read("[Content_Types].xml")
        .replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    )
    content = _with_member(export, "[Content_Types].xml", types, replace="[Content_Types].xml")
    _refused(client, content, "contient des macros (.xlsm)")


def test_encrypted_workbook(client, coordinator_in):
    # Excel writes a password-protected workbook as an OLE2 compound file, not a ZIP.
    _refused(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000, "protégé par un mot de passe")


def test_zip_bomb(client, export):
    content = _with_member(export, "xl/media/vide.xml", b" " * 3_000_000)
    _refused(client, content, "anormalement compressé")


def test_zip_bomb_by_total_size(client, export, settings):
    settings.ACV_IMPORT_MAX_UNCOMPRESSED_BYTES = 20_000
    _refused(client, export, "anormalement compressé")


def test_billion_laughs(client, export):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol3;</workbook>'
    )
    content = _with_member(export, "xl/workbook.xml", laughs, replace="xl/workbook.xml")
    _refused(client, content, "déclarations XML interdites")


def test_too_big_a_file(client, export, settings):
    # The real limit is 10 Mo; a 50 Mo file is refused by its size before being read.
    settings.ACV_IMPORT_MAX_BYTES = 5_000
    _refused(client, export, "la limite est de 5 ko")


def test_too_many_rows(client, coordinator_in, settings):
    settings.ACV_IMPORT_MAX_ROWS = 5
    book = Workbook()
    sheet = book.active
    sheet.title = "Fiches"
    sheet.append(["N° interne", "Convention", "Code", "Intitulé", "Commune"])
    for number in range(10):
        sheet.append([None, "acv-test", f"FB {number}", "Fiche", "Ville de Béthune"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert _problems(client, coordinator_in, buffer.getvalue()) == [
        (7, "", "le fichier dépasse 5 lignes ; découpez-le")
    ]


def test_formula_is_refused_and_never_evaluated(client, coordinator_in, export):
    row = row_of(export, "Fiches", "Code", "FA 1")
    content = edited(export, "Fiches", {(row, "Coût (€)"): "=1+1"})
    assert _problems(client, coordinator_in, content) == [
        (row, "Coût (€)", "formule refusée : saisissez la valeur elle-même")
    ]


def test_text_that_looks_like_a_formula_goes_out_and_comes_back_as_text(client, coordinator_in, export):
    # FA 2's title starts with « = »: exported as text, it is no change when it comes back.
    upload(client, "fiches", export)
    record = WorkbookImport.objects.get()
    assert record.problems == [] and record.counts["updated"] == 0


def test_merged_header_cells(client, coordinator_in, export):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export))
    book["Fiches"].merge_cells("E1:F1")
    buffer = io.BytesIO()
    book.save(buffer)
    assert _problems(client, coordinator_in, buffer.getvalue()) == [
        (1, "E1:F1", "cellules d'en-tête fusionnées : défusionnez-les, une colonne par en-tête")
    ]


def test_wrong_types(client, coordinator_in, export):
    row = row_of(export, "Fiches", "Code", "FA 1")
    content = edited(export, "Fiches", {(row, "Version"): "deux", (row, "État"): "presque fini"})
    problems = _problems(client, coordinator_in, content)
    assert (row, "Version", "nombre entier attendu, trouvé « deux »") in problems
    assert any(
        column == "État" and message.startswith("valeur inconnue « presque fini »") for _r, column, message in problems
    )


def test_dates_as_text(client, coordinator_in, export):
    row = row_of(export, "Fiches", "Code", "FA 1")
    # A French date typed as text is read (jj/mm/aaaa); any other text in a date column is refused.
    refused = edited(export, "Fiches", {(row, "Début (premier jour)"): "mars 2024"})
    assert _problems(client, coordinator_in, refused) == [
        (row, "Début (premier jour)", "date attendue (jj/mm/aaaa), trouvé « mars 2024 »")
    ]
    WorkbookImport.objects.all().delete()
    accepted = edited(
        export, "Fiches", {(row, "Début (premier jour)"): "15/03/2024", (row, "Début (précision)"): "jour"}
    )
    before = fingerprint()
    upload(client, "fiches", accepted)
    record = WorkbookImport.objects.get()
    assert record.problems == []
    assert ["Début (premier jour)", "—", "15/03/2024"] in record.preview["rows"][0]["changes"]
    assert fingerprint() == before


def test_amounts_with_spaces_and_euro_sign(client, coordinator_in, export):
    row = row_of(export, "Fiches", "Code", "FA 1")
    content = edited(export, "Fiches", {(row, "Coût (€)"): "2\u00a0500\u202f000,50 €"})
    before = fingerprint()
    upload(client, "fiches", content)
    record = WorkbookImport.objects.get()
    assert record.problems == []
    assert ["Coût (€)", "100\u202f000\u00a0€", "2\u202f500\u202f000,50\u00a0€"] in record.preview["rows"][0]["changes"]
    assert fingerprint() == before


def test_empty_mandatory_cells(client, coordinator_in, export):
    row = row_of(export, "Fiches", "Code", "FA 1")
    content = edited(export, "Fiches", {(row, "Intitulé"): None, (row, "Commune"): "  "})
    assert _problems(client, coordinator_in, content) == [
        (row, "Intitulé", "cellule obligatoire vide"),
        (row, "Commune", "cellule obligatoire vide"),
    ]
