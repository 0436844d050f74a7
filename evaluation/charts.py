"""The chart of an indicator: its values over time per place, with the état initial and the cible, as SVG
geometry computed here so that the page and the PDFs draw the same picture (templates only place it).

Places are told apart by their line's dash pattern and by their name written at the line's end, not only
by colour; the figures themselves are in the table that accompanies every chart.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from evaluation.models import Series, format_number, format_value

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 20, 40
# Dark enough to print in grey; the dash patterns carry the distinction for those who do not see colours.
COLOURS = ("#1f4e79", "#a93226", "#1e8449", "#6c3483", "#7e5109", "#2e4053")
DASHES = ("", "8 4", "3 3", "10 3 2 3", "1 4", "14 4")


@dataclass
class Point:
    x: float
    y: float
    label: str
    estimated: bool = False


@dataclass
class Line:
    label: str
    colour: str
    dash: str
    points: list = field(default_factory=list)
    baseline: object = None  # (y, label)
    target: object = None  # Point
    end: object = None  # (x, y) where the place's name is written

    @property
    def path(self):
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))

    @property
    def target_path(self):
        if not self.target or not self.points:
            return ""
        last = self.points[-1]
        return f"M{last.x:.1f},{last.y:.1f} L{self.target.x:.1f},{self.target.y:.1f}"


@dataclass
class Chart:
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    lines: list = field(default_factory=list)
    x_ticks: list = field(default_factory=list)
    y_ticks: list = field(default_factory=list)
    plot: dict = field(default_factory=dict)
    unit: str = ""

    @property
    def is_empty(self):
        return not self.lines


def _ordinal(day):
    return day.toordinal()


def indicator_chart(indicator, values, *, width=WIDTH, height=HEIGHT):
    """Geometry of the chart of one indicator from its values (already restricted to the reader)."""
    title = f"{indicator.name} : valeurs par territoire"
    values = [value for value in values if value.value is not None]
    if not values:
        return Chart(title=title, description="Aucune valeur saisie : pas de courbe.", width=width, height=height)
    numbers = [value.value for value in values]
    low = min(min(numbers), Decimal("0"))
    high = max(numbers)
    if high == low:
        high = low + 1
    high += (high - low) / 10
    first = min(value.period.start for value in values)
    last = max(value.period.end for value in values)
    x_low, x_high = _ordinal(datetime.date(first.year, 1, 1)), _ordinal(datetime.date(last.year, 12, 31))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def x_of(day):
        return LEFT + (_ordinal(day) - x_low) / max(x_high - x_low, 1) * plot_w

    def y_of(number):
        return TOP + plot_h - float((Decimal(number) - low) / (high - low)) * plot_h

    by_place = {}
    for value in values:
        by_place.setdefault(value.place_label, []).append(value)
    lines, sentences = [], []
    for index, (place, place_values) in enumerate(sorted(by_place.items())):
        line = Line(place, COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)])
        series = [v for v in place_values if v.series in (Series.MEASURED, Series.ESTIMATED)]
        series.sort(key=lambda v: (v.period.sort_key(), v.series != Series.MEASURED))
        seen = set()
        for value in series:
            if value.period in seen:  # a measured value hides the estimate of the same period
                continue
            seen.add(value.period)
            line.points.append(
                Point(
                    x_of(value.period.middle),
                    y_of(value.value),
                    f"{value.period.label} : {format_value(indicator, value.value)}"
                    + (" (estimé)" if value.series == Series.ESTIMATED else ""),
                    estimated=value.series == Series.ESTIMATED,
                )
            )
        baselines = sorted((v for v in place_values if v.series == Series.INITIAL), key=lambda v: v.period.sort_key())
        targets = sorted((v for v in place_values if v.series == Series.TARGET), key=lambda v: v.period.sort_key())
        parts = []
        if baselines:
            base = baselines[-1]
            line.baseline = (
                y_of(base.value),
                f"état initial {base.period.label} : {format_value(indicator, base.value)}",
            )
            parts.append(line.baseline[1])
        if line.points:
            parts.append("valeurs " + ", ".join(point.label for point in line.points))
        if targets:
            target = targets[-1]
            line.target = Point(
                x_of(target.period.middle),
                y_of(target.value),
                f"cible {target.period.label} : {format_value(indicator, target.value)}",
            )
            parts.append(line.target.label)
        anchor = line.target or (line.points[-1] if line.points else None)
        if anchor is not None:
            line.end = (anchor.x + 8, anchor.y + 4)
        elif line.baseline:
            line.end = (LEFT + plot_w + 8, line.baseline[0] + 4)
        lines.append(line)
        sentences.append(f"{place} : {' ; '.join(parts)}.")

    years = range(first.year, last.year + 1)
    step = max(1, len(years) // 8)
    x_ticks = [
        {"x": x_of(datetime.date(year, 7, 1)), "label": str(year)} for year in years if (year - first.year) % step == 0
    ]
    y_ticks = []
    for index in range(5):
        number = low + (high - low) * index / 4
        y_ticks.append({"y": y_of(number), "label": format_number(indicator, number)})
    return Chart(
        title=title,
        description=" ".join(sentences),
        width=width,
        height=height,
        lines=lines,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        plot={"left": LEFT, "top": TOP, "right": LEFT + plot_w, "bottom": TOP + plot_h, "width": plot_w},
        unit=indicator.unit_label,
    )
