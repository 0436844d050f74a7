"""The funding summary (per fiche × funder × state × basis) equals a recomputation from the lines after every kind
of write: the services of the form, the API and the portal, a payment and its cancellation, a deletion, a change of
the fiche's cost or maître d'ouvrage, bulk loads and raw updates (what an import or a restored history does) and
the deletion of a fiche. And the fiche totals read from it are those of the lines, for each role."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from actions.models import Action
from actions.services import action_save
from conventions.models import Convention
from financing.managers import funding_summary_for, funding_years_for, own_funding_summary
from financing.models import (
    ConventionFundingSummary,
    ConventionFundingYear,
    FundingLine,
    FundingLineYear,
    FundingSummary,
    PartnerFundingSummary,
    PartnerFundingYear,
)
from financing.services import (
    convention_funding_summary_rows,
    convention_funding_year_rows,
    funding_line_create,
    funding_line_delete,
    funding_line_update,
    funding_lines_save,
    funding_summary_refresh,
    funding_summary_rows,
    partner_funding_summary_rows,
    partner_funding_year_rows,
    payment_cancel,
    payment_record,
)
from tests import factories as f

D = Decimal
SETTLED = ("granted", "paid")
COUNTED = ("planned", "requested", "granted", "paid")


def stored():
    return sorted(
        (row.action_id, row.funder_id, row.status, row.basis, row.amount, row.lines, row.unknown_lines)
        for row in FundingSummary.objects.all()
    )


def recomputed():
    ids = FundingLine.objects.values_list("action_id", flat=True).distinct()
    return sorted(
        (row.action_id, row.funder_id, row.status, row.basis, D(row.amount), row.lines, row.unknown_lines)
        for row in funding_summary_rows(ids)
    )


# The columns of the summaries per convention, and of the yearly split per convention.
CONVENTION_FIELDS = (
    "convention_id",
    "territory_id",
    "sub_axis_id",
    "funder_id",
    "status",
    "basis",
    "cost_basis",
    "comparable",
    "amount",
    "lines",
    "unknown_lines",
)
YEAR_FIELDS = ("convention_id", "territory_id", "year", "status", "basis", "cost_basis", "amount")


def as_tuples(rows, fields):
    """Rows of a summary as sorted tuples of `fields`, amounts as Decimals and flags as booleans: what the database
    stored and what the Python definition gives compare alike on both engines."""

    def value(row, field):
        value = getattr(row, field)
        return D(value) if field == "amount" else bool(value) if field == "comparable" else value

    return sorted(tuple(value(row, field) for field in fields) for row in rows)


def assert_summary_exact():
    assert stored() == recomputed()
    # The summaries per convention: what the triggers keep, and their definition in Python over the summary per
    # fiche (the partners': over the fiches each organisation sees); the yearly split over the lines' years.
    conventions = Convention.objects.values_list("pk", flat=True)
    for model, definition, fields in (
        (ConventionFundingSummary, convention_funding_summary_rows, CONVENTION_FIELDS),
        (PartnerFundingSummary, partner_funding_summary_rows, ("partner_id", *CONVENTION_FIELDS)),
        (ConventionFundingYear, convention_funding_year_rows, YEAR_FIELDS),
        (PartnerFundingYear, partner_funding_year_rows, ("partner_id", *YEAR_FIELDS)),
    ):
        assert as_tuples(model.objects.all(), fields) == as_tuples(definition(conventions), fields), model.__name__


def totals_from_lines(action, partner_org=None):
    """The oracle: the with_totals figures added up in Python from the fiche's lines."""
    lines = list(FundingLine.objects.filter(action=action))

    def total(statuses, funder=None):
        return sum(
            (x.amount or D(0) for x in lines if x.status in statuses and (funder is None or x.funder_id == funder)),
            D(0),
        )

    expected = {
        "funding_acquired": total(SETTLED),
        "funding_acquired_unknown_lines": sum(1 for x in lines if x.status in SETTLED and x.amount is None),
    }
    if partner_org is None:
        expected["funding_total"] = total(COUNTED)
        expected["funding_partners"] = sum(
            (x.amount or D(0) for x in lines if x.status in COUNTED and x.funder_id != action.project_owner_id), D(0)
        )
        expected["funding_refused"] = total(("refused",))
        expected["funding_basis_conflicts"] = sum(
            1
            for x in lines
            if x.status in COUNTED and x.basis and action.cost_basis in ("HT", "TTC") and x.basis != action.cost_basis
        )
    else:
        expected["funding_own"] = total(COUNTED, partner_org)
        expected["funding_own_unknown_lines"] = sum(
            1 for x in lines if x.status in COUNTED and x.funder_id == partner_org and x.amount is None
        )
    return expected


