"""Roll-ups on a small plan whose totals were worked out by hand.

The plan (convention of its own, so the reference programme never interferes):
  A1 Béthune, axe 4, 100 000 € TTC — État 40 000 accordé (20 000 in 2025, 20 000 in 2026), Région 20 000
     sollicité, Béthune itself 10 000 prévu, BdT amount unknown, ANAH 5 000 refusé
  A2 Bruay, axes 3 and 4, 30 000 à 50 000 € TTC — Région 10 000 versé (2024)
  A3 Bruay, axe 3, 20 000 € HT — État 25 000 accordé (more than the cost)
  A4 Béthune, axe 3, à déterminer — no line
  A5 agglomération, no axe, 35 000 à 40 000 €/an TTC — no line
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from actions.models import Action
from financing.models import FundingLine, FundingLineYear
from tests import factories as f

D = Decimal


@pytest.fixture
def plan(db):
    convention = f.ConventionFactory(key="plan-a-la-main")
    org = {
        key: f.OrganisationFactory(key=f"t-{key}", name=f"Test {key}", kind=kind)
        for key, kind in [
            ("bethune", "commune"),
            ("bruay", "commune"),
            ("agglo", "epci"),
            ("etat", "etat"),
            ("region", "region"),
            ("bdt", "agence"),
            ("anah", "agence"),
        ]
    }
    axis3 = f.AxisFactory(number="3")
    axis4 = f.AxisFactory(number="4")

    def action(code, territory, axes, **cost):
        return f.ActionFactory(convention=convention, code=code, territory=org[territory], axes=axes, **cost)

    a1 = action("A1", "bethune", [axis4], cost_kind="exact", cost_amount=D("100000"), cost_basis="TTC")
    a2 = action(
        "A2",
        "bruay",
        [axis3, axis4],
        cost_kind="range",
        cost_amount=None,
        cost_min=D("30000"),
        cost_max=D("50000"),
        cost_basis="TTC",
    )
    a3 = action("A3", "bruay", [axis3], cost_kind="exact", cost_amount=D("20000"), cost_basis="HT")
    a4 = action("A4", "bethune", [axis3], cost_kind="unknown", cost_amount=None, cost_basis="")
    a5 = action(
        "A5",
        "agglo",
        [],
        cost_kind="range",
        cost_amount=None,
        cost_min=D("35000"),
        cost_max=D("40000"),
        cost_per_year=True,
        cost_basis="TTC",
    )

    def line(act, funder, amount, status):
        return f.FundingLineFactory(action=act, funder=org[funder], amount=amount, status=status)

    etat_a1 = line(a1, "etat", D("40000"), "granted")
    f.FundingLineYearFactory(funding_line=etat_a1, year=2025, amount=D("20000"))
    f.FundingLineYearFactory(funding_line=etat_a1, year=2026, amount=D("20000"))
    line(a1, "region", D("20000"), "requested")
    line(a1, "bethune", D("10000"), "planned")
    line(a1, "bdt", None, "planned")
    line(a1, "anah", D("5000"), "refused")
    region_a2 = line(a2, "region", D("10000"), "paid")
    f.FundingLineYearFactory(funding_line=region_a2, year=2024, amount=D("10000"))
    line(a3, "etat", D("25000"), "granted")
    return {"convention": convention, "org": org, "actions": {a.code: a for a in (a1, a2, a3, a4, a5)}}


def _actions(plan):
    return Action.objects.filter(convention=plan["convention"])


def test_each_fiche_knows_its_funding_by_status(plan):
    a1 = _actions(plan).with_totals().get(code="A1")
    assert (a1.funding_granted, a1.funding_requested, a1.funding_planned, a1.funding_paid, a1.funding_refused) == (
        D("40000"),
        D("20000"),
        D("10000"),
        D("0"),
        D("5000"),
    )
    assert a1.funding_total == D("70000")  # refused lines fund nothing; the unknown one is not zero...
    assert a1.funding_unknown_lines == 1  # ...it is counted apart
    assert a1.share_planned == D("70.0")
    assert a1.funding_acquired == D("40000") and a1.share_acquired == D("40.0")  # accordé + versé only
    assert a1.remaining_for_owner == D("40000")  # 100 000 − partners' 60 000 (Béthune's own 10 000 is its share)
    assert not a1.is_overfunded


def test_range_and_unknown_costs_have_no_share(plan):
    totals = {a.code: a for a in _actions(plan).with_totals()}
    assert (totals["A2"].cost_low, totals["A2"].cost_high) == (D("30000"), D("50000"))
    assert totals["A2"].share_planned is None and totals["A2"].share_acquired is None
    assert totals["A2"].remaining_for_owner is None
    assert totals["A4"].cost_low is None
    assert totals["A4"].share_planned is None
    assert totals["A3"].is_overfunded
    assert totals["A3"].share_planned == D("125.0")


def test_cost_totals_keep_ht_ttc_and_yearly_costs_apart(plan):
    totals = _actions(plan).cost_totals()
    by_basis = {row["basis"]: row for row in totals["by_basis"]}
    assert (by_basis["TTC"]["low"], by_basis["TTC"]["high"], by_basis["TTC"]["count"]) == (D("130000"), D("150000"), 2)
    assert (by_basis["HT"]["low"], by_basis["HT"]["high"]) == (D("20000"), D("20000"))
    assert (by_basis[""]["count"], by_basis[""]["unknown"], by_basis[""]["low"]) == (1, 1, D("0"))
    assert totals["per_year"] == [{"basis": "TTC", "low": D("35000"), "high": D("40000"), "count": 1, "unknown": 0}]


def test_funding_by_status_over_the_plan(plan):
    totals = FundingLine.objects.for_actions(_actions(plan)).by_status()
    assert totals["granted"] == D("65000")
    assert totals["requested"] == D("20000")
    assert totals["planned"] == D("10000")
    assert totals["paid"] == D("10000")
    assert totals["refused"] == D("5000")
    assert totals["total"] == D("105000")
    assert totals["unknown_lines"] == 1


def test_funding_per_partner(plan):
    """Per funder and basis: the État gives 40 000 € on A1 (TTC) and 25 000 € on A3 (HT) — two rows, never
    one of 65 000 €."""
    rows = {
        (row["funder__key"], row["basis_of_line"]): row
        for row in FundingLine.objects.for_actions(_actions(plan)).by_funder()
    }
    assert rows[("t-etat", "TTC")]["total"] == D("40000")
    assert rows[("t-etat", "HT")]["total"] == D("25000")
    region = rows[("t-region", "TTC")]
    assert (region["requested"], region["paid"], region["total"]) == (D("20000"), D("10000"), D("30000"))
    assert (rows[("t-bdt", "TTC")]["total"], rows[("t-bdt", "TTC")]["unknown_lines"]) == (D("0"), 1)
    assert (rows[("t-anah", "TTC")]["total"], rows[("t-anah", "TTC")]["refused"]) == (D("0"), D("5000"))
    assert next(iter(rows)) == ("t-etat", "TTC")  # biggest first


def test_fiches_and_cost_per_axe(plan):
    """Per axe and basis of cost: axe 3 holds A2 (30 000 à 50 000 € TTC), A3 (20 000 € HT) and A4 (à
    déterminer, no basis) — three rows; axe 4 holds A1 and A2, both TTC: 130 000 à 150 000 €."""
    rows = {(row["axes__number"], row["cost_basis"]): row for row in _actions(plan).by_axis()}
    assert (rows[("3", "TTC")]["count"], rows[("3", "TTC")]["cost_low"], rows[("3", "TTC")]["cost_high"]) == (
        1,
        D("30000"),
        D("50000"),
    )
    assert (rows[("3", "HT")]["count"], rows[("3", "HT")]["cost_low"]) == (1, D("20000"))
    assert (rows[("3", "")]["count"], rows[("3", "")]["cost_high"]) == (1, D("0"))
    assert (rows[("4", "TTC")]["count"], rows[("4", "TTC")]["cost_low"], rows[("4", "TTC")]["cost_high"]) == (
        2,
        D("130000"),
        D("150000"),
    )
    assert rows[(None, "TTC")]["count"] == 1  # A5 has no axe


def test_funding_per_axe_and_per_commune(plan):
    """Lines read in their fiche's basis: axe 3 gets A2's Région 10 000 € (TTC) and A3's État 25 000 € (HT);
    axe 4 gets A1's 70 000 € and A2's 10 000 €, all TTC."""
    lines = FundingLine.objects.for_actions(_actions(plan))
    by_axis = {(row["action__axes__number"], row["basis_of_line"]): row["total"] for row in lines.by_axis()}
    assert by_axis == {("3", "TTC"): D("10000"), ("3", "HT"): D("25000"), ("4", "TTC"): D("80000")}
    by_territory = {
        (row["action__territory__name"], row["basis_of_line"]): row["total"] for row in lines.by_territory()
    }
    assert by_territory == {
        ("Test bethune", "TTC"): D("70000"),
        ("Test bruay", "TTC"): D("10000"),
        ("Test bruay", "HT"): D("25000"),
    }


def test_fiches_per_commune_and_status(plan):
    by_territory = {row["territory__name"]: row["count"] for row in _actions(plan).by_territory()}
    assert by_territory == {"Test agglo": 1, "Test bethune": 2, "Test bruay": 2}
    assert {row["status"]: row["count"] for row in _actions(plan).by_status()} == {"unknown": 5}


def test_funding_per_year(plan):
    lines = FundingLine.objects.for_actions(_actions(plan))
    rows = {row["year"]: row for row in FundingLineYear.objects.filter(funding_line__in=lines).by_year()}
    assert rows[2024]["paid"] == D("10000")
    assert rows[2025]["granted"] == rows[2026]["granted"] == D("20000")
    assert [rows[y]["total"] for y in (2024, 2025, 2026)] == [D("10000"), D("20000"), D("20000")]


def test_fiche_rollups_do_not_multiply_rows(plan, django_assert_num_queries):
    with django_assert_num_queries(1):
        fiches = list(_actions(plan).with_totals())
    assert len(fiches) == 5


def test_shares_are_computed_per_basis_and_never_add_ht_to_ttc(plan, coordinator, partner_bdt):
    """By hand: the one-off costs are A1 100 000 € TTC and A3 20 000 € HT (lines without a basis read in their
    fiche's). TTC: acquired 40 000 (État, accordé) → 40,0 %; planned 40 000 + 20 000 + 10 000 = 70 000 → 70,0 %.
    HT: acquired = planned = 25 000 → 125,0 %. Never one share of 125 000 € over 120 000 €."""
    by_basis = {row["basis"]: row for row in _actions(plan).comparable_funding(coordinator)["by_basis"]}
    assert set(by_basis) == {"TTC", "HT"}
    ttc, ht = by_basis["TTC"], by_basis["HT"]
    assert (ttc["cost"], ttc["acquired"], ttc["acquired_share"]) == (D("100000"), D("40000"), D("40.0"))
    assert (ttc["planned"], ttc["planned_share"]) == (D("70000"), D("70.0"))
    assert (ht["cost"], ht["acquired"], ht["acquired_share"], ht["planned_share"]) == (
        D("20000"),
        D("25000"),
        D("125.0"),
        D("125.0"),
    )
    partner = {row["basis"]: row for row in _actions(plan).comparable_funding(partner_bdt)["by_basis"]}
    assert partner["TTC"]["acquired_share"] == D("40.0") and partner["TTC"]["planned"] is None


def test_comparable_costs_read_with_the_cost_totals_give_the_same_shares(plan, coordinator, partner_bdt):
    """The list, the dashboard, the API and the report take the comparable costs from cost_totals(), in its pass
    over the fiches: the same shares as comparable_funding() reading them itself, for each viewer. A basis whose
    fiches have no one-off number (A4, of unknown cost and basis) has no comparable cost; ranges (A2, A5) none."""
    fiches = _actions(plan)
    totals = fiches.cost_totals()
    assert totals["comparable"] == {"TTC": D("100000"), "HT": D("20000")}
    for viewer in (coordinator, partner_bdt):
        assert fiches.comparable_funding(viewer, costs=totals["comparable"]) == fiches.comparable_funding(viewer)


def test_a_line_in_another_basis_than_its_cost_is_in_no_share_and_flagged(plan, coordinator):
    """An ANRU line of 15 000 € HT on A1 (a TTC cost): A1 gets no share and says why; the programme's TTC share
    is unchanged (40 000 / 100 000) and the line is counted apart."""
    a1 = plan["actions"]["A1"]
    anru = f.OrganisationFactory(key="t-anru", name="Test anru", kind="agence")
    f.FundingLineFactory(action=a1, funder=anru, amount=D("15000"), basis="HT", status="granted")
    fiche = _actions(plan).with_totals(coordinator).get(code="A1")
    assert fiche.share_acquired is None and fiche.share_planned is None
    assert "HT pour un coût TTC" in fiche.share_unavailable_reason
    result = _actions(plan).comparable_funding(coordinator)
    ttc = next(row for row in result["by_basis"] if row["basis"] == "TTC")
    assert (ttc["acquired"], ttc["planned"]) == (D("40000"), D("70000"))
    assert result["other_basis"] == {"lines": 1, "amount": D("15000")}


def test_a_fiche_with_lines_in_both_bases_gives_its_totals_per_basis(client, plan, coordinator):
    """A1 (100 000 € TTC) gets an ANRU line of 15 000 € HT, accordé: the fiche page gives the acquis per basis —
    40 000 € TTC and 15 000 € HT — and no share."""
    from django.urls import reverse

    a1 = plan["actions"]["A1"]
    anru = f.OrganisationFactory(key="t-anru2", name="Test anru 2", kind="agence")
    f.FundingLineFactory(action=a1, funder=anru, amount=D("15000"), basis="HT", status="granted")
    client.force_login(coordinator)
    response = client.get(reverse("actions:action_detail", args=[a1.pk]))
    acquired = {row["basis"]: row["total"] for row in response.context["funding_by_basis"]["acquired"]}
    assert acquired == {"TTC": D("40000"), "HT": D("15000")}
    body = response.content.decode()
    assert "Acquis par base HT / TTC" in body and "Part non calculable" in body
    # No single figure adding 40 000 € TTC to 15 000 € HT, on the page or in its PDF.
    assert "Acquis (accordé et versé, tous financeurs)" not in body and "55\u202f000" not in body
    assert "TTC : 10\u202f000\u00a0€ · 20\u202f000\u00a0€ · 40\u202f000\u00a0€ · 0\u00a0€" in body
    from tests.evaluation.pdf import pdf_text

    text = pdf_text(client.get(reverse("evaluation:action_pdf", args=[a1.pk])).content)
    assert "par base HT / TTC" in text and "40 000 € TTC" in text and "15 000 € HT" in text
    assert "55 000" not in text


def test_the_dashboard_gives_the_year_table_of_one_territory(client, plan, coordinator):
    client.force_login(coordinator)

    def years(**params):
        context = client.get("/", params).context
        return context["year_territory"], [
            (row["year"], row["granted"], row["paid"]) for row in context["funding_by_year"]
        ]

    assert years() == (None, [(2024, D("0"), D("10000")), (2025, D("20000"), D("0")), (2026, D("20000"), D("0"))])
    bruay = plan["org"]["bruay"]
    chosen, rows = years(territory=bruay.pk)
    assert chosen["label"] == "Test bruay" and rows == [(2024, D("0"), D("10000"))]
    assert years(territory=plan["org"]["bethune"].pk)[1] == [(2025, D("20000"), D("0")), (2026, D("20000"), D("0"))]
    # Typed by its name, case and accents aside (the text input with suggestions of a long list sends the name);
    # the short list then shows that commune chosen.
    assert years(territory="TEST BRUAY")[1] == [(2024, D("0"), D("10000"))]
    by_name = client.get("/", {"territory": "TEST BRUAY"}).content.decode()
    assert f'<option value="{bruay.pk}" selected>Test bruay</option>' in by_name
    # A territory with no fiche of the programme, or a name no commune has: the whole programme, and the choice
    # is refused in words.
    assert years(territory=plan["org"]["etat"].pk)[0] is None
    assert years(territory="x")[0] is None
    refused = client.get("/", {"territory": "x"}).content.decode()
    assert "« x » ne figure pas parmi les choix" in refused
    page = client.get("/", {"territory": bruay.pk}).content.decode()
    assert "Financements par année — Test bruay" in page
    assert f'<option value="{bruay.pk}" selected>Test bruay</option>' in page
    # A year is written as a year, not grouped like an amount (the table read « 2 024 »).
    assert '<th scope="row">2024</th>' in page and "2\u202f024" not in page


def test_the_dashboard_counts_the_lines_of_unknown_amount_each_reader_sees(client, plan, coordinator, partner_bdt, bdt):
    a1, a3 = plan["actions"]["A1"], plan["actions"]["A3"]
    # Besides the Banque des Territoires' planned line of unknown amount on A1 (TTC): one granted on A3, in HT, and a
    # refused one, which funds nothing and is not counted.
    f.FundingLineFactory(action=a3, funder=plan["org"]["region"], amount=None, status="granted", basis="HT")
    f.FundingLineFactory(action=a1, funder=plan["org"]["anah"], amount=None, status="refused")
    f.FundingLineFactory(action=a3, funder=bdt, amount=D("1000"), status="planned")

    def said(user):
        client.force_login(user)
        section = client.get("/").content.decode().split('id="h-funding"')[1].split("</section>")[0]
        return re.findall(r"(\d+) lignes? au montant à déterminer", section)

    assert said(coordinator) == ["2"]  # of both bases: a count, not an amount
    assert said(partner_bdt) == ["1"]  # the settled line of A3, the fiche it funds; not the planned one of A1


def test_the_dashboard_s_territory_choice_loads_on_demand_beyond_a_list_s_length(client, plan, coordinator, settings):
    # 250 communes at national scale: no list of hundreds of options, a text input with suggestions instead.
    client.force_login(coordinator)
    settings.ACV_FILTER_MAX_OPTIONS = 1
    page = client.get("/").content.decode()
    assert 'id="year-territory"' in page and "<option" not in page.split('id="h-years"')[1].split("</form>")[0]
    assert f'hx-get="{reverse("actions:filter_choices", args=["territory"])}"' in page
    suggested = client.get(reverse("actions:filter_choices", args=["territory"]), {"territory": "bru"})
    assert "Test bruay" in suggested.content.decode() and "Test bethune" not in suggested.content.decode()
    chosen = client.get("/", {"territory": "Test bruay"})
    assert chosen.context["year_territory"]["label"] == "Test bruay"
    assert 'value="Test bruay"' in chosen.content.decode()


def test_the_dashboard_lists_the_communes_with_the_most_fiches_when_they_are_many(
    client, plan, coordinator, monkeypatch
):
    import actions.views

    client.force_login(coordinator)

    def communes():
        page = client.get("/").content.decode()
        table = page.split('id="h-territory"')[1].split("</section>")[0]
        return [
            (name, count)
            for name, count in re.findall(r'<th scope="row">([^<]+)</th><td class="num">(?:<a[^>]*>)?(\d+)', table)
        ], table

    # Béthune 2 fiches, Bruay 2, the agglomeration 1: all listed, by name.
    assert communes()[0] == [("Test agglo", "1"), ("Test bethune", "2"), ("Test bruay", "2")]
    monkeypatch.setattr(actions.views, "TERRITORIES_SHOWN", 2)
    f.ActionFactory(convention=plan["convention"], code="A9", territory=plan["org"]["bruay"])
    rows, table = communes()
    # The two with the most fiches, the most first; the others counted on one row, and the list reaches them.
    assert rows == [("Test bruay", "3"), ("Test bethune", "2"), ("L'autre commune", "1")]
    assert "Les 2 communes qui ont le plus de fiches action" in table
    monkeypatch.setattr(actions.views, "TERRITORIES_SHOWN", 1)
    assert communes()[0] == [("Test bruay", "3"), ("Les 2 autres communes", "3")]


def test_funding_per_territory_and_year_in_the_semester_report(plan):
    from evaluation.reports import semester_report_pdf
    from tests.evaluation.pdf import pdf_text

    lines = FundingLine.objects.for_actions(_actions(plan))
    rows = [
        (row["funding_line__action__territory__name"], row["year"], row["granted"], row["paid"])
        for row in FundingLineYear.objects.filter(funding_line__in=lines).by_year(per_territory=True)
    ]
    assert rows == [
        ("Test bethune", 2025, D("20000"), D("0")),
        ("Test bethune", 2026, D("20000"), D("0")),
        ("Test bruay", 2024, D("0"), D("10000")),
    ]
    text = pdf_text(semester_report_pdf(_actions(plan), year=2026, semester=2))
    assert "Financements par territoire et par année" in text
    assert "Test bruay 2024 TTC 0 € 0 € 0 € 10 000 €" in text


def test_a_hidden_line_in_another_basis_says_nothing_to_a_partner(plan, bdt, coordinator, partner_bdt):
    """A1 (100 000 € TTC, État 40 000 € accordé) gets a prévu line of 15 000 € HT that the Banque des Territoires
    may not read, and a line of its own. The part acquise (40 000 € TTC of settled lines) is 40 % for everyone;
    the part prévue, the reste à financer and the maître d'ouvrage's share mix HT and TTC: not computed."""
    a1 = plan["actions"]["A1"]
    anru = f.OrganisationFactory(key="t-anru3", name="Test anru 3", kind="agence")
    f.FundingLineFactory(action=a1, funder=anru, amount=D("15000"), basis="HT", status="planned")
    f.FundingLineFactory(action=a1, funder=bdt, amount=D("1000"), basis="TTC", status="planned")
    for_partner = Action.objects.visible_to(partner_bdt).with_totals(partner_bdt).get(pk=a1.pk)
    assert for_partner.share_acquired == D("40.0") and for_partner.share_unavailable_reason == ""
    for_coordinator = Action.objects.visible_to(coordinator).with_totals(coordinator).get(pk=a1.pk)
    assert for_coordinator.share_acquired == D("40.0")
    assert for_coordinator.share_planned is None and for_coordinator.to_fund is None
    assert for_coordinator.remaining_for_owner is None and not for_coordinator.is_overfunded
    assert for_coordinator.share_unavailable_reason == "Part non calculable : des lignes sont en HT pour un coût TTC."


def test_the_part_prevue_and_the_part_acquise_per_basis_come_from_one_pass(plan, django_assert_num_queries):
    """The footer of the list reads both from one query: the same rows as by_basis() and settled().by_basis()."""
    from financing.models import FundingSummary

    acts, org = plan["actions"], plan["org"]
    # A settled line of unknown amount, and a basis (none: A4 has no cost basis) with no settled line.
    f.FundingLineFactory(action=acts["A3"], funder=org["region"], amount=None, status="granted")
    f.FundingLineFactory(action=acts["A4"], funder=org["etat"], amount=D("3000"), status="planned")
    for rows in (
        FundingLine.objects.filter(action__convention=plan["convention"]),
        FundingSummary.objects.for_actions(_actions(plan)),
    ):
        with django_assert_num_queries(1):
            planned, settled = rows.by_basis_and_settled()
        assert (planned, settled) == (rows.by_basis(), rows.settled().by_basis())
        assert [(row["basis"], row["total"], row["unknown_lines"]) for row in settled] == [
            ("TTC", D("50000"), 0),
            ("HT", D("25000"), 1),
        ]
        assert [row["basis"] for row in planned] == ["TTC", "HT", ""]
