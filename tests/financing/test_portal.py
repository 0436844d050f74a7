"""The partners' portal "Mes engagements" and the XLSX export of funding lines."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jobs.models import Job, JobStatus
from tests import factories as f

PORTAL = reverse("financing:partner_portal")
EXPORT = reverse("financing:funding_export")


@pytest.fixture
def lines(bdt, region, bethune):
    fiche = f.ActionFactory(code="FA 900", title="Place test", territory=bethune)
    other = f.ActionFactory(code="FA 901", title="Fiche sans la BdT", territory=bethune)
    return {
        "bdt": f.FundingLineFactory(
            action=fiche,
            funder=bdt,
            amount=Decimal("22000"),
            status="granted",
            decision_reference='=HYPERLINK("http://exemple.invalid")',
            decision_date=datetime.date(2026, 3, 2),
        ),
        "bdt_unknown": f.FundingLineFactory(action=fiche, funder=bdt, amount=None, status="planned"),
        "region_negotiating": f.FundingLineFactory(
            action=fiche, funder=region, amount=Decimal("50000"), status="requested", note="-marge de négociation"
        ),
        "region_granted": f.FundingLineFactory(action=fiche, funder=region, amount=Decimal("30000"), status="granted"),
        "region_elsewhere": f.FundingLineFactory(action=other, funder=region, amount=Decimal("9000"), status="paid"),
    }


def _rows(response):
    """The export's rows about this module's test fiches (the reference programme may be loaded too)."""
    workbook = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2)]
    return [row for row in rows if row["Fiche action"].value in ("FA 900", "FA 901")]


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(PORTAL).status_code == 302
    assert client.get(EXPORT).status_code == 302


def test_the_portal_is_for_partners_only(client, coordinator, committee_member, outsider):
    for user in (coordinator, committee_member, outsider):
        client.force_login(user)
        assert client.get(PORTAL).status_code == 403


def test_partner_sees_its_commitments_with_totals(client, partner_bdt, lines):
    client.force_login(partner_bdt)
    response = client.get(PORTAL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "FA 900" in body
    assert "22\u202f000" in body  # accordé total
    assert "au montant à déterminer" in body
    assert "FA 901" not in body  # a fiche it does not fund


def test_partner_export_holds_exactly_what_it_may_see(client, partner_bdt, lines, bdt, region):
    client.force_login(partner_bdt)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _rows(response)
    seen = sorted((row["Fiche action"].value, row["Financeur"].value, row["État"].value) for row in rows)
    assert seen == [
        ("FA 900", bdt.name, "Accordé"),
        ("FA 900", bdt.name, "Prévu"),
        ("FA 900", region.name, "Accordé"),  # another funder's line, once settled
    ]  # never the Région's line still being negotiated, nor a fiche the BdT does not fund
    granted = next(row for row in rows if row["État"].value == "Accordé" and row["Financeur"].value == bdt.name)
    assert granted["Montant (€)"].value == 22000
    assert "€" in granted["Montant (€)"].number_format
    assert granted["Date de la décision"].value == datetime.datetime(2026, 3, 2)
    assert granted["Date de la décision"].is_date
    # A text that starts like a formula is written as text, never as a formula.
    assert granted["Référence de la décision"].data_type == "s"
    assert granted["Référence de la décision"].value.startswith("=HYPERLINK")
    unknown = next(row for row in rows if row["État"].value == "Prévu")
    assert unknown["Montant (€)"].value is None  # unknown is not zero


def _cells(rows):
    # Each row as the values of its cells, in the export's order.
    return [tuple(cell.value for cell in row.values()) for row in rows]


@pytest.mark.parametrize("persona", ["partner_bdt", "coordinator"])
def test_a_big_export_is_written_in_the_background_with_the_same_rows(client, request, lines, settings, persona):
    # Past ACV_EXPORT_MAX_SYNC_ROWS lines the page hands the workbook to a job: the person is sent to its page,
    # and the file it keeps holds, cell for cell, what the export written at once holds; filters go along.
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for query in ("", "?q=fa 900"):
        settings.ACV_EXPORT_MAX_SYNC_ROWS = 1000
        at_once = client.get(EXPORT + query)
        assert at_once.status_code == 200
        settings.ACV_EXPORT_MAX_SYNC_ROWS = 1
        response = client.get(EXPORT + query)
        job = Job.objects.filter(requested_by=user).latest("requested_at")
        assert (response.status_code, response["Location"]) == (302, job.get_absolute_url())
        assert (job.kind, job.status) == ("export", JobStatus.DONE)
        assert f'filename="{job.result_name}"' in at_once["Content-Disposition"]
        kept = _rows(client.get(reverse("jobs:job_file", args=[job.pk])))
        assert _cells(kept) == _cells(_rows(at_once))
        seen = {"partner_bdt": {"FA 900"}, "coordinator": {"FA 900", "FA 901"}}[persona]
        assert {row["Fiche action"].value for row in kept} == ({"FA 900"} if query else seen)


def test_partner_b_never_sees_partner_a_negotiations(client, partner_bdt, partner_region, lines, region):
    client.force_login(partner_bdt)
    rows = _rows(client.get(EXPORT))
    assert all(row["Remarque"].value != "-marge de négociation" for row in rows)
    client.force_login(partner_region)
    rows = _rows(client.get(EXPORT))
    region_rows = [row for row in rows if row["Financeur"].value == region.name]
    assert len(region_rows) == 3  # its own lines, negotiations included
    assert any(
        row["Remarque"].value == "-marge de négociation" and row["Remarque"].data_type == "s" for row in region_rows
    )


def test_portal_shows_what_others_changed_since_the_last_visit(client, partner_bdt, coordinator, lines):
    profile = partner_bdt.profiles.get()
    profile.last_portal_visit = timezone.now() - datetime.timedelta(days=1)
    profile.save()
    line = lines["bdt_unknown"]
    line._history_user = coordinator
    line.status = "requested"
    line.save()
    client.force_login(partner_bdt)
    body = client.get(PORTAL).content.decode()
    assert "Ce qui a changé depuis votre dernière visite" in body
    assert "Prévu → Sollicité" in body
    # Seen: the next visit starts from now.
    assert "Rien n'a changé" in client.get(PORTAL).content.decode()


def test_coordinator_export_has_every_line(client, coordinator, lines):
    client.force_login(coordinator)
    rows = _rows(client.get(EXPORT))
    assert len(rows) == 5


def test_each_export_row_has_its_own_fiche_s_axes_and_its_own_line_s_years(client, coordinator, bdt, region):
    """Two fiches « FA 902 » of two conventions (a code is unique only within its convention), their lines
    created in turn: each row carries the axes of its fiche and the yearly amounts of its line, and each fiche's
    lines come together."""
    first = f.ActionFactory(code="FA 902", title="Halles de la première convention", axes=[f.AxisFactory(number="1")])
    second = f.ActionFactory(
        code="FA 902",
        title="Gare de la seconde convention",
        convention=f.ConventionFactory(key="acv-test-2"),
        axes=[f.AxisFactory(number="2"), f.AxisFactory(number="4")],
    )
    splits = {
        (first, bdt, "10000.00"): {2025: "4000.00", 2026: "6000.00"},
        (second, bdt, "7000.00"): {2027: "7000.00"},
        (first, region, "5000.00"): {},
        (second, region, "3000.00"): {2025: "1000.00", 2026: "2000.00"},
    }
    for (fiche, funder, amount), years in splits.items():
        line = f.FundingLineFactory(action=fiche, funder=funder, amount=Decimal(amount))
        for year, part in years.items():
            f.FundingLineYearFactory(funding_line=line, year=year, amount=Decimal(part))
    client.force_login(coordinator)
    response = client.get(EXPORT)
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (cell.value for cell in row), strict=False)) for row in sheet.iter_rows(min_row=2)]
    rows = [row for row in rows if row["Fiche action"] == "FA 902"]

    def years_of(row):
        return {int(label): Decimal(str(row[label])) for label in header if label.isdigit() and row[label] is not None}

    axes = {first.title: "1", second.title: "2, 4"}
    expected = sorted(
        (fiche.title, axes[fiche.title], funder.name, Decimal(amount), {year: Decimal(v) for year, v in years.items()})
        for (fiche, funder, amount), years in splits.items()
    )
    got = [
        (row["Intitulé"], row["Axe(s)"], row["Financeur"], Decimal(str(row["Montant (€)"])), years_of(row))
        for row in rows
    ]
    assert sorted(got, key=lambda row: row[:4]) == sorted(expected, key=lambda row: row[:4])
    titles = [row["Intitulé"] for row in rows]
    assert titles in ([first.title] * 2 + [second.title] * 2, [second.title] * 2 + [first.title] * 2)


def test_export_query_count_does_not_grow_with_lines(client, coordinator, lines, django_assert_max_num_queries, bdt):
    client.force_login(coordinator)
    with django_assert_max_num_queries(12) as small:
        client.get(EXPORT)
    for _ in range(20):
        line = f.FundingLineFactory(funder=bdt, action=f.ActionFactory(axes=[f.AxisFactory(number="2")]))
        f.FundingLineYearFactory(funding_line=line)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(EXPORT)


def _decision(line, **changes):
    data = {
        "version": line.version,
        "status": line.status,
        "decision_reference": line.decision_reference,
        "decision_date": line.decision_date.isoformat() if line.decision_date else "",
        "years-TOTAL_FORMS": "1",
        "years-INITIAL_FORMS": "0",
        "years-MIN_NUM_FORMS": "0",
        "years-MAX_NUM_FORMS": "1000",
        "years-0-year": "",
        "years-0-amount": "",
    }
    data.update(changes)
    return data


def test_partner_confirms_its_line_and_the_history_names_it(client, partner_bdt, lines):
    line = lines["bdt_unknown"]
    client.force_login(partner_bdt)
    url = reverse("financing:funding_line_decision", args=[line.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _decision(
            line,
            status="granted",
            decision_reference="Comité d'engagement 2026-07",
            decision_date="2026-07-10",
            **{"years-0-year": "2026", "years-0-amount": "12000,00"},
        ),
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.decision_reference, line.version) == ("granted", "Comité d'engagement 2026-07", 2)
    assert [(y.year, y.amount) for y in line.years.all()] == [(2026, Decimal("12000.00"))]
    assert line.history.first().history_user == partner_bdt
    assert line.amount is None  # a partner cannot touch the amount through this form


def test_partner_cannot_update_another_funders_line(client, partner_bdt, lines):
    client.force_login(partner_bdt)
    settled = lines["region_granted"]  # visible to the BdT (accordé), not its own
    assert (
        client.post(
            reverse("financing:funding_line_decision", args=[settled.pk]), _decision(settled, status="paid")
        ).status_code
        == 403
    )
    negotiating = lines["region_negotiating"]  # not even visible
    assert client.get(reverse("financing:funding_line_decision", args=[negotiating.pk])).status_code == 404
    settled.refresh_from_db()
    assert settled.status == "granted"


def test_a_stale_form_is_refused_and_keeps_what_was_typed(client, partner_bdt, coordinator, lines):
    line = lines["bdt"]
    stale = _decision(line, status="paid", decision_reference="Versement 1")
    line._history_user = coordinator
    line.note = "relu en comité"
    line.version += 1
    line.save()
    client.force_login(partner_bdt)
    response = client.post(reverse("financing:funding_line_decision", args=[line.pk]), stale)
    assert response.status_code == 409
    assert "Quelqu&#x27;un a modifié cette ligne" in response.content.decode()
    assert 'value="Versement 1"' in response.content.decode()
    line.refresh_from_db()
    assert line.status == "granted"


def test_invalid_split_is_refused_in_french(client, partner_bdt, lines):
    line = lines["bdt"]
    client.force_login(partner_bdt)
    response = client.post(
        reverse("financing:funding_line_decision", args=[line.pk]),
        _decision(line, **{"years-0-year": "2026", "years-0-amount": "-5"}),
    )
    assert response.status_code == 400
    assert "positif ou nul" in response.content.decode()
    assert not line.years.exists()


def test_many_territories_list_the_largest_and_sum_the_others_per_basis(client, partner_bdt, bdt, monkeypatch):
    import financing.views

    # Five communes: TTC lines of 1 000 to 5 000 €, and one HT line of 700 € in the first.
    communes = [f.OrganisationFactory(key=f"commune-{n}", name=f"Commune {n}", kind="commune") for n in range(1, 6)]
    for n, commune in enumerate(communes, start=1):
        fiche = f.ActionFactory(code=f"FA 95{n}", territory=commune, cost_basis="TTC")
        f.FundingLineFactory(action=fiche, funder=bdt, amount=Decimal(1000 * n), status="granted", basis="TTC")
    first = f.ActionFactory(code="FA 950", territory=communes[0], cost_basis="HT")
    f.FundingLineFactory(action=first, funder=bdt, amount=Decimal("700"), status="granted", basis="HT")
    client.force_login(partner_bdt)

    def table():
        section = client.get(PORTAL).content.decode().split('id="h-communes"')[1].split("</section>")[0]
        cells = re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', section)
        return [(name, amount.replace("\u202f", " ").replace("\xa0", " ")) for name, amount in cells], section

    # Few rows: all of them, by name.
    assert [name for name, _ in table()[0]] == [
        "Commune 1 (HT)",
        "Commune 1 (TTC)",
        "Commune 2 (TTC)",
        "Commune 3 (TTC)",
        "Commune 4 (TTC)",
        "Commune 5 (TTC)",
    ]
    monkeypatch.setattr(financing.views, "TERRITORY_ROWS_SHOWN", 2)
    rows, section = table()
    # The two largest, the largest first; the others summed per basis, never HT with TTC.
    assert rows == [
        ("Commune 5 (TTC)", "5 000 €"),
        ("Commune 4 (TTC)", "4 000 €"),
        ("3 autres territoires (TTC)", "6 000 €"),
        ("Un autre territoire (HT)", "700 €"),
    ]
    assert "le classeur de vos engagements (XLSX)" in section
