"""Fuzzy dates and costs read and shown as the documents write them."""

import datetime
from decimal import Decimal

import pytest

from acv.values import (
    format_cost,
    format_euros,
    format_fuzzy_date,
    format_measure,
    fuzzy_date_until,
    read_written_number,
)


@pytest.mark.parametrize(
    ("on", "precision", "until", "expected"),
    [
        (datetime.date(2024, 4, 1), "quarter", None, datetime.date(2024, 6, 30)),
        (datetime.date(2023, 6, 1), "season", None, datetime.date(2023, 8, 31)),
        (datetime.date(2024, 7, 1), "semester", None, datetime.date(2024, 12, 31)),
        (datetime.date(2018, 9, 1), "month", None, datetime.date(2018, 9, 30)),
        (datetime.date(2024, 1, 1), "year", None, datetime.date(2024, 12, 31)),
        (datetime.date(2027, 1, 1), "range", datetime.date(2029, 12, 31), datetime.date(2029, 12, 31)),
        (datetime.date(2018, 9, 24), "day", None, datetime.date(2018, 9, 24)),
        (None, "unknown", None, None),
    ],
)
def test_last_day_covered(on, precision, until, expected):
    assert fuzzy_date_until(on, precision, until) == expected


@pytest.mark.django_db
def test_dates_shown_as_written_or_in_french():
    assert format_fuzzy_date(datetime.date(2023, 6, 1), "season", "Eté 2023") == "Eté 2023"
    assert format_fuzzy_date(datetime.date(2024, 4, 1), "quarter") == "T2 2024"
    assert format_fuzzy_date(datetime.date(2018, 9, 24), "day") == "24 septembre 2018"
    assert format_fuzzy_date(datetime.date(2027, 1, 1), "range", until=datetime.date(2029, 12, 31)) == "2027-2029"
    assert format_fuzzy_date(None, "unknown") == "à déterminer"


@pytest.mark.django_db
def test_amounts_in_french():
    assert format_euros(Decimal("7927732.94")) == "7\u202f927\u202f732,94\u00a0€"
    assert format_euros(Decimal("1712934")) == "1\u202f712\u202f934\u00a0€"
    assert format_euros(None) == "à déterminer"
    assert format_cost("range", None, Decimal("30000"), Decimal("50000"), False, "TTC") == (
        "30\u202f000\u00a0€ à 50\u202f000\u00a0€\u00a0TTC"
    )
    assert format_cost("exact", Decimal("1712934"), None, None, False, "TTC") == "1\u202f712\u202f934\u00a0€\u00a0TTC"


@pytest.mark.parametrize(
    ("text", "number", "unit"),
    [
        ("2 000 m²", Decimal("2000"), "m²"),
        ("2\u202f000\u00a0m²", Decimal("2000"), "m²"),
        ("12,5 %", Decimal("12.5"), "%"),
        ("30%", Decimal("30"), "%"),
        ("40 logements", Decimal("40"), "logements"),
        ("1 234 567,89 visiteurs/an", Decimal("1234567.89"), "visiteurs/an"),
        ("100", Decimal("100"), ""),
        # Not one figure, or not surely: nothing is read, the text stays the only statement.
        ("2 000 à 3 000 m²", None, ""),
        ("environ 30", None, ""),
        ("30 logements environ", None, ""),
        ("30 places au moins", None, ""),
        ("10 logements et plus", None, ""),
        ("+10 %", None, ""),
        ("1.200", None, ""),
        ("2026", None, ""),
        ("Q4 2018", None, ""),
        ("Réouverture du jardin", None, ""),
        ("", None, ""),
    ],
)
def test_a_figure_read_from_what_is_written(text, number, unit):
    assert read_written_number(text) == (number, unit)


@pytest.mark.django_db
def test_a_figure_shown_in_french_with_its_unit():
    assert format_measure(Decimal("2000.0000"), "m²") == "2\u202f000\u00a0m²"
    assert format_measure(Decimal("12.50"), "%") == "12,5\u00a0%"
    assert format_measure(None, "m²") == ""


def test_a_number_of_fiches_grouped_like_every_number_of_the_pages():
    """The dashboard said « 12955 fiches action suivies » at national scale, where its tables say « 2 556 »."""
    from actions.templatetags.acv_format import fiches

    assert fiches(12955, None) == "12\u202f955 fiches action"
    assert fiches(1, None) == "1 fiche action"
