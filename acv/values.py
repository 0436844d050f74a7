"""Value types shared by every app: fuzzy dates and costs as the documents write them.

The source documents give dates such as "T2 2024", "Eté 2023" or "2027-2029", and budgets such as
"30 000 à 50 000 €" or "35 à 40 000 €/an". A model that holds one keeps the text as written plus a
machine-readable reading of it (first day, last day, precision; or amount / range / unknown). Queries use
the reading. People read a cost in one French format from its reading, with the text as written beside it;
a date as written, unless it only spells its reading differently (``format_fuzzy_date``). The reading is
derived in one place: ``fuzzy_date_until`` here, called from each model's ``clean()``.
"""

import calendar
import datetime
import re
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from acv.text import normalise_for_search

MONEY = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"), message=_("Le montant doit être positif ou nul."))]

# Dates a programme can speak of. Past these bounds a date is a typing error (9999 for 2025), and the
# arithmetic on fuzzy dates (last day of a quarter…) would overflow.
FIRST_DATE, LAST_DATE = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
_DATE_MESSAGE = _("La date doit être comprise entre le 1er janvier 1900 et le 31 décembre 2100.")
DATE_BOUNDS = [
    MinValueValidator(FIRST_DATE, message=_DATE_MESSAGE),
    MaxValueValidator(LAST_DATE, message=_DATE_MESSAGE),
]
_YEAR_MESSAGE = _("L'année doit être comprise entre 1900 et 2100.")
YEAR_BOUNDS = [
    MinValueValidator(FIRST_DATE.year, message=_YEAR_MESSAGE),
    MaxValueValidator(LAST_DATE.year, message=_YEAR_MESSAGE),
]


def out_of_bounds(day):
    return day is not None and not (FIRST_DATE <= day <= LAST_DATE)