@pytest.fixture
def fiche(db, bethune):
    convention = f.ConventionFactory()
    f.AmendmentFactory(convention=convention, number=2, covers_to=datetime.date(2026, 12, 31))
    return f.ActionFactory(convention=convention, code="FA 900", territory=bethune, cost_amount=D("1000000"))


def test_summary_equals_recomputation_after_every_write(fiche, coordinator, partner_bdt, bdt, region, bethune):
    other = f.ActionFactory(convention=fiche.convention, code="FA 901", territory=bethune)
    assert_summary_exact()

    # The form / API / portal path: create, then change status, amount, basis, funder.
    line = funding_line_create(
        data={"action": fiche, "funder": bdt, "amount": D("300000"), "status": "planned"},
        years=[{"year": 2025, "amount": D("100000")}, {"year": 2026, "amount": D("150000")}],
        user=coordinator,
    )
    assert_summary_exact()
    unknown = funding_line_create(
        data={"action": fiche, "funder": region, "amount": None, "status": "requested"}, years=None, user=coordinator
    )
    assert_summary_exact()
    line = funding_line_update(
        line=line, changes={"status": "granted"}, years=None, user=partner_bdt, expected_version=1
    )
    assert_summary_exact()
    line = funding_line_update(
        line=line, changes={"amount": D("250000.55")}, years=None, user=coordinator, expected_version=2
    )
    line = funding_line_update(line=line, changes={"basis": "HT"}, years=None, user=coordinator, expected_version=3)
    assert_summary_exact()
    funding_line_update(line=unknown, changes={"action": other}, years=None, user=coordinator, expected_version=1)
    assert_summary_exact()

    # Payments: a partial one, the balance (the line becomes « versé »), then a cancellation (accordé again).
    payment_record(line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("50000")}, user=partner_bdt)
    balance = payment_record(
        line=line, data={"paid_on": datetime.date(2025, 6, 1), "amount": D("200000.55")}, user=partner_bdt
    )
    assert FundingSummary.objects.get(action=fiche, funder=bdt).status == "paid"
    assert_summary_exact()
    payment_cancel(payment=balance, reason="doublon", user=coordinator)
    assert FundingSummary.objects.get(action=fiche, funder=bdt).status == "granted"
    assert_summary_exact()

    # The fiche form's rows: one new, one deleted.
    funding_lines_save(
        action=other,
        rows=[
            {"funder": bethune, "amount": D("40000"), "status": "planned", "nature": "autofinancement"},
            {"id": FundingLine.objects.get(action=other).pk, "delete": True, "version": 2},
        ],
        user=coordinator,
    )
    assert_summary_exact()

    # A fiche's cost basis and maître d'ouvrage are read from the fiche: the totals follow without any write here.
    action_save(action=fiche, data={"cost_basis": "TTC", "project_owner": bdt}, user=coordinator, expected_version=1)
    fiche = Action.objects.with_totals().get(pk=fiche.pk)
    assert fiche.funding_partners == D("0")  # the Banque des Territoires now carries the fiche itself
    assert fiche.funding_basis_conflicts == 1  # its line is HT, the cost TTC
    assert_summary_exact()

    # Naming a partner on a fiche makes it see the fiche's settled lines; removing it, no longer.
    fiche.partners.add(region)
    assert_summary_exact()
    assert PartnerFundingSummary.objects.filter(partner=region, convention=fiche.convention).exists()
    fiche.partners.remove(region)
    assert_summary_exact()

    # The fiche's convention, territory, sous-axe and kind of cost group the summary per convention: a change of
    # one moves its figures, on the form's path and around it.
    action_save(
        action=fiche,
        data={"cost_kind": "range", "cost_min": D("1"), "cost_max": D("2")},
        user=coordinator,
        expected_version=2,
    )
    assert_summary_exact()
    elsewhere = f.ConventionFactory()
    Action.objects.filter(pk=fiche.pk).update(convention=elsewhere, territory=region, sub_axis=f.SubAxisFactory())
    assert_summary_exact()
    assert ConventionFundingSummary.objects.filter(convention=elsewhere, territory=region).exists()
    Action.objects.filter(pk=fiche.pk).update(
        cost_per_year=True,
        cost_kind="exact",
        cost_amount=D("5000"),
        cost_min=None,
        cost_max=None,
        convention=fiche.convention,
    )
    assert_summary_exact()

    # Around the services: a bulk load, a raw update and a history restored (a plain save), as an import may do.
    FundingLine.objects.bulk_create(
        [FundingLine(action=other, funder=region, amount=D(n), status="granted", basis="TTC") for n in (10, 20)]
    )
    FundingLine.objects.filter(action=other, funder=region).update(amount=D("15.5"))
    # The yearly split around the services too: added, changed, moved to another line, removed.
    split = FundingLineYear.objects.create(funding_line=line, year=2024, amount=D("10.10"))
    assert_summary_exact()
    FundingLineYear.objects.filter(pk=split.pk).update(amount=D("20.20"), year=2023)
    assert_summary_exact()
    FundingLineYear.objects.filter(pk=split.pk).update(funding_line=unknown)
    assert_summary_exact()
    split.delete()
    assert_summary_exact()
    restored = FundingLine.objects.filter(action=other, funder=region).first()
    restored.status = "refused"
    restored.save()
    assert_summary_exact()

    funding_line_delete(line=restored, user=coordinator)  # a line with payments is protected
    assert_summary_exact()
    other.delete()
    assert_summary_exact()
    assert not FundingSummary.objects.filter(action_id=other.pk).exists()


