"""Charts drawn on the server as SVG geometry, so the page and the PDF show the same picture."""

from dataclasses import dataclass

from acv.values import format_euros


@dataclass
class Bar:
    label: str
    title: str
    value: object
    value_label: str
    count: int
    url: str
    y: int
    width: float


def horizontal_bars(rows, *, value_key, label_key, title_key, count_key, url_for, width=560, bar_height=28, gap=18):
    """Geometry of a horizontal bar chart: one bar per row, the longest one `width` wide.

    Returns (bars, height). Text positions are left to the template; values are pre-formatted in French.
    """
    rows = list(rows)
    top = max((row[value_key] or 0 for row in rows), default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        value = row[value_key] or 0
        bars.append(
            Bar(
                label=row[label_key],
                title=row[title_key],
                value=value,
                value_label=format_euros(round(value)),
                count=row[count_key],
                url=url_for(row),
                y=index * (bar_height + gap),
                # A non-zero value stays visible even when tiny next to the largest one.
                width=max(float(value) / float(top) * width, 2 if value else 0),
            )
        )
    return bars, len(rows) * (bar_height + gap)
