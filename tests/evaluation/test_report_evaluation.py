"""The evaluation grid in the semester report: per axe, each indicator's latest value, baseline, target and
trends, and the chart of the indicators that moved."""

import datetime
from decimal import Decimal

import pytest

from actions.models import Action
from evaluation.models import Series
from evaluation.reports import evaluation_section, semester_report_pdf
from evaluation.services import indicator_value_save
from tests.evaluation.pdf import pdf_text, section


def _put(user, indicator, territory, period, value, series=Series.MEASURED):
    return indicator_value_save(
        user=user,
        data={
            "indicator": indicator,
            "territory": territory,
            "period": period,
            "value": Decimal(value),
            "series": series,
        },
    )


@pytest.fixture
def values(grid_programme, coordinator, bethune, bruay):
    g = grid_programme
    _put(coordinator, g["housing"], bethune, "2022", "412", Series.INITIAL)
    _put(coordinator, g["housing"], bethune, "2026", "300", Series.TARGET)
    _put(coordinator, g["housing"], bethune, "2024", "420")
    _put(coordinator, g["housing"], bethune, "2025", "388")
    _put(coordinator, g["housing"], bruay, "2025", "170")
    return g


def test_latest_baseline_target_and_trends_per_place(values):
    # The S1 2026 report: the previous one knew the values of periods closed by 31 December 2025.
    report = evaluation_section(
        values["programme"], start=datetime.date(2026, 1, 1), last_day=datetime.date(2026, 6, 30)
    )
    (axis,) = report["axes"]
    by_name = {item.indicator.name: item for item in axis["indicators"]}
    housing = by_name["Logements vacants"]
    assert [
        (line.place, line.baseline, line.target, line.latest, line.latest_period, line.trend) for line in housing.lines
    ] == [
        ("Ville de Béthune", "412 (2022)", "300 (2026)", "388", "2025", "mieux"),
        ("Ville de Bruay-La-Buissière", "non renseigné", "non renseigné", "170", "2025", "non mesurable"),
    ]
    assert [(line.previous, line.since) for line in housing.lines] == [("388", "stable"), ("170", "stable")]
    # The values were entered today, not during S1 2026, and did not move since the previous report: no chart.
    assert not housing.changed and housing.chart is None
    assert by_name["Taux de vacance commerciale"].lines == []
    assert (report["filled"], report["count"]) == (1, 3)


def test_an_indicator_that_moved_gets_its_chart(values):
    today = datetime.date.today()
    start = datetime.date(today.year, 1 if today.month <= 6 else 7, 1)
    report = evaluation_section(values["programme"], start=start, last_day=datetime.date(today.year + 1, 12, 31))
    housing = next(item for item in report["axes"][0]["indicators"] if item.indicator.name == "Logements vacants")
    assert housing.changed
    assert "Ville de Béthune : état initial 2022 : 412\u00a0logements" in housing.chart.description


def test_the_pdf_has_the_evaluation_chapter(values):
    text = pdf_text(semester_report_pdf(Action.objects.none(), year=datetime.date.today().year, semester=2))
    chapter = section(text, "7. Grille d'évaluation (Article 8)")
    assert "1.1 – Logements vacants" in chapter
    # Béthune's row (the name may be hyphenated in its narrow column): baseline, target, latest, trend.
    assert "412 (2022) 300 (2026) 388 (2025) mieux 388 stable" in chapter
    assert "non renseigné non renseigné 170 (2025) non mesurable" in chapter
    assert "Non renseigné : aucune valeur saisie." in chapter