def normalise_line_endings(value):
    """Text as stored: browsers send CRLF, files and the API often LF; one form, so that saving a text
    unchanged is not a change."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class Precision(models.TextChoices):
    DAY = "day", _("jour")
    MONTH = "month", _("mois")
    QUARTER = "quarter", _("trimestre")
    SEASON = "season", _("saison")
    SEMESTER = "semester", _("semestre")
    YEAR = "year", _("année")
    RANGE = "range", _("période")
    UNKNOWN = "unknown", _("non daté")


class ActionKind(models.TextChoices):
    """The categories of fiches a programme may have (Programme.fiche_kinds): ACV's convention of 2018 has actions
    matures (AM.x) and études de diagnostic (D.x) beside its fiches action; a Contrat de Ville has projects only."""

    MATURE = "mature", _("action mature")
    DIAGNOSTIC = "diagnostic", _("étude de diagnostic")
    FICHE = "fiche", _("fiche action")


class CostKind(models.TextChoices):
    EXACT = "exact", _("montant")
    ESTIMATED = "estimated", _("estimation")
    RANGE = "range", _("fourchette")
    UNKNOWN = "unknown", _("à déterminer")


class Basis(models.TextChoices):
    TTC = "TTC", _("TTC")
    HT = "HT", _("HT")
    UNSPECIFIED = "", _("non précisé")


def _add_months(day, months):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


_SPAN_MONTHS = {
    Precision.MONTH: 1,
    Precision.QUARTER: 3,
    Precision.SEASON: 3,
    Precision.SEMESTER: 6,
    Precision.YEAR: 12,
}


def fuzzy_date_until(on, precision, until=None):
    """Last day a fuzzy date covers: "T2 2024" read as 2024-04-01 with quarter precision → 2024-06-30."""
    if on is None or precision == Precision.UNKNOWN:
        return None
    if precision == Precision.RANGE:
        return until
    if precision == Precision.DAY:
        return on
    return _add_months(on, _SPAN_MONTHS[precision]) - datetime.timedelta(days=1)


_QUARTERS = {1: "T1", 4: "T2", 7: "T3", 10: "T4"}
_SEASONS = {3: "Printemps", 6: "Été", 9: "Automne", 12: "Hiver"}


# Month names and the abbreviations the documents use, as normalise_for_search writes them.
_MONTH_NAMES = [
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
]
_MONTH_WORDS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)} | {
    "jan": 1,
    "janv": 1,
    "fev": 2,
    "fevr": 2,
    "avr": 4,
    "juil": 7,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WORD_BEFORE_NUMBER = re.compile(r"(?<!\w)([^\W\d_]+)(?=\.?\s+\d)")
_WRITTEN_DAY_OR_MONTH = re.compile(r"^(?:(\d{1,2})(?:er)? )?([a-z]+)\.? (\d{4})$")


def _lower_case_months(text):
    """French writes months in lower case: « Début Septembre 2018 » → « Début septembre 2018 »."""

    def lower(match):
        word = match[1]
        return word.lower() if normalise_for_search(word) in _MONTH_WORDS else word

    return _WORD_BEFORE_NUMBER.sub(lower, text)


def _spells_the_reading(text, on, precision):
    """Whether the text says only the date it was read as, in another spelling (« Juin 2018 », « sept. 2019 »,
    « 16 Juillet 2018 »): then the reading is shown, so that every date of a page is written alike."""
    match = _WRITTEN_DAY_OR_MONTH.match(normalise_for_search(text))
    if on is None or match is None or precision not in (Precision.DAY, Precision.MONTH):
        return False
    day, word, year = match.groups()
    if _MONTH_WORDS.get(word) != on.month or int(year) != on.year:
        return False
    if precision == Precision.MONTH:
        return day is None
    return day is not None and int(day) == on.day


def format_fuzzy_date(on, precision, text="", until=None):
    """What a person reads: the text as written (months in lower case, as French writes them), unless it only
    spells the reading differently; else the reading at its precision ("T2 2024", "juin 2018")."""
    if text and not _spells_the_reading(text, on, precision):
        return _lower_case_months(text)
    if on is None:
        return str(_("à déterminer"))
    if precision == Precision.DAY:
        return date_format(on, "j F Y")
    if precision == Precision.MONTH:
        return date_format(on, "F Y")
    if precision == Precision.QUARTER and on.month in _QUARTERS:
        return f"{_QUARTERS[on.month]} {on.year}"
    if precision == Precision.SEASON and on.month in _SEASONS:
        return f"{_SEASONS[on.month]} {on.year}"
    if precision == Precision.SEMESTER:
        return f"S{1 if on.month <= 6 else 2} {on.year}"
    if precision == Precision.RANGE and until:
        return f"{on.year}-{until.year}" if until.year != on.year else str(on.year)
    return str(on.year)


def format_duration(delta):
    """A lapse of time as a sentence says it: « 15 minutes », « 1 heure », « 1 heure et 30 minutes »."""
    if delta is None:
        return ""
    minutes = max(round(delta.total_seconds() / 60), 1)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [
        f"{count} {word}{'s' if count > 1 else ''}"
        for count, word in ((days, "jour"), (hours, "heure"), (minutes, "minute"))
        if count
    ]
    return " et ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else parts[0]


def format_euros(amount, decimals=None):
    """French amount: 7 927 732,94 € (no decimals when the amount is whole)."""
    if amount is None:
        return str(_("à déterminer"))
    amount = Decimal(amount)
    if decimals is None:
        decimals = 0 if amount == amount.to_integral_value() else 2
    return f"{number_format(amount, decimals, use_l10n=True, force_grouping=True)}\u00a0€"


def format_cost(kind, amount, low, high, per_year, basis):
    """A cost as a person reads it, from its reading: « 120 000 € TTC », « 150 000 € HT, estimé »,
    « 30 000 € à 50 000 € TTC », « 35 000 € TTC par an », « à déterminer ». The text as written is shown
    beside it (see CostModel.cost_as_written), never in its place: it may say « Estimation à 150 000 »."""
    if kind == CostKind.UNKNOWN or (kind != CostKind.RANGE and amount is None):
        return str(_("à déterminer"))
    figure = f"{format_euros(low)} à {format_euros(high)}" if kind == CostKind.RANGE else format_euros(amount)
    if basis:
        figure += "\u00a0" + basis
    if per_year:
        figure += " par an"
    if kind == CostKind.ESTIMATED:
        figure += ", estimé"
    return figure


def format_measure(value, unit=""):
    """A number as a French reader reads it, with its unit: « 2 000 m² », « 12,5 % », « 40 logements »."""
    if value is None:
        return ""
    number = number_format(Decimal(value).normalize(), use_l10n=True, force_grouping=True)
    return f"{number}\u00a0{unit}" if unit else number


# A number written the French way at the start of a text, and what follows it: « 2 000 m² », « 12,5 % »,
# « 40 logements ». Groups of thousands by a space of any kind; a comma for decimals.
_WRITTEN_NUMBER = re.compile(r"^(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,(\d+))?\s*(.*)$")
# Words that make the number a bound or a guess rather than the figure itself.
# (Read on the text as normalise_for_search writes it: lower case, without accents.)
_NOT_THE_FIGURE = re.compile(r"\b(environ|env|approx\w*|minimum|maximum|mini|maxi|min|max|au moins|au plus|ou|et|a)\b")
_UNIT = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\s'’²³.\-/])*$|^[%€‰]$")


def read_written_number(text):
    """(number, unit) when the text says one figure and nothing else than its unit (« 2 000 m² » → 2000, "m²");
    (None, "") otherwise — a range, a bound, a guess, a year, a dot (1.200: thousands or decimals?), a figure
    within words. What a person wrote is kept beside the reading, never replaced by it."""
    text = " ".join((text or "").split())
    match = _WRITTEN_NUMBER.match(text)
    if match is None:
        return None, ""
    whole, decimals, unit = match[1], match[2], match[3].strip()
    if unit and (len(unit) > 60 or not _UNIT.match(unit) or _NOT_THE_FIGURE.search(normalise_for_search(unit))):
        return None, ""
    number = Decimal("".join(whole.split()).replace("\u202f", "") + (f".{decimals}" if decimals else ""))
    if not unit and decimals is None and 1900 <= number <= 2100 and len(whole) == 4:
        return None, ""  # « 2026 » alone is as likely a year as a count
    return number, unit


def _squashed(text):
    return normalise_for_search(text).replace(" ", "").replace("€", "")


def written_if_different(text, display):
    """The text as written when it says more than the display (« Estimation à 150 000 »), else "": « 120 000€ »
    next to « 120 000 € » or « A déterminer » next to « à déterminer » would only repeat it."""
    return text if text and _squashed(text) != _squashed(display) else ""


# The fields a person writes for a cost and for a period (the readings derived from them are not written).
COST_FIELDS = ["cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis", "cost_text"]
PERIOD_FIELDS = [
    "start_on",
    "start_precision",
    "start_until",
    "start_text",
    "end_on",
    "end_precision",
    "end_until",
    "end_text",
]


class PeriodModel(models.Model):
    """Start and end as written, with their reading: used by fiches and operations."""

    start_on = models.DateField(_("début (premier jour)"), null=True, blank=True, validators=DATE_BOUNDS)
    start_until = models.DateField(
        _("début (dernier jour)"),
        null=True,
        blank=True,
        validators=DATE_BOUNDS,
        help_text=_("Seulement pour une période (« 2027-2029 ») : dernier jour couvert."),
    )
    start_precision = models.CharField(
        _("précision du début"), max_length=10, choices=Precision.choices, default=Precision.UNKNOWN
    )
    start_text = models.CharField(_("début tel qu'écrit"), max_length=120, blank=True)
    end_on = models.DateField(_("fin (premier jour)"), null=True, blank=True, validators=DATE_BOUNDS)
    end_until = models.DateField(
        _("fin (dernier jour)"),
        null=True,
        blank=True,
        validators=DATE_BOUNDS,
        help_text=_("Seulement pour une période (« 2027-2029 ») : dernier jour couvert."),
    )
    end_precision = models.CharField(
        _("précision de la fin"), max_length=10, choices=Precision.choices, default=Precision.UNKNOWN
    )
    end_text = models.CharField(_("fin telle qu'écrite"), max_length=120, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(end_until__isnull=True) | Q(start_on__isnull=True) | Q(end_until__gte=models.F("start_on")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("La fin ne peut pas précéder le début."),
            ),
        ]

    def clean_period(self):
        from django.core.exceptions import ValidationError

        errors = {}
        for name in ("start_on", "start_until", "end_on", "end_until"):
            if out_of_bounds(getattr(self, name)):
                errors[name] = _DATE_MESSAGE
        if errors:
            # The field validators say it too; stop before the fuzzy-date arithmetic overflows.
            raise ValidationError(errors)
        for part in ("start", "end"):
            on, precision = getattr(self, f"{part}_on"), getattr(self, f"{part}_precision")
            if on is None and precision != Precision.UNKNOWN:
                errors[f"{part}_on"] = _("Indiquez une date, ou choisissez « non daté ».")
            if precision == Precision.RANGE and not getattr(self, f"{part}_until"):
                errors[f"{part}_until"] = _("Une période demande son dernier jour.")
        if errors:
            raise ValidationError(errors)
        self.start_until = fuzzy_date_until(self.start_on, self.start_precision, self.start_until)
        self.end_until = fuzzy_date_until(self.end_on, self.end_precision, self.end_until)
        if self.start_on and self.end_until and self.end_until < self.start_on:
            raise ValidationError({"end_on": _("La fin ne peut pas précéder le début.")})

    @property
    def start_display(self):
        return format_fuzzy_date(self.start_on, self.start_precision, self.start_text, self.start_until)

    @property
    def end_display(self):
        return format_fuzzy_date(self.end_on, self.end_precision, self.end_text, self.end_until)


class CostModel(models.Model):
    """A cost as written: exact, estimated, a range, per year, or unknown — never forced into a number."""

    cost_kind = models.CharField(_("nature du coût"), max_length=10, choices=CostKind.choices, default=CostKind.UNKNOWN)
    cost_amount = models.DecimalField(_("montant (€)"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY)
    cost_min = models.DecimalField(_("fourchette basse (€)"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY)
    cost_max = models.DecimalField(_("fourchette haute (€)"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY)
    cost_per_year = models.BooleanField(_("coût annuel"), default=False)
    cost_basis = models.CharField(_("HT / TTC"), max_length=3, choices=Basis.choices, blank=True, default="")
    cost_text = models.CharField(_("coût tel qu'écrit"), max_length=250, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_amount__isnull=True) | Q(cost_amount__gte=0),
                name="%(app_label)s_%(class)s_cost_amount_positive",
                violation_error_message=_("Le coût doit être positif ou nul."),
            ),
            models.CheckConstraint(
                condition=(Q(cost_min__isnull=True) | Q(cost_min__gte=0))
                & (Q(cost_max__isnull=True) | Q(cost_min__isnull=True) | Q(cost_max__gte=models.F("cost_min"))),
                name="%(app_label)s_%(class)s_cost_range_ordered",
                violation_error_message=_("La fourchette doit aller d'un montant positif à un montant plus grand."),
            ),
            models.CheckConstraint(
                condition=(Q(cost_kind__in=["exact", "estimated"]) & Q(cost_amount__isnull=False))
                | (Q(cost_kind="range") & Q(cost_min__isnull=False) & Q(cost_max__isnull=False))
                | Q(cost_kind="unknown", cost_amount__isnull=True, cost_min__isnull=True, cost_max__isnull=True),
                name="%(app_label)s_%(class)s_cost_kind_consistent",
                violation_error_message=_(
                    "Un montant ou une estimation demande un montant ; une fourchette, ses deux bornes ; "
                    "« à déterminer », aucun montant."
                ),
            ),
        ]

    def clean_cost(self):
        from django.core.exceptions import ValidationError

        if self.cost_kind in (CostKind.EXACT, CostKind.ESTIMATED):
            if self.cost_amount is None:
                raise ValidationError({"cost_amount": _("Indiquez le montant, ou choisissez « à déterminer ».")})
            self.cost_min = self.cost_max = None
        elif self.cost_kind == CostKind.RANGE:
            if self.cost_min is None or self.cost_max is None:
                raise ValidationError({"cost_max": _("Une fourchette demande ses deux bornes.")})
            if self.cost_max < self.cost_min:
                raise ValidationError({"cost_max": _("La borne haute doit être supérieure à la borne basse.")})
            self.cost_amount = None
        else:
            self.cost_amount = self.cost_min = self.cost_max = None

    @property
    def cost_display(self):
        return format_cost(
            self.cost_kind,
            self.cost_amount,
            self.cost_min,
            self.cost_max,
            self.cost_per_year,
            self.cost_basis,
        )

    @property
    def cost_as_written(self):
        """The source's wording of the cost, shown as secondary information when it differs from the display."""
        return written_if_different(self.cost_text, self.cost_display)
