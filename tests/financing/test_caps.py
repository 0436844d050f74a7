"""Caps of schemes and ceilings of envelopes: the warnings a funding line gets, the Enveloppes page, the alerts.

Figures are worked out by hand in the comments. Over a cap is a warning, not an error: these functions only
read, the line is stored whatever they say.
"""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import Action
from acv.access import UnrestrictedQuerySet
from acv.values import format_euros, fuzzy_date_until
from financing import caps
from financing.models import Envelope
from tests import factories as f

ENVELOPES = reverse("financing:envelope_list")
LIST = reverse("actions:action_list")
PORTAL = reverse("financing:partner_portal")
D = Decimal


def _plain(text):
    """French formats use no-break and narrow no-break spaces; the comparisons below are written with spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _warnings(line):
    return [_plain(warning) for warning in caps.line_warnings(line)]


def _fiche(territory, start=datetime.date(2024, 1, 1), end=datetime.date(2025, 12, 31), **extra):
    """A fiche dated 2024-2025 unless told otherwise (`end` is the last day covered, `end_until`)."""
    return f.ActionFactory(territory=territory, start_on=start, end_until=end, **extra)


def _consumption(user, envelope):
    (row,) = caps.envelope_consumption(Envelope.objects.visible_to(user).filter(pk=envelope.pk))
    return row


# -- Scheme caps --------------------------------------------------------------------------------------------------


@pytest.fixture
def fiche(bethune):
    # Cost 1 000 000 € TTC: large enough that no rate is in play in the amount-cap tests.
    return _fiche(bethune, cost_amount=D("1000000.00"))


@pytest.mark.parametrize(
    ("name", "cap"),
    [
        # The example of the brief: 70 000 € per line.
        ("DSIL", D("70000.00")),
        # The Fonds de Cohésion Sociale « ne peut excéder le montant de 2 000 € ».
        ("Fonds de Cohésion Sociale", D("2000.00")),
    ],
)
def test_amount_cap_at_just_under_and_just_over_its_limit(fiche, name, cap):
    scheme = f.FundingSchemeFactory(name=name, max_amount=cap)
    under = f.FundingLineFactory(action=fiche, scheme=scheme, amount=cap - D("0.01"), status="requested")
    at = f.FundingLineFactory(action=fiche, scheme=scheme, amount=cap, status="requested")
    over = f.FundingLineFactory(action=fiche, scheme=scheme, amount=cap + D("0.01"), status="requested")
    assert _warnings(under) == []
    assert _warnings(at) == []
    (warning,) = _warnings(over)
    assert warning.startswith(f"Le dispositif {name} plafonne l'aide à ")
    # 70 000,01 € / 2 000,01 €: one cent over is over.
    assert "0,01 € demandés." in warning


def test_amount_cap_warning_reads_as_the_user_is_told(fiche):
    dsil = f.FundingSchemeFactory(name="DSIL", max_amount=D("70000"))
    line = f.FundingLineFactory(action=fiche, scheme=dsil, amount=D("100000"), status="requested")
    assert _warnings(line) == ["Le dispositif DSIL plafonne l'aide à 70 000 € par ligne : 100 000 € demandés."]
    line.status = "granted"
    line.save()
    assert _warnings(line) == ["Le dispositif DSIL plafonne l'aide à 70 000 € par ligne : 100 000 € accordés."]


def test_a_refused_line_or_an_unknown_amount_is_not_measured_against_a_scheme_cap(fiche):
    dsil = f.FundingSchemeFactory(name="DSIL", max_amount=D("70000"), max_rate=D("40"))
    assert _warnings(f.FundingLineFactory(action=fiche, scheme=dsil, amount=D("900000"), status="refused")) == []
    assert _warnings(f.FundingLineFactory(action=fiche, scheme=dsil, amount=None)) == []


def test_the_fonds_de_cohesion_sociale_is_at_most_the_communes_share(bethune, bruay):
    # « égale à celle de la commune dans la limite de 2 000 € »: the commune puts 1 500 € into the action.
    fcs = f.FundingSchemeFactory(name="Fonds de Cohésion Sociale", max_amount=D("2000"), at_most_share_of="commune")
    fiche = _fiche(bethune, code="FA 701", cost_amount=D("10000"))
    agglo = f.OrganisationFactory(key="cabbalr", kind="epci")
    f.FundingLineFactory(action=fiche, funder=bethune, amount=D("1000"), basis="TTC")
    f.FundingLineFactory(action=fiche, funder=bruay, amount=D("500"), basis="TTC")
    f.FundingLineFactory(action=fiche, funder=bruay, amount=D("9000"), basis="TTC", status="refused")  # funds nothing
    at = f.FundingLineFactory(action=fiche, funder=agglo, scheme=fcs, amount=D("1500"), basis="TTC")
    assert _warnings(at) == []
    at.amount = D("1500.01")
    at.save()
    assert _warnings(at) == [
        "Le dispositif Fonds de Cohésion Sociale ne dépasse pas la part des financeurs de type « commune » sur la "
        "fiche FA 701 : 1 500,01 € prévus pour 1 500 € de leur part."
    ]
    # Over both: 2 000 € per line and the 1 500 € of the communes.
    at.amount = D("2500")
    at.save()
    assert len(_warnings(at)) == 2
    # Without any commune line the share is 0 €; a commune line in another basis cannot be compared.
    alone = _fiche(bethune, code="FA 702", cost_amount=D("10000"))
    line = f.FundingLineFactory(action=alone, funder=agglo, scheme=fcs, amount=D("800"), basis="TTC")
    assert _warnings(line)[0].endswith("800 € prévus pour 0 € de leur part.")
    f.FundingLineFactory(action=alone, funder=bethune, amount=D("800"), basis="HT")
    assert "ne sont pas exprimées TTC" in _warnings(line)[0]


@pytest.fixture
def fonds_pv(db):
    """The Fonds de Concours spécifique à la Politique de la Ville: 40 % of the eligible cost, at most 70 000 €."""
    return f.FundingSchemeFactory(
        code="FONDS_CONCOURS_PV",
        name="Fonds de Concours PV",
        max_rate=D("40.00"),
        max_amount=D("70000.00"),
    )


def test_rate_cap_at_just_under_and_just_over_the_share_of_the_fiche_cost(bethune, fonds_pv):
    # Cost 100 000 € TTC × 40 % = 40 000 € at most; 70 000 € (the amount cap) is not in play.
    fiche = _fiche(bethune, code="FA 700", cost_amount=D("100000.00"), cost_basis="TTC")
    under = f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("39999.99"))
    at = f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("40000.00"))
    over = f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("40000.01"))
    assert _warnings(under) == []
    assert _warnings(at) == []
    assert _warnings(over) == [
        "Le dispositif Fonds de Concours PV plafonne l'aide à 40 % de la dépense éligible : 40 000,01 € prévus "
        "pour un coût de la fiche FA 700 de 100 000 € TTC, soit 40 000 € au plus."
    ]


def test_the_fonds_de_concours_pv_is_held_to_both_its_rate_and_its_amount(bethune, fonds_pv):
    # 200 000 € × 40 % = 80 000 €: 80 000 € is within the rate but over the 70 000 € per line.
    big = _fiche(bethune, cost_amount=D("200000.00"))
    (warning,) = _warnings(f.FundingLineFactory(action=big, scheme=fonds_pv, amount=D("80000.00")))
    assert warning == "Le dispositif Fonds de Concours PV plafonne l'aide à 70 000 € par ligne : 80 000 € prévus."
    # 1 000 000 € × 40 % = 400 000 €: 70 000 € is within both.
    huge = _fiche(bethune, cost_amount=D("1000000.00"))
    assert _warnings(f.FundingLineFactory(action=huge, scheme=fonds_pv, amount=D("70000.00"))) == []
    # 100 000 € × 40 % = 40 000 €: 70 000,01 € is over both.
    small = _fiche(bethune, cost_amount=D("100000.00"))
    amount, rate = _warnings(f.FundingLineFactory(action=small, scheme=fonds_pv, amount=D("70000.01")))
    assert "70 000 € par ligne" in amount
    assert "40 % de la dépense éligible" in rate


def test_rate_cap_uses_the_operation_cost_when_the_line_is_on_an_operation_that_has_one(bethune, fonds_pv):
    fiche = _fiche(bethune, cost_amount=D("100000.00"), cost_basis="HT")
    # The operation costs 50 000 € HT: 40 % = 20 000 € at most, where the fiche's cost would allow 40 000 €.
    works = f.OperationFactory(action=fiche, name="Travaux", cost_kind="exact", cost_amount=D("50000.00"))
    assert _warnings(f.FundingLineFactory(action=fiche, operation=works, scheme=fonds_pv, amount=D("20000"))) == []
    (warning,) = _warnings(f.FundingLineFactory(action=fiche, operation=works, scheme=fonds_pv, amount=D("20000.01")))
    assert "pour un coût de l'opération « Travaux » de 50 000 €, soit 20 000 € au plus." in warning
    # An operation without a cost of its own: the fiche's 100 000 € are the eligible cost (40 000 € at most).
    study = f.OperationFactory(action=fiche, name="Étude")
    assert _warnings(f.FundingLineFactory(action=fiche, operation=study, scheme=fonds_pv, amount=D("40000"))) == []
    (warning,) = _warnings(f.FundingLineFactory(action=fiche, operation=study, scheme=fonds_pv, amount=D("40000.01")))
    assert f"pour un coût de la fiche {fiche.code} de 100 000 € HT, soit 40 000 € au plus." in warning


def test_an_estimated_cost_is_an_eligible_cost(bethune, fonds_pv):
    fiche = _fiche(bethune, cost_kind="estimated", cost_amount=D("50000.00"))
    # 50 000 € × 40 % = 20 000 €.
    assert _warnings(f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("20000.00"))) == []
    assert len(_warnings(f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("20000.01")))) == 1


@pytest.mark.parametrize(
    "cost",
    [
        {"cost_kind": "unknown", "cost_amount": None},
        {"cost_kind": "range", "cost_amount": None, "cost_min": D("30000"), "cost_max": D("50000")},
        {"cost_kind": "exact", "cost_amount": D("40000"), "cost_per_year": True},
    ],
    ids=["à déterminer", "fourchette", "par an"],
)
def test_the_rate_cannot_be_checked_without_a_one_off_cost(bethune, fonds_pv, cost):
    fiche = _fiche(bethune, code="FA 701", **cost)
    assert _warnings(f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("1000"))) == [
        "Le dispositif Fonds de Concours PV plafonne l'aide à 40 % de la dépense éligible : le taux ne peut pas "
        "être vérifié, le coût de la fiche FA 701 n'est pas un montant unique connu."
    ]
    # A scheme without a rate cap has nothing to check.
    plain = f.FundingSchemeFactory(max_amount=D("70000"))
    assert _warnings(f.FundingLineFactory(action=fiche, scheme=plain, amount=D("1000"))) == []


def test_the_rate_is_not_measured_across_ht_and_ttc(bethune, fonds_pv):
    fiche = _fiche(bethune, code="FA 702", cost_amount=D("100000.00"), cost_basis="HT")
    line = f.FundingLineFactory(action=fiche, scheme=fonds_pv, amount=D("60000"), basis="TTC")
    assert _warnings(line) == [
        "Le dispositif Fonds de Concours PV plafonne l'aide à 40 % de la dépense éligible : le taux ne peut pas "
        "être vérifié, l'aide est exprimée TTC et le coût de la fiche FA 702 HT."
    ]


# -- Envelopes ----------------------------------------------------------------------------------------------------


@pytest.fixture
def region_acv(region):
    return f.FundingSchemeFactory(code="REGION_ACV", name="Dispositif régional ACV", funder=region)


@pytest.fixture
def envelope(region, bethune, region_acv):
    """Région on Béthune, REGION_ACV, 2023-2026, 500 000 € (as the reference data's region-acv-bethune-2023-2026)."""
    return f.EnvelopeFactory(
        key="region-acv-bethune-2023-2026",
        funder=region,
        territory=bethune,
        scheme=region_acv,
        period_start=2023,
        period_end=2026,
        ceiling=D("500000.00"),
    )


@pytest.fixture
def lines_that_do_not_count(region, bethune, bruay, bdt, region_acv):
    """A million euros granted five times over by lines that must not count against the Béthune envelope."""
    million = D("1000000.00")
    srei = f.FundingSchemeFactory(code="REGION_SREI", funder=region)
    old = _fiche(bethune, start=datetime.date(2018, 6, 1), end=datetime.date(2019, 9, 30))
    return [
        # Béthune, but 2018-2019: outside 2023-2026.
        f.FundingLineFactory(action=old, funder=region, scheme=region_acv, amount=million, status="granted"),
        # 2024-2025, but on Bruay.
        f.FundingLineFactory(action=_fiche(bruay), funder=region, scheme=region_acv, amount=million, status="paid"),
        # Béthune 2024-2025, but another scheme of the Région.
        f.FundingLineFactory(action=_fiche(bethune), funder=region, scheme=srei, amount=million, status="granted"),
        # Béthune 2024-2025, but another funder.
        f.FundingLineFactory(action=_fiche(bethune), funder=bdt, amount=million, status="granted"),
        # Béthune 2024-2025, Région, but refused.
        f.FundingLineFactory(
            action=_fiche(bethune), funder=region, scheme=region_acv, amount=million, status="refused"
        ),
    ]


@pytest.mark.parametrize(
    ("amount", "left", "over", "state"),
    [
        # 500 000 − 499 999,99 = 0,01 € left: within the ceiling, but less than 10 % (50 000 €) of it left.
        (D("499999.99"), D("0.01"), False, "à moins de 10 % du plafond"),
        # 500 000 − 500 000 = 0 € left: at the ceiling is not over it.
        (D("500000.00"), D("0.00"), False, "à moins de 10 % du plafond"),
        # 500 000 − 500 000,01 = −0,01 €: one cent over.
        (D("500000.01"), D("-0.01"), True, "dépassée"),
    ],
)
def test_envelope_ceiling_at_just_under_and_just_over(
    coordinator, envelope, region, bethune, region_acv, lines_that_do_not_count, amount, left, over, state
):
    line = f.FundingLineFactory(
        action=_fiche(bethune), funder=region, scheme=region_acv, amount=amount, status="granted"
    )
    row = _consumption(coordinator, envelope)
    assert (row.ceiling, row.consumed, row.pending, row.left) == (D("500000.00"), amount, D("0"), left)
    assert (row.over, row.at_risk, row.state) == (over, True, state)
    assert list(caps.envelope_lines(envelope)) == [line]
    envelope_warnings = [warning for warning in _warnings(line) if warning.startswith("L'enveloppe")]
    if over:
        assert envelope_warnings == [
            "L'enveloppe Région Hauts-de-France, Ville de Béthune, Dispositif régional ACV, 2023-2026 est dépassée : "
            "plafond 500 000 €, accordé et versé 500 000,01 €, prévu et sollicité 0 €."
        ]
    else:
        assert envelope_warnings == []


def test_pending_lines_are_not_consumed_but_may_take_the_envelope_over(
    coordinator, envelope, region, bethune, region_acv
):
    fiche = _fiche(bethune)

    def line(amount, status):
        return f.FundingLineFactory(action=fiche, funder=region, scheme=region_acv, amount=D(amount), status=status)

    line("200000", "granted")
    line("100000", "paid")
    line("100000", "planned")
    line("50000", "requested")
    f.FundingLineFactory(action=fiche, funder=region, scheme=region_acv, amount=None, status="planned")
    row = _consumption(coordinator, envelope)
    # Consumed 200 000 + 100 000 = 300 000; pending 100 000 + 50 000 = 150 000; left 500 000 − 300 000 = 200 000;
    # 300 000 + 150 000 = 450 000 ≤ 500 000 and 200 000 ≥ 50 000: within the ceiling.
    assert (row.consumed, row.pending, row.left, row.unknown_lines) == (D("300000"), D("150000"), D("200000"), 1)
    assert (row.over, row.at_risk, row.state) == (False, False, "dans le plafond")
    # One more planned line of 50 000,01: 300 000 + 200 000,01 = 500 000,01 > 500 000, nothing granted above it yet.
    last = line("50000.01", "planned")
    row = _consumption(coordinator, envelope)
    assert (row.consumed, row.pending, row.left) == (D("300000"), D("200000.01"), D("200000"))
    assert (row.over, row.at_risk, row.state) == (
        False,
        True,
        "dépassée si les lignes prévues et sollicitées sont accordées",
    )
    assert _warnings(last) == [
        "L'enveloppe Région Hauts-de-France, Ville de Béthune, Dispositif régional ACV, 2023-2026 sera dépassée si "
        "les lignes prévues et sollicitées sont accordées : plafond 500 000 €, accordé et versé 300 000 €, "
        "prévu et sollicité 200 000,01 € ; 1 ligne au montant à déterminer, non comptée."
    ]


def test_a_line_with_a_split_counts_by_its_years_not_by_its_fiches_dates(
    coordinator, envelope, region, bethune, region_acv
):
    def line(fiche, amount, years):
        created = f.FundingLineFactory(
            action=fiche, funder=region, scheme=region_acv, amount=D(amount), status="granted"
        )
        for year in years:
            f.FundingLineYearFactory(funding_line=created, year=year, amount=D("1"))
        return created

    old = _fiche(bethune, start=datetime.date(2018, 1, 1), end=datetime.date(2019, 12, 31))
    recent = _fiche(bethune)
    late = line(old, "70000", [2024])  # a 2018-2019 fiche paid in 2024: counts
    early = line(recent, "30000", [2021, 2022])  # a 2024-2025 fiche paid in 2021-2022: does not count
    across = line(recent, "5000", [2022, 2023])  # one of its years (2023) in 2023-2026: counts, whole amount
    line(old, "9000", [2027])  # after the period: does not count
    undated = line(old, "100", [])  # no split: its fiche's 2018-2019 dates decide, it does not count
    assert set(caps.envelope_lines(envelope)) == {late, across}
    # 70 000 + 5 000 = 75 000 (a line counts with its whole amount, not its 1 € in 2023).
    assert _consumption(coordinator, envelope).consumed == D("75000")
    assert early not in caps.envelope_lines(envelope) and undated not in caps.envelope_lines(envelope)


@pytest.mark.parametrize(
    ("start", "end", "counts"),
    [
        (None, None, True),  # a fiche with no date at all counts
        (datetime.date(2027, 1, 1), None, False),  # starts after 2026
        (datetime.date(2026, 12, 1), None, True),  # starts within the last year
        (None, datetime.date(2022, 12, 31), False),  # ends before 2023
        (None, datetime.date(2023, 1, 31), True),  # ends within the first year
        (datetime.date(2018, 1, 1), datetime.date(2030, 12, 31), True),  # spans the whole period
        (datetime.date(2018, 1, 1), datetime.date(2022, 12, 31), False),  # over before it starts
    ],
)
def test_a_line_without_split_counts_when_its_fiches_dates_overlap_the_period(
    coordinator, envelope, region, bethune, region_acv, start, end, counts
):
    line = f.FundingLineFactory(
        action=_fiche(bethune, start=start, end=end), funder=region, scheme=region_acv, status="granted"
    )
    assert (line in caps.envelope_lines(envelope)) is counts
    assert _consumption(coordinator, envelope).consumed == (D("10000") if counts else D("0"))


def test_a_line_without_scheme_counts_and_an_envelope_without_scheme_takes_every_scheme(
    coordinator, envelope, region, bethune, region_acv
):
    srei = f.FundingSchemeFactory(code="REGION_SREI", funder=region)
    fiche = _fiche(bethune)
    without = f.FundingLineFactory(action=fiche, funder=region, scheme=None, amount=D("1000"), status="granted")
    acv = f.FundingLineFactory(action=fiche, funder=region, scheme=region_acv, amount=D("2000"), status="granted")
    other = f.FundingLineFactory(action=fiche, funder=region, scheme=srei, amount=D("4000"), status="granted")
    # The REGION_ACV envelope: 1 000 (no scheme) + 2 000 (REGION_ACV) = 3 000; the SREI line stays out.
    assert set(caps.envelope_lines(envelope)) == {without, acv}
    assert _consumption(coordinator, envelope).consumed == D("3000")
    # An envelope of the Région on Béthune for every scheme: 1 000 + 2 000 + 4 000 = 7 000.
    every = f.EnvelopeFactory(funder=region, territory=bethune, scheme=None, ceiling=D("10000"))
    assert set(caps.envelope_lines(every)) == {without, acv, other}
    assert _consumption(coordinator, every).consumed == D("7000")
    # And the line without scheme counts against both envelopes.
    assert set(caps.envelopes_of_line(without)) == {envelope, every}


def test_an_envelope_without_territory_covers_every_fiche(coordinator, region, bethune, bruay):
    national = f.EnvelopeFactory(funder=region, territory=None, ceiling=D("10000"))
    f.FundingLineFactory(action=_fiche(bethune), funder=region, amount=D("1500"), status="granted")
    f.FundingLineFactory(action=_fiche(bruay), funder=region, amount=D("2500"), status="paid")
    # 1 500 + 2 500 = 4 000.
    assert _consumption(coordinator, national).consumed == D("4000")


def test_sums_are_exact_on_every_engine(coordinator, region, bethune):
    # SQLite adds decimals as floating-point numbers, where 0,10 + 0,20 = 0,30000000000000004 > 0,30.
    tight = f.EnvelopeFactory(funder=region, territory=bethune, ceiling=D("0.30"))
    fiche = _fiche(bethune)
    f.FundingLineFactory(action=fiche, funder=region, amount=D("0.10"), status="granted")
    f.FundingLineFactory(action=fiche, funder=region, amount=D("0.20"), status="granted")
    row = _consumption(coordinator, tight)
    assert (row.consumed, row.left, row.over) == (D("0.30"), D("0.00"), False)


def _counts(line, envelope):
    """The rule of DESIGN.md written again, in Python, as the tests' oracle."""
    if line.funder_id != envelope.funder_id or line.status == "refused":
        return False
    if envelope.territory_id and line.action.territory_id != envelope.territory_id:
        return False
    if envelope.scheme_id and line.scheme_id and line.scheme_id != envelope.scheme_id:
        return False
    years = [row.year for row in line.years.all()]
    if years:
        return any(envelope.period_start <= year <= envelope.period_end for year in years)
    start, end = line.action.start_on, line.action.end_until
    return (start is None or start.year <= envelope.period_end) and (end is None or end.year >= envelope.period_start)


def _oracle(envelope, lines):
    counted = [line for line in lines if _counts(line, envelope)]
    known = [line for line in counted if line.amount is not None]
    return {
        "lines": {line.pk for line in counted},
        "consumed": sum((line.amount for line in known if line.status in ("granted", "paid")), D("0")),
        "pending": sum((line.amount for line in known if line.status in ("planned", "requested")), D("0")),
        "unknown": len(counted) - len(known),
        "fiches": {line.action.code for line in counted},
    }


@pytest.fixture
def programme(region, bdt, bethune, bruay, region_acv):
    """Three envelopes and lines of every kind around them: in and out of territory, period, scheme, status."""
    bruay_envelope = f.EnvelopeFactory(
        key="region-acv-bruay-2023-2026", funder=region, territory=bruay, scheme=region_acv, ceiling=D("500000")
    )
    bethune_envelope = f.EnvelopeFactory(
        key="region-acv-bethune-2023-2026", funder=region, territory=bethune, scheme=region_acv, ceiling=D("500000")
    )
    bdt_envelope = f.EnvelopeFactory(
        key="bdt-ingenierie",
        funder=bdt,
        territory=None,
        scheme=None,
        period_start=2022,
        period_end=2024,
        ceiling=D("50000"),
    )
    srei = f.FundingSchemeFactory(code="REGION_SREI", funder=region)
    fiches = {
        "B1": _fiche(bethune, code="B1"),
        "B2": _fiche(bethune, code="B2", start=datetime.date(2018, 1, 1), end=datetime.date(2019, 12, 31)),
        "B3": _fiche(bethune, code="B3", start=None, end=None),
        "R1": _fiche(bruay, code="R1"),
        "R2": _fiche(bruay, code="R2", start=datetime.date(2026, 3, 1), end=datetime.date(2028, 12, 31)),
    }
    rows = [
        ("B1", region, region_acv, "300000", "granted"),
        ("B1", region, None, "150000", "paid"),
        ("B1", region, region_acv, "80000", "requested"),
        ("B1", region, srei, "900000", "granted"),
        ("B2", region, region_acv, "250000", "granted"),
        ("B3", region, region_acv, "60000.50", "planned"),
        ("B3", region, region_acv, None, "requested"),
        ("B3", region, region_acv, "1000", "refused"),
        ("R1", region, region_acv, "520000", "granted"),
        ("R2", region, None, "12000", "planned"),
        ("B1", bdt, None, "22000", "granted"),
        ("R2", bdt, None, "31000", "requested"),
        ("B2", bdt, None, "40000", "paid"),
    ]
    lines = [
        f.FundingLineFactory(
            action=fiches[code], funder=funder, scheme=scheme, amount=amount and D(amount), status=status
        )
        for code, funder, scheme, amount, status in rows
    ]
    # B2's BDT line is split over 2023: it counts against 2022-2024 though its fiche is dated 2018-2019.
    f.FundingLineYearFactory(funding_line=lines[-1], year=2023, amount=D("40000"))
    return {"envelopes": [bethune_envelope, bruay_envelope, bdt_envelope], "lines": lines, "fiches": fiches}


def test_consumption_of_every_envelope_follows_the_rule(coordinator, programme):
    # Béthune: consumed 300 000 + 150 000 = 450 000 (B1; B2 is 2018-2019, the SREI line another scheme);
    #   pending 80 000 + 60 000,50 = 140 000,50; one line of unknown amount (B3); fiches B1, B3.
    #   Left 50 000, not less than 10 % of 500 000; but 450 000 + 140 000,50 = 590 000,50 > 500 000.
    # Bruay: consumed 520 000 (R1), over by 20 000; pending 12 000 (R2, no scheme, 2026-2028 overlaps 2026).
    # BDT 2022-2024, every territory and scheme: consumed 22 000 (B1) + 40 000 (B2, split in 2023) = 62 000,
    #   over its 50 000 by 12 000; pending 0: R2's 31 000 sollicités are on a fiche starting in 2026.
    rows = {
        row.envelope.key: row
        for row in caps.envelope_consumption(
            Envelope.objects.visible_to(coordinator), fiches=Action.objects.visible_to(coordinator)
        )
    }
    expected = {
        "region-acv-bethune-2023-2026": (D("450000"), D("140000.50"), 1, {"B1", "B3"}, caps.STATE_PENDING_OVER),
        "region-acv-bruay-2023-2026": (D("520000"), D("12000"), 0, {"R1", "R2"}, "dépassée"),
        "bdt-ingenierie": (D("62000"), D("0"), 0, {"B1", "B2"}, "dépassée"),
    }
    fiches = Action.objects.visible_to(coordinator)
    for envelope in programme["envelopes"]:
        row = rows[envelope.key]
        oracle = _oracle(envelope, programme["lines"])
        assert {line.pk for line in caps.envelope_lines(envelope)} == oracle["lines"]
        assert (row.consumed, row.pending, row.unknown_lines) == (
            oracle["consumed"],
            oracle["pending"],
            oracle["unknown"],
        )
        behind = set(caps.fiches_behind(envelope, fiches).values_list("code", flat=True))
        assert (behind, row.fiche_count) == (oracle["fiches"], len(oracle["fiches"]))
        assert (row.consumed, row.pending, row.unknown_lines, behind, row.state) == expected[envelope.key]


def test_consumption_refuses_an_unrestricted_queryset(coordinator, programme):
    with pytest.raises(UnrestrictedQuerySet):
        caps.envelope_consumption(Envelope.objects.all())
    with pytest.raises(UnrestrictedQuerySet):
        caps.envelope_consumption(Envelope.objects.visible_to(coordinator), fiches=Action.objects.all())


# -- The Enveloppes page ------------------------------------------------------------------------------------------


class _Rows(HTMLParser):
    """{row id: {"cells": [text of each th/td], "links": [(href, text)]}} for the rows of the page's table."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell, self._link = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and (attrs.get("id") or "").startswith("enveloppe-"):
            self._row = self.rows.setdefault(attrs["id"].removeprefix("enveloppe-"), {"cells": [], "links": []})
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []
        elif self._row is not None and tag == "a":
            self._link = [attrs.get("href"), ""]
        if self._cell is not None and tag == "li":
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row["cells"].append(" ".join(_plain("".join(self._cell)).split()))
            self._cell = None
        elif tag == "a" and self._link is not None:
            self._row["links"].append(tuple(self._link))
            self._link = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._link is not None:
            self._link[1] += data


def _page(client, user):
    client.force_login(user)
    response = client.get(ENVELOPES)
    assert response.status_code == 200
    parser = _Rows()
    parser.feed(response.content.decode())
    return parser.rows


# Columns: financeur, territoire, dispositif, période, plafond, consommé, en attente, reste, état, fiches.
BETHUNE_ROW = [
    "Région Hauts-de-France",
    "Ville de Béthune",
    "Dispositif régional ACV",
    "2023-2026",
    "500 000 €",
    "450 000 €",
    "140 000,50 € + 1 ligne au montant à déterminer",
    "50 000 €",
    "Dépassée si les lignes prévues et sollicitées sont accordées",
    "2 fiches action",
]
BRUAY_ROW = [
    "Région Hauts-de-France",
    "Ville de Bruay-La-Buissière",
    "Dispositif régional ACV",
    "2023-2026",
    "500 000 €",
    "520 000 €",
    "12 000 €",
    "0 € dépassée de 20 000 €",
    "Dépassée",
    "2 fiches action",
]
BDT_ROW = [
    "Banque des Territoires",
    "Tous territoires",
    "Tous dispositifs",
    "2022-2024",
    "50 000 €",
    "62 000 €",
    "0 €",
    "0 € dépassée de 12 000 €",
    "Dépassée",
    "2 fiches action",
]


@pytest.mark.parametrize("persona", ["coordinator", "referent_bethune", "committee_member", "admin_user"])
def test_the_roles_that_read_everything_see_every_envelope_with_its_figures(client, request, programme, persona):
    rows = _page(client, request.getfixturevalue(persona))
    # By funder first: the Banque des Territoires before the Région (how Béthune and Bruay sort, « é » against
    # « r », is the database's collation).
    assert next(iter(rows)) == "bdt-ingenierie"
    assert {key: row["cells"] for key, row in rows.items()} == {
        "region-acv-bethune-2023-2026": BETHUNE_ROW,
        "region-acv-bruay-2023-2026": BRUAY_ROW,
        "bdt-ingenierie": BDT_ROW,
    }
    envelope = programme["envelopes"][0]
    assert rows[envelope.key]["links"] == [(f"{LIST}?envelope={envelope.pk}", "2 fiches action")]


def _listed(client, url):
    """The codes of the fiches a list page shows, and the envelope it says it is filtered on."""
    body = client.get(url).content.decode()
    named = re.search(r"compte dans l'enveloppe\s*<strong>([^<]*)</strong>", body)
    return sorted(set(re.findall(r">([BR]\d)<", body))), named and _plain(named.group(1))


@pytest.mark.parametrize("persona", ["coordinator", "partner_region", "partner_bdt"])
def test_the_count_links_to_the_fiche_list_filtered_on_the_envelope(client, request, programme, persona):
    # Each envelope the persona sees: the link of its count opens the list of exactly the fiches the rule puts
    # behind it (the oracle), named on the list; the Banque des Territoires sees its own envelope only.
    user = request.getfixturevalue(persona)
    rows = _page(client, user)
    for envelope in programme["envelopes"]:
        if envelope.key not in rows:
            continue
        ((url, text),) = rows[envelope.key]["links"]
        expected = _oracle(envelope, programme["lines"])["fiches"]
        assert text == f"{len(expected)} fiches action"
        codes, named = _listed(client, url)
        assert (codes, named) == (sorted(expected), _plain(caps.envelope_label(envelope)))
        # The same filter on the API: the same fiches.
        api = client.get(reverse("api:action-list"), {"envelope": envelope.pk, "page_size": 100}).json()
        assert sorted(row["code"] for row in api["results"]) == sorted(expected)
    assert len(rows) == {"coordinator": 3, "partner_region": 2, "partner_bdt": 1}[persona]


def test_the_envelope_filter_keeps_to_the_fiches_the_viewer_may_see(client, programme, partner_bdt):
    # Another funder's envelope is no choice of a partner's: the filter refuses it and the list is empty.
    client.force_login(partner_bdt)
    region_envelope = programme["envelopes"][0]
    codes, named = _listed(client, f"{LIST}?envelope={region_envelope.pk}")
    assert (codes, named) == ([], None)
    page = client.get(f"{LIST}?envelope={region_envelope.pk}").content.decode()
    assert "Enveloppe : Sélectionnez un choix valide" in page
    assert client.get(reverse("api:action-list"), {"envelope": region_envelope.pk}).status_code == 400


def test_a_partner_sees_its_own_envelopes_only(client, programme, partner_region, partner_bdt):
    rows = _page(client, partner_region)
    assert {key: row["cells"] for key, row in rows.items()} == {
        "region-acv-bethune-2023-2026": BETHUNE_ROW,
        "region-acv-bruay-2023-2026": BRUAY_ROW,
    }
    rows = _page(client, partner_bdt)
    assert {key: row["cells"] for key, row in rows.items()} == {"bdt-ingenierie": BDT_ROW}
    assert "Région Hauts-de-France" not in client.get(ENVELOPES).content.decode()


def test_the_page_lists_only_the_fiches_the_viewer_may_see(coordinator, programme):
    # Restricted to B1, the Béthune envelope's figures stay whole, only the list of fiches shrinks.
    visible = Action.objects.visible_to(coordinator).filter(code="B1")
    row = next(
        row
        for row in caps.envelope_consumption(Envelope.objects.visible_to(coordinator), fiches=visible)
        if row.envelope.key == "region-acv-bethune-2023-2026"
    )
    assert (row.fiche_count, row.consumed) == (1, D("450000"))


def test_the_navigation_offers_the_envelopes_to_readers_and_partners(client, coordinator, partner_bdt):
    for user in (coordinator, partner_bdt):
        client.force_login(user)
        assert f'href="{ENVELOPES}"' in client.get(reverse("actions:dashboard")).content.decode()


def _envelope_batch(tag, lines_per_envelope, size):
    """`size` envelopes of funders, territories and schemes no other batch uses, each with lines on its fiches."""
    expected = {}
    for n in range(size):
        funder = f.OrganisationFactory(key=f"financeur-{tag}-{n}", kind="region")
        territory = f.OrganisationFactory(key=f"commune-{tag}-{n}")
        scheme = f.FundingSchemeFactory(code=f"dispositif-{tag}-{n}", funder=funder)
        envelope = f.EnvelopeFactory(key=f"env-{tag}-{n}", funder=funder, territory=territory, scheme=scheme)
        for k in range(lines_per_envelope):
            line = f.FundingLineFactory(
                action=_fiche(territory, code=f"E{tag}.{n}.{k}"),
                funder=funder,
                scheme=scheme,
                amount=D("1000") * (k + 1),
                status="granted",
            )
            f.FundingLineYearFactory(funding_line=line, year=2024, amount=line.amount)
        # 1 000 + 2 000 + … + k × 1 000 = 1 000 × k(k+1)/2 consumed.
        expected[envelope.key] = D("1000") * lines_per_envelope * (lines_per_envelope + 1) / 2
    return expected


@pytest.mark.parametrize("persona", ["coordinator", "partner_region"])
def test_the_page_runs_as_many_queries_for_one_envelope_as_for_many(client, request, region, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ENVELOPES)
        parser = _Rows()
        parser.feed(response.content.decode())
        return len(queries), parser.rows

    # The partner's own envelopes are its Région's: each batch gives it one, on rows no other batch uses.
    def batch(tag, size):
        expected = _envelope_batch(tag, 2, size)
        own = f.EnvelopeFactory(key=f"region-{tag}", funder=region, territory=f.OrganisationFactory(key=f"t-{tag}"))
        line = f.FundingLineFactory(action=_fiche(own.territory, code=f"RG{tag}"), funder=region, status="paid")
        expected[own.key] = line.amount
        return expected

    expected = batch("a", 1)
    small, rows = measure()
    shown = expected if persona == "coordinator" else {"region-a": expected["region-a"]}
    assert {key: row["cells"][5] for key, row in rows.items()} == {
        key: _plain(format_euros(amount)) for key, amount in shown.items()
    }
    expected |= batch("b", 6)
    large, rows = measure()
    shown = expected if persona == "coordinator" else {key: expected[key] for key in ("region-a", "region-b")}
    assert {key: row["cells"][5] for key, row in rows.items()} == {
        key: _plain(format_euros(amount)) for key, amount in shown.items()
    }
    assert len(rows) == (9 if persona == "coordinator" else 2)
    assert small == large
    # Session, user, profile and its organisation (the header); the envelopes with their sums and fiche counts.
    assert large <= 4


# -- Alerts -------------------------------------------------------------------------------------------------------


def test_alerts_name_the_envelopes_over_or_close_to_their_ceiling(coordinator, partner_region, partner_bdt, programme):
    # For the coordination: Béthune (over once its pending lines are granted), Bruay and the BDT's (over).
    assert {row.envelope.key for row in caps.alerts_for(coordinator)} == {
        "region-acv-bethune-2023-2026",
        "region-acv-bruay-2023-2026",
        "bdt-ingenierie",
    }
    assert {row.envelope.key for row in caps.alerts_for(partner_region)} == {
        "region-acv-bethune-2023-2026",
        "region-acv-bruay-2023-2026",
    }
    assert {row.envelope.key for row in caps.alerts_for(partner_bdt)} == {"bdt-ingenierie"}
    # On a fiche page: only the envelopes its lines count against (R1 is on Bruay).
    r1 = programme["fiches"]["R1"]
    assert {row.envelope.key for row in caps.alerts_for(coordinator, action=r1)} == {"region-acv-bruay-2023-2026"}


def test_a_page_lists_the_most_urgent_envelopes_and_counts_the_others(client, coordinator, region):
    """At national scale the dashboard listed all 251 envelopes to watch (of 254); it lists the ten most urgent,
    the furthest over first, and says how many more the Enveloppes page holds."""
    for n in range(12):
        territory = f.OrganisationFactory(key=f"t-alert-{n}")
        f.EnvelopeFactory(key=f"alert-{n:02}", funder=region, territory=territory, ceiling=D("1000"))
        # Over by n × 100 € (the first one is at its ceiling exactly: nothing left, to watch, not over).
        f.FundingLineFactory(
            action=_fiche(territory, code=f"AL{n}"), funder=region, amount=D(1000 + 100 * n), status="paid"
        )
    client.force_login(coordinator)

    page = client.get("/").content.decode()

    listed = re.findall(r"#enveloppe-(alert-\d+)", page)
    assert listed == [f"alert-{n:02}" for n in range(11, 1, -1)]
    assert "Les 10 plus urgentes ci-dessus ; 2 autres à surveiller." in page


def test_an_envelope_within_its_ceiling_raises_no_alert(coordinator, envelope, region, bethune, region_acv):
    # 400 000 granted + 49 999,99 planned = 449 999,99 ≤ 500 000, and 100 000 left ≥ 50 000.
    fiche = _fiche(bethune)
    f.FundingLineFactory(action=fiche, funder=region, scheme=region_acv, amount=D("400000"), status="granted")
    f.FundingLineFactory(action=fiche, funder=region, scheme=region_acv, amount=D("49999.99"), status="planned")
    assert caps.alerts_for(coordinator) == []


def test_the_partners_portal_warns_of_its_own_envelopes_only(client, programme, partner_region, partner_bdt):
    client.force_login(partner_region)
    page = _plain(client.get(PORTAL).content.decode())
    assert "Enveloppes à surveiller" in page
    assert "Région Hauts-de-France, Ville de Bruay-La-Buissière, Dispositif régional ACV, 2023-2026</a> :" in page
    assert f'href="{ENVELOPES}#enveloppe-region-acv-bruay-2023-2026"' in page
    assert "consommé (accordé et versé) 520 000 €" in page
    assert "bdt-ingenierie" not in page and "Banque des Territoires, Tous territoires" not in page
    client.force_login(partner_bdt)
    page = _plain(client.get(PORTAL).content.decode())
    assert f'href="{ENVELOPES}#enveloppe-bdt-ingenierie"' in page
    assert "region-acv" not in page


# -- The reference programme --------------------------------------------------------------------------------------


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _reference_region_lines_on_bethune():
    """The fixture's Région lines on Béthune fiches, read from the YAML files: (code, amount, status, start, end)."""
    found = []
    for path in sorted(FIXTURES.glob("[12]*.yaml")):
        for fiche in yaml.safe_load(path.read_text(encoding="utf-8")).get("actions", []):
            if fiche["territory"] != "bethune":
                continue
            start, end = fiche.get("start") or {}, fiche.get("end") or {}
            first = start.get("date")
            last = fuzzy_date_until(end.get("date"), end.get("precision") or "unknown", end.get("until"))
            for line in fiche.get("funding_lines") or []:
                if line["funder"] == "region" and line.get("scheme") in (None, "REGION_ACV"):
                    amount = D(line["amount"]) if line.get("amount") else None
                    found.append((fiche["code"], amount, line.get("status") or "planned", first, last))
    return found


def test_the_bethune_region_envelope_of_the_reference_programme(reference_data, coordinator):
    lines = _reference_region_lines_on_bethune()
    # By hand: the one Région line on a Béthune fiche is AM.3's 1 723 250 € (prévu), a fiche of June 2018 to
    # September 2019, so before 2023-2026: nothing counts against the envelope.
    assert lines == [("AM.3", D("1723250.00"), "planned", datetime.date(2018, 6, 1), datetime.date(2019, 9, 30))]
    in_period = [
        (amount, status)
        for _, amount, status, first, last in lines
        if status != "refused" and (first is None or first.year <= 2026) and (last is None or last.year >= 2023)
    ]
    consumed = sum((amount for amount, status in in_period if amount and status in ("granted", "paid")), D("0"))
    pending = sum((amount for amount, status in in_period if amount and status in ("planned", "requested")), D("0"))
    envelope = Envelope.objects.get(key="region-acv-bethune-2023-2026")
    row = _consumption(coordinator, envelope)
    assert (row.ceiling, row.consumed, row.pending) == (D("500000.00"), consumed, pending) == (D("500000"), 0, 0)
    assert row.state == "dans le plafond"
    # The same line, granted and split over 2024, would count: 1 723 250 € against 500 000 €, 1 223 250 € over.
    am3 = Action.objects.get(code="AM.3").funding_lines.get(funder__key="region")
    am3.status = "granted"
    am3.save()
    f.FundingLineYearFactory(funding_line=am3, year=2024, amount=D("1723250.00"))
    row = _consumption(coordinator, envelope)
    assert (row.consumed, row.left, row.overrun, row.state) == (D("1723250"), D("-1223250"), D("1223250"), "dépassée")
    # REGION_ACV is written « 500 000 € par commune »: the envelope's ceiling, not a cap per line (the scheme has
    # none), so the line gets the envelope's warning only.
    assert _warnings(am3) == [
        "L'enveloppe Région Hauts-de-France, Ville de Béthune, Dispositif régional dédié Action Cœur de Ville, "
        "2023-2026 est dépassée : plafond 500 000 €, accordé et versé 1 723 250 €, prévu et sollicité 0 €."
    ]
