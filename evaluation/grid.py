"""The Article 8 grid as a matrix: axes → criteria → indicators as rows; places (communes, EPCI, ORT sectors,
quartiers prioritaires) × periods as columns; in each cell the value of the period, and per place the état
initial, the cible and the trend of the latest measured value, in words.

One function builds it for the page, the API, the XLSX and the semester report, in a fixed number of queries
(indicators, their sources, the territories, the quartiers and their communes, the values): the matrix is
assembled in Python from them.
"""

import unicodedata
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from conventions.models import Axis, Programme
from evaluation.models import (
    Direction,
    Indicator,
    IndicatorValue,
    Series,
    format_value,
    programme_neighbourhoods,
    programme_territories,
)
from evaluation.periods import Period

# How many period columns the grid shows when none is asked: the most recent ones.
DEFAULT_PERIOD_COLUMNS = 3
MISSING = "non renseigné"


class Trend:
    """The move of the latest measured value from the état initial, in words (not only in colour)."""

    BETTER, WORSE, STABLE, UP, DOWN, UNKNOWN = "better", "worse", "stable", "up", "down", "unknown"
    LABELS = {
        BETTER: "mieux",
        WORSE: "moins bien",
        STABLE: "stable",
        UP: "en hausse",
        DOWN: "en baisse",
        UNKNOWN: "non mesurable",
    }

    @classmethod
    def between(cls, indicator, before, after):
        """better / worse / stable when the indicator has a wanted direction; up / down otherwise."""
        if before is None or after is None:
            return cls.UNKNOWN
        if after == before:
            return cls.STABLE
        rising = after > before
        if indicator.direction == Direction.UP:
            return cls.BETTER if rising else cls.WORSE
        if indicator.direction == Direction.DOWN:
            return cls.WORSE if rising else cls.BETTER
        return cls.UP if rising else cls.DOWN


@dataclass(frozen=True)
class Place:
    """A column group: a commune or EPCI, one ORT sector of a commune, or a quartier prioritaire (QPV) — a place
    of its own, which may straddle communes."""

    territory: object = None
    sector: object = None
    neighbourhood: object = None

    @property
    def key(self):
        if self.neighbourhood is not None:
            return f"q{self.neighbourhood.pk}"
        return f"{self.territory.pk}-{self.sector.pk}" if self.sector else str(self.territory.pk)

    @property
    def label(self):
        if self.neighbourhood is not None:
            return self.neighbourhood.label
        return f"{self.territory} – {self.sector.name}" if self.sector else str(self.territory)

    @property
    def kind(self):
        """commune, epci, sector or neighbourhood: what the API calls the place."""
        if self.neighbourhood is not None:
            return "neighbourhood"
        return "sector" if self.sector else self.territory.kind

    @property
    def kind_label(self):
        if self.neighbourhood is not None:
            communes = ", ".join(str(commune) for commune in self.neighbourhood.communes.all())
            return f"quartier prioritaire, {communes}" if communes else "quartier prioritaire"
        return "secteur ORT" if self.sector else self.territory.get_kind_display()

    @property
    def ids(self):
        """(territory, sector, quartier) ids, as a value names its place."""
        return (
            self.territory.pk if self.territory is not None else None,
            self.sector.pk if self.sector is not None else None,
            self.neighbourhood.pk if self.neighbourhood is not None else None,
        )

    @property
    def sort_key(self):
        """Communes and EPCI, each followed by its sectors, then the quartiers prioritaires."""
        if self.neighbourhood is not None:
            return (1, "", _plain(self.neighbourhood.name), False, self.label)
        return (0, self.territory.kind, _plain(str(self.territory)), self.sector is not None, self.label)


