"""A small programme to export and import, and the helpers the import tests share."""

import hashlib
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories as f

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What an import may touch, and what it leaves behind: compared before and after each hostile file.
WATCHED = [
    "actions.Action",
    "actions.Operation",
    "actions.HistoricalAction",
    "actions.HistoricalOperation",
    "actions.ActionValidation",
    "financing.FundingLine",
    "financing.HistoricalFundingLine",
    "financing.FundingEvent",
    "evaluation.IndicatorValue",
]


def fingerprint():
    """Row counts and a checksum of every watched table's rows: equal before and after means unchanged."""
    result = {}
    for label in WATCHED:
        model = apps.get_model(label)
        rows = sorted(repr(row) for row in model.objects.order_by().values_list())
        result[label] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


@pytest.fixture
def small_programme(bethune, bdt, region, agglomeration):
    fiches = [
        f.ActionFactory(code="FA 1", title="Place du marché", territory=bethune, project_owner=bethune),
        f.ActionFactory(code="FA 2", title="=Halle couverte", territory=bethune, project_owner=bethune),
        f.ActionFactory(code="FA 3", title="Étude de l'agglomération", territory=agglomeration),
    ]
    f.OperationFactory(action=fiches[0], name="Travaux de voirie")
    lines = {
        "bdt": f.FundingLineFactory(action=fiches[0], funder=bdt, amount=Decimal("22000"), status="planned"),
        "region": f.FundingLineFactory(
            action=fiches[0], funder=region, amount=Decimal("50000"), status="requested", note="négociation"
        ),
        "region_granted": f.FundingLineFactory(
            action=fiches[1], funder=region, amount=Decimal("30000"), status="granted"
        ),
    }
    return {"fiches": fiches, "lines": lines}


def edited(content, sheet, changes):
    """The workbook with these cells changed: {(row number, header): value}; rows past the end are appended."""
    book = load_workbook(io.BytesIO(content))
    ws = book[sheet]
    headers = {cell.value: cell.column for cell in ws[1]}
    for (row, header), value in changes.items():
        ws.cell(row=row, column=headers[header]).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row_of(content, sheet, header, value):
    """The row number where `header` holds `value`."""
    ws = load_workbook(io.BytesIO(content), read_only=True)[sheet]
    rows = ws.iter_rows(values_only=True)
    headers = next(rows)
    index = headers.index(header)
    for number, row in enumerate(rows, start=2):
        if row[index] == value:
            return number
    raise AssertionError(f"{value} not in {sheet}")


def upload(client, kind, content, name="classeur.xlsx"):
    """POST the file to the import page; returns the response (followed to the import when accepted)."""
    return client.post(
        reverse("exchange:exchange"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=XLSX)},
        follow=True,
    )
