"""Exports: the fiche list exactly as filtered, each kind's workbook, the programme as a job — what each role gets."""

import datetime
import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from jobs.models import Job, JobStatus
from tests import factories as f

EXPORT = reverse("exchange:fiche_list_export")


def _sheets(content):
    book = load_workbook(io.BytesIO(content))
    return book, {name: [[cell.value for cell in row] for row in book[name].iter_rows()] for name in book.sheetnames}


def _column(rows, header):
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def test_fiche_list_export_is_the_list_as_filtered_with_its_filters_stated(
    client, coordinator, small_programme, bethune
):
    client.force_login(coordinator)
    fiche = small_programme["fiches"][0]
    fiche.start_on, fiche.start_precision = datetime.date(2024, 3, 15), "day"
    fiche.save()
    response = client.get(EXPORT, {"territory": bethune.pk, "ordering": "-code"})
    book, sheets = _sheets(response.content)
    assert book.sheetnames == ["Filtres", "Fiches", "Opérations", "Financements"]
    assert ["Commune", "Ville de Béthune"] in sheets["Filtres"]
    assert ["Par", "coordinateur"] in sheets["Filtres"] or any(row[0] == "Par" for row in sheets["Filtres"])
    # The page's FilterSet and order: Béthune's fiches, by code descending.
    assert _column(sheets["Fiches"], "Code") == ["FA 2", "FA 1"]
    fiches = book["Fiches"]
    assert fiches.freeze_panes == "A2"
    headers = sheets["Fiches"][0]
    cost = fiches.cell(row=3, column=headers.index("Coût (€)") + 1)
    assert cost.value == Decimal("100000") and "€" in cost.number_format
    start = fiches.cell(row=3, column=headers.index("Début (premier jour)") + 1)
    assert start.value == datetime.datetime(2024, 3, 15) and start.number_format == "dd/mm/yyyy"
    # « =Halle couverte » stays text: not a formula.
    title = fiches.cell(row=2, column=headers.index("Intitulé") + 1)
    assert (title.value, title.data_type) == ("=Halle couverte", "s")
    # Every column of the list: the part acquise and, for the coordination, the part prévue.
    assert _column(sheets["Fiches"], "Acquis (€)") == [Decimal("30000"), Decimal("0")]
    assert _column(sheets["Fiches"], "Prévu (€)") == [Decimal("30000"), Decimal("72000")]
    assert sorted(_column(sheets["Financements"], "Montant (€)")) == [22000, 30000, 50000]


def test_partner_export_holds_what_it_may_see_and_no_other_funders_notes(client, partner_bdt, small_programme, region):
    settled = f.FundingLineFactory(
        action=small_programme["fiches"][0], funder=region, amount=Decimal(5), status="granted", note="interne"
    )
    client.force_login(partner_bdt)
    _book, sheets = _sheets(client.get(EXPORT).content)
    lines = small_programme["lines"]
    assert _column(sheets["Fiches"], "Code") == ["FA 1"]
    assert "Prévu (€)" not in sheets["Fiches"][0] and "Vos engagements (€)" in sheets["Fiches"][0]
    assert sorted(_column(sheets["Financements"], "N° interne")) == sorted([lines["bdt"].pk, settled.pk])
    _book, sheets = _sheets(client.get(reverse("exchange:kind_export", args=["financements"])).content)
    assert sorted(_column(sheets["Financements"], "N° interne")) == sorted([lines["bdt"].pk, settled.pk])
    # Another funder's remark is not the partner's to read.
    assert _column(sheets["Financements"], "Remarque") == [None, None]


def test_a_big_fiche_list_is_written_in_the_background(client, coordinator, small_programme, settings):
    settings.ACV_EXPORT_MAX_SYNC_ROWS = 2
    client.force_login(coordinator)
    response = client.get(EXPORT)
    job = Job.objects.get(requested_by=coordinator)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == JobStatus.DONE
    _book, sheets = _sheets(job.result_file.read())
    assert sorted(_column(sheets["Fiches"], "Code")) == ["FA 1", "FA 2", "FA 3"]


def test_the_programme_workbook_is_a_job_with_every_kind(client, committee_member, small_programme):
    f.IndicatorValueFactory()
    client.force_login(committee_member)
    response = client.post(reverse("exchange:programme_export"))
    job = Job.objects.get(requested_by=committee_member)
    assert response["Location"] == job.get_absolute_url() and job.status == JobStatus.DONE
    book, sheets = _sheets(job.result_file.read())
    assert book.sheetnames == ["Filtres", "Fiches", "Opérations", "Financements", "Valeurs"]
    assert len(sheets["Fiches"]) == 4 and len(sheets["Valeurs"]) == 2


def test_export_queries_do_not_grow_with_fiches(client, coordinator, bethune, bdt, django_assert_max_num_queries):
    client.force_login(coordinator)

    def batch(start, count):
        for number in range(start, start + count):
            fiche = f.ActionFactory(code=f"FX {number}", territory=bethune)
            f.OperationFactory(action=fiche, name=f"Opération {number}")
            f.FundingLineFactory(action=fiche, funder=bdt, amount=Decimal(number))

    batch(0, 2)
    with django_assert_max_num_queries(40) as small:
        client.get(EXPORT)
    batch(10, 20)
    with django_assert_max_num_queries(len(small)):
        response = client.get(EXPORT)
    assert len(_sheets(response.content)[1]["Fiches"]) == 23