@dataclass
class Cell:
    indicator: object
    place: Place
    period: Period
    value: object = None  # the measured value of the period, else the estimated one
    baseline: object = None

    @property
    def column(self):
        return self.period.key

    @property
    def is_estimated(self):
        return self.value is not None and self.value.series == Series.ESTIMATED

    @property
    def trend(self):
        return Trend.between(
            self.indicator, self.baseline.value if self.baseline else None, self.value.value if self.value else None
        )

    @property
    def trend_label(self):
        return Trend.LABELS[self.trend]

    @property
    def label(self):
        return format_value(self.indicator, self.value.value) if self.value else MISSING


@dataclass
class PlaceRow:
    """One indicator at one place: its baseline, target, a cell per period and the trend."""

    indicator: object
    place: Place
    baseline: object = None
    target: object = None
    latest: object = None
    cells: list = field(default_factory=list)
    values: list = field(default_factory=list)  # every value of the place, for the reports

    @property
    def trend(self):
        return Trend.between(
            self.indicator,
            self.baseline.value if self.baseline else None,
            self.latest.value if self.latest else None,
        )

    @property
    def trend_label(self):
        return Trend.LABELS[self.trend]

    def label(self, value):
        return format_value(self.indicator, value.value) if value else MISSING


@dataclass
class IndicatorRow:
    indicator: object
    places: list


@dataclass
class CriterionRows:
    criterion: object
    indicators: list


@dataclass
class AxisRows:
    axis: object
    criteria: list

    @property
    def title(self):
        return str(self.axis) if self.axis else "Programme (sans axe)"


@dataclass
class Grid:
    programme: object
    places: list
    periods: list
    axes: list
    filters: dict

    @property
    def width(self):
        """Columns of the table: the indicator, then per place its état initial, periods, cible and trend."""
        return 1 + len(self.places) * (len(self.periods) + 3)

    @property
    def indicator_rows(self):
        return [row for axis in self.axes for criterion in axis.criteria for row in criterion.indicators]


def default_programme():
    """The programme whose grid is shown when none is asked: the first that has one."""
    return Programme.objects.filter(criteria__isnull=False).order_by("pk").first()


