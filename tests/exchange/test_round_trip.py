"""Export → import unchanged = « 0 changes », for every kind, on the reference programme."""

import io

import pytest
from openpyxl import load_workbook

from exchange.analysis import analyse
from exchange.exports import fiche_list_xlsx, funding_workbook_xlsx, grid_values_xlsx
from financing.models import FundingLine


def _no_change(kind, content, user):
    analysis = analyse(kind, content, user)
    assert analysis.problems == []
    assert analysis.rows == []
    assert analysis.counts["created"] == analysis.counts["updated"] == 0
    return analysis.counts["unchanged"]


@pytest.mark.parametrize("persona", ["coordinator", "referent_bethune"])
def test_fiches_workbook_comes_back_with_no_change(reference_data, persona, request):
    user = request.getfixturevalue(persona)
    content = fiche_list_xlsx(user)
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Filtres", "Fiches", "Opérations", "Financements"]
    fiches = len(list(book["Fiches"].iter_rows(values_only=True))) - 1
    assert fiches > 50
    assert _no_change("fiches", content, user) >= fiches


def test_funding_workbook_comes_back_with_no_change_for_a_partner(reference_data, partner_bdt):
    content = funding_workbook_xlsx(partner_bdt)
    rows = list(load_workbook(io.BytesIO(content), read_only=True)["Financements"].iter_rows(values_only=True))
    ids = {row[0] for row in rows[1:]}
    assert ids == set(FundingLine.objects.visible_to(partner_bdt).values_list("pk", flat=True))
    assert _no_change("financements", content, partner_bdt) == len(ids)


def test_grid_workbook_comes_back_with_no_change(reference_data, coordinator):
    content = grid_values_xlsx(coordinator)
    _no_change("grille", content, coordinator)