def test_refresh_from_python_repairs_a_summary_loaded_around_the_triggers(fiche, bdt):
    f.FundingLineFactory(action=fiche, funder=bdt, amount=D("12.34"), status="granted")
    FundingSummary.objects.all().delete()
    funding_summary_refresh([fiche.pk])
    assert_summary_exact()
    assert stored()


def test_totals_read_from_the_summary_are_those_of_the_lines(fiche, partner_bdt, bdt, region, bethune):
    rows = [
        (bethune, D("100000"), "planned", ""),
        (bdt, D("200000.10"), "granted", "TTC"),
        (bdt, None, "paid", ""),
        (region, D("300000"), "requested", "HT"),
        (region, D("50000"), "refused", ""),
        (region, D("70000"), "paid", "HT"),
    ]
    for funder, amount, status, basis in rows:
        f.FundingLineFactory(action=fiche, funder=funder, amount=amount, status=status, basis=basis)
    whole = Action.objects.with_totals().get(pk=fiche.pk)
    for name, value in totals_from_lines(fiche).items():
        assert getattr(whole, name) == value, name
    seen_by_partner = Action.objects.visible_to(partner_bdt).with_totals(partner_bdt).get(pk=fiche.pk)
    for name, value in totals_from_lines(fiche, partner_org=bdt.pk).items():
        assert getattr(seen_by_partner, name) == value, name
    assert not hasattr(seen_by_partner, "funding_total")