def _plain(text):
    """Text without accents, to sort Béthune before Bruay."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _latest(values):
    return max(values, key=lambda value: value.period.sort_key(), default=None)


def build_grid(
    *, user, programme=None, axis=None, territory=None, sector=None, neighbourhood=None, period=None, indicators=None
):
    """The grid this user reads (None: the programme itself), filtered by axe, territory (an Organisation),
    sector, quartier prioritaire (a PriorityNeighbourhood) and period (a Period).

    A territory alone shows that territory (not its sectors nor its quartiers); a sector or a quartier shows
    that place alone, with or without values, so that its first value can be entered.

    Without a period, the columns are the most recent periods that hold a measured or estimated value, and
    the last full year, so that there is always a column to fill in. Queries: a fixed number, whatever the
    number of indicators, places, periods or values.
    """
    programme = programme or default_programme()
    # user None: the programme itself, for the reports, whose readers their own view has checked.
    indicators_base = Indicator.objects.all() if user is None else Indicator.objects.visible_to(user)
    values_base = IndicatorValue.objects.all() if user is None else IndicatorValue.objects.visible_to(user)
    indicator_qs = (
        indicators_base.filter(criterion__programme=programme)
        .select_related("criterion", "criterion__axis")
        .prefetch_related("sources")
        .order_by("criterion__axis__position", "criterion__position", "criterion__code", "position", "pk")
    )
    if axis is not None:
        indicator_qs = indicator_qs.filter(criterion__axis=axis)
    if indicators is not None:
        indicator_qs = indicator_qs.filter(pk__in=indicators)
    programme_id = getattr(programme, "pk", None)
    territories = list(programme_territories(programme_id).order_by("kind", "name"))
    if territory is not None:
        territories = [org for org in territories if org.pk == territory.pk]
    if sector is not None:
        territories = [org for org in territories if org.pk == sector.commune_id]
    # The programme's quartiers as a subquery: they appear as places through their values (or the filter), so
    # a grid without any costs no query for them.
    neighbourhoods = programme_neighbourhoods(programme_id).values("pk")
    if neighbourhood is not None:
        territories, neighbourhoods = [], neighbourhoods.filter(pk=neighbourhood.pk)
    elif territory is not None or sector is not None:
        neighbourhoods = neighbourhoods.none()
    values_qs = (
        values_base.filter(indicator__in=indicator_qs.order_by().values("pk"))
        .filter(Q(territory__in=[org.pk for org in territories]) | Q(neighbourhood__in=neighbourhoods))
        .select_related("territory", "sector", "neighbourhood", "source", "entered_by")
        .prefetch_related("neighbourhood__communes")
    )
    if sector is not None:
        values_qs = values_qs.filter(sector=sector)
    elif territory is not None:
        values_qs = values_qs.filter(sector__isnull=True)
    indicator_list = list(indicator_qs.prefetch_related(Prefetch("values", queryset=values_qs, to_attr="grid_values")))

    by_org = {org.pk: org for org in territories}
    all_values = [value for indicator in indicator_list for value in indicator.grid_values]
    sectors = {value.sector.pk: value.sector for value in all_values if value.sector_id}
    if sector is not None:
        sectors[sector.pk] = sector
    places = [] if sector is not None or neighbourhood is not None else [Place(org) for org in territories]
    for item in sectors.values():
        if item.commune_id in by_org:
            places.append(Place(by_org[item.commune_id], item))
    quartiers = {value.neighbourhood.pk: value.neighbourhood for value in all_values if value.neighbourhood_id}
    if neighbourhood is not None:
        quartiers.setdefault(neighbourhood.pk, neighbourhood)
    places.extend(Place(neighbourhood=item) for item in quartiers.values())
    places.sort(key=lambda place: place.sort_key)

    if period is not None:
        periods = [period]
    else:
        seen = {value.period for value in all_values if value.series in (Series.MEASURED, Series.ESTIMATED)}
        seen.add(Period("year", timezone.localdate().year - 1))
        periods = sorted(seen, key=Period.sort_key)[-DEFAULT_PERIOD_COLUMNS:]

    axes_rows, criteria_rows = {}, {}
    # Read once: Series.values rebuilds its list from the lazy labels on every call (thousands of cells).
    series_names = Series.values
    for indicator in indicator_list:
        by_place = {}
        for value in indicator.grid_values:
            by_place.setdefault((value.territory_id, value.sector_id, value.neighbourhood_id), []).append(value)
        rows = []
        for place in places:
            values = by_place.get(place.ids, [])
            series = {name: [value for value in values if value.series == name] for name in series_names}
            row = PlaceRow(
                indicator,
                place,
                baseline=_latest(series[Series.INITIAL]),
                target=_latest(series[Series.TARGET]),
                latest=_latest(series[Series.MEASURED]),
                values=values,
            )
            measured = {value.period: value for value in series[Series.MEASURED]}
            estimated = {value.period: value for value in series[Series.ESTIMATED]}
            row.cells = [Cell(indicator, place, p, measured.get(p) or estimated.get(p), row.baseline) for p in periods]
            rows.append(row)
        criterion = indicator.criterion
        axis_rows = axes_rows.setdefault(criterion.axis_id, AxisRows(criterion.axis, []))
        if criterion.pk not in criteria_rows:
            criteria_rows[criterion.pk] = CriterionRows(criterion, [])
            axis_rows.criteria.append(criteria_rows[criterion.pk])
        criteria_rows[criterion.pk].indicators.append(IndicatorRow(indicator, rows))
    return Grid(
        programme=programme,
        places=places,
        periods=periods,
        axes=list(axes_rows.values()),
        filters={
            "axis": axis,
            "territory": territory,
            "sector": sector,
            "neighbourhood": neighbourhood,
            "period": period,
        },
    )


def grid_axes(programme):
    """The axes that carry criteria of the programme, for the filter."""
    return Axis.objects.filter(criteria__programme=programme).distinct().order_by("position", "number")