def test_the_summary_per_convention_gives_the_programme_figures_of_the_summary_per_fiche(
    reference_data, coordinator, partner_bdt, cdv_coordinator, cdv_partner, outsider
):
    """What the list's footer, the dashboard and the aggregates read over the whole programme, per convention, is
    what the summary per fiche gives, key for key: on both programmes of the reference data, and a partner's own."""
    # The reference documents give no yearly split: spread a few lines of different territories, states and bases
    # (changes rolled back with the test).
    # Few of its lines are accordé or versé: settle a third of them, so that what partners see adds up something.
    lines = list(FundingLine.objects.order_by("pk").values_list("pk", flat=True))
    FundingLine.objects.filter(pk__in=lines[::3]).update(status="granted")
    FundingLine.objects.filter(pk__in=lines[1::9]).update(status="paid")
    known = FundingLine.objects.exclude(amount=None).order_by("action__territory", "pk")
    spread = [*known.filter(action__cost_basis="HT")[:6], *known.filter(action__cost_basis="TTC")[::5]]
    for index, line in enumerate(spread):
        FundingLineYear.objects.create(funding_line=line, year=2024 + index % 3, amount=line.amount / 2)
        FundingLineYear.objects.create(funding_line=line, year=2027, amount=line.amount / 4)
    # And some settled lines each partner sees, for its own year × state table.
    for partner in (partner_bdt, cdv_partner):
        for line in FundingLine.objects.visible_to(partner).settled().exclude(amount=None).order_by("pk")[:4]:
            FundingLineYear.objects.create(funding_line=line, year=2028, amount=line.amount / 3)
    for user in (coordinator, cdv_coordinator):
        fiches = Action.objects.visible_to(user)
        per_fiche = FundingSummary.objects.for_actions(fiches)
        per_convention = funding_summary_for(user, fiches, whole_programme=True)
        assert per_convention.model is ConventionFundingSummary
        assert per_fiche.by_status()["lines"] > 0
        assert per_convention.by_status() == per_fiche.by_status()
        assert per_convention.by_basis() == per_fiche.by_basis()
        assert per_convention.settled().by_basis() == per_fiche.settled().by_basis()
        assert per_convention.by_basis_and_settled() == per_fiche.by_basis_and_settled()
        assert list(per_convention.by_funder()) == list(per_fiche.by_funder())
        assert per_convention.by_territory() == list(per_fiche.by_territory())

        def key(row):
            return (row["action__sub_axis_id"] or 0, row["basis_of_line"])

        assert sorted(per_convention.by_sub_axis(), key=key) == sorted(per_fiche.by_sub_axis(), key=key)
        assert fiches.comparable_funding(user, summary=per_convention) == fiches.comparable_funding(user)
        # The year × state table, for the programme and for one territory.
        lines = FundingLine.objects.for_actions(fiches)
        per_line = FundingLineYear.objects.for_lines(lines)
        years = funding_years_for(user, lines, whole_programme=True)
        assert years.model is ConventionFundingYear
        assert list(years.by_year()) == list(per_line.by_year())
        assert list(years.by_year(per_territory=True)) == list(per_line.by_year(per_territory=True))
        territory = fiches.filter(funding_lines__years__isnull=False).values_list("territory_id", flat=True).first()
        assert list(years.of_territory(territory).by_year()) == list(per_line.of_territory(territory).by_year())

    # In ACV, several bases and comparable costs: the comparison above compared something.
    acv = funding_summary_for(coordinator, Action.objects.visible_to(coordinator), whole_programme=True)
    assert {row["basis"] for row in acv.by_basis()} >= {"HT", "TTC"}
    assert acv.of_comparable_costs().exists() and acv.exclude(comparable=True).exists()
    acv_lines = FundingLine.objects.for_actions(Action.objects.visible_to(coordinator))
    assert len({row["basis_of_line"] for row in FundingLineYear.objects.for_lines(acv_lines).by_year()}) > 1

    # A partner: its own lines over the programme, the same from either summary; another funder's rows, never.
    for partner in (partner_bdt, cdv_partner):
        fiches = Action.objects.visible_to(partner)
        # The part acquise of the fiches it sees, every funder's: per convention as per fiche.
        seen = funding_summary_for(partner, fiches, whole_programme=True)
        per_fiche = FundingSummary.objects.for_actions(fiches).settled()
        assert seen.model is PartnerFundingSummary
        assert seen.by_status()["lines"] > 0
        assert seen.settled().by_status() == per_fiche.by_status()
        assert seen.settled().by_basis() == per_fiche.by_basis()
        assert list(seen.settled().by_funder()) == list(per_fiche.by_funder())
        assert seen.settled().by_territory() == list(per_fiche.by_territory())
        assert fiches.comparable_funding(partner, summary=seen) == fiches.comparable_funding(partner)
        # Its year × state table: the years of the settled lines of the fiches it sees, for the programme and for
        # one territory.
        settled = FundingLine.objects.visible_to(partner).for_actions(fiches).settled()
        per_line = FundingLineYear.objects.for_lines(settled)
        years = funding_years_for(partner, settled, whole_programme=True)
        assert years.model is PartnerFundingYear
        assert per_line.exists()
        assert list(years.by_year()) == list(per_line.by_year())
        assert list(years.by_year(per_territory=True)) == list(per_line.by_year(per_territory=True))
        territory = per_line.values_list("funding_line__action__territory_id", flat=True).first()
        assert list(years.of_territory(territory).by_year()) == list(per_line.of_territory(territory).by_year())
        own = own_funding_summary(partner, fiches, whole_programme=True)
        assert own.by_status()["lines"] > 0
        assert own.by_basis() == own_funding_summary(partner, fiches, whole_programme=False).by_basis()
        assert set(ConventionFundingSummary.objects.visible_to(partner).values_list("funder_id", flat=True)) == {
            partner.profiles.get().organisation_id
        }
    # A programme's rows are its own: none of ACV's conventions for the Contrat de Ville, none for an outsider.
    cdv_rows = ConventionFundingSummary.objects.visible_to(cdv_coordinator)
    assert set(cdv_rows.values_list("convention__programme__code", flat=True)) == {"cdv"}
    assert not ConventionFundingSummary.objects.visible_to(outsider).exists()
    # The partners' yearly split: each partner its own rows, nobody else any.
    bdt_id = partner_bdt.profiles.get().organisation_id
    assert set(PartnerFundingYear.objects.visible_to(partner_bdt).values_list("partner_id", flat=True)) == {bdt_id}
    assert PartnerFundingYear.objects.exclude(partner_id=bdt_id).exists()
    for user in (coordinator, cdv_coordinator, outsider):
        assert not PartnerFundingYear.objects.visible_to(user).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer in at a time: two writes cannot interleave"
)
@pytest.mark.django_db(transaction=True)
def test_two_writers_on_fiches_of_one_convention_leave_an_exact_summary(bethune, bdt):
    """Two transactions write lines of two fiches of one convention at the same time: the second recomputes the
    convention's rows once the first has committed (it waits for the convention), so neither's lines are lost
    from the summary per convention and no row is doubled."""
    convention = f.ConventionFactory()
    first, second = (f.ActionFactory(convention=convention, territory=bethune) for _ in range(2))
    written, errors = threading.Event(), []

    def writer(fiche, funder, amount, wait_for=None, then=None):
        try:
            if wait_for is not None:
                wait_for.wait(5)
            with transaction.atomic():
                FundingLine.objects.create(action=fiche, funder=funder, amount=D(amount), status="granted")
                if then is not None:
                    then.set()
                    time.sleep(0.5)  # the other writer's line goes in while this one is not yet committed
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=(first, bdt, "100", None, written)),
        threading.Thread(target=writer, args=(second, bdt, "30", written)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_summary_exact()
    rows = ConventionFundingSummary.objects.filter(convention=convention)
    assert sorted((row.funder_id, row.amount, row.lines) for row in rows) == [(bdt.pk, D("130"), 2)]
