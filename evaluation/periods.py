"""The period of an indicator value as a type: a year, a semester, a quarter or a day.

Stored on IndicatorValue as three columns (kind, year, number) plus a day for the « date » kind; this
module reads and writes its text forms: the label people read (« 2025 », « S1 2025 », « T2 2025 »,
« 31 mars 2025 ») and the key machines exchange (« 2025 », « 2025-S1 », « 2025-T2 », « 2025-03-31 »), which
the page's filters and the API use. Either form is accepted on input.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from acv.values import FIRST_DATE, LAST_DATE


class PeriodKind(models.TextChoices):
    YEAR = "year", _("année")
    SEMESTER = "semester", _("semestre")
    QUARTER = "quarter", _("trimestre")
    DATE = "date", _("date")


# How many sub-periods a year holds, per kind; a year and a day have none (number 0).
SUB_PERIODS = {PeriodKind.SEMESTER: 2, PeriodKind.QUARTER: 4}
_LETTER = {PeriodKind.SEMESTER: "S", PeriodKind.QUARTER: "T"}
_KIND_OF_LETTER = {"S": PeriodKind.SEMESTER, "T": PeriodKind.QUARTER, "Q": PeriodKind.QUARTER}

PERIOD_HELP = _("Une année (2025), un semestre (S1 2025), un trimestre (T2 2025) ou une date (31/03/2025).")
PERIOD_INVALID = _("« %(text)s » n'est pas une période : écrivez 2025, S1 2025, T2 2025 ou une date (31/03/2025).")


class PeriodError(ValueError):
    """Text that is no period; the message is French and says what is expected."""


@dataclass(frozen=True, order=False)
class Period:
    kind: str
    year: int
    number: int = 0
    day: datetime.date | None = None

    # --- reading -------------------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text):
        """A Period from « 2025 », « S1 2025 », « 2025-S1 », « T2 2025 », « 2025-T2 », « 2025-03-31 » or
        « 31/03/2025 »; PeriodError (French message) otherwise."""
        if isinstance(text, Period):
            return text
        if isinstance(text, datetime.date):
            return cls(PeriodKind.DATE, text.year, 0, text)
        raw = str(text or "").strip()
        compact = re.sub(r"\s+", " ", raw).upper()
        if re.fullmatch(r"\d{4}", compact):
            return cls(PeriodKind.YEAR, int(compact)).checked(raw)
        match = re.fullmatch(r"([STQ])\s?([1-4])\s?[-/ ]?\s?(\d{4})", compact) or re.fullmatch(
            r"(\d{4})\s?[-/ ]?\s?([STQ])\s?([1-4])", compact
        )
        if match:
            groups = match.groups()
            letter, number, year = groups if groups[0].isalpha() else (groups[1], groups[2], groups[0])
            return cls(_KIND_OF_LETTER[letter], int(year), int(number)).checked(raw)
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = datetime.datetime.strptime(compact, pattern).date()
            except ValueError:
                continue
            return cls(PeriodKind.DATE, day.year, 0, day).checked(raw)
        raise PeriodError(PERIOD_INVALID % {"text": raw})

    def checked(self, text=""):
        """The period itself if its parts fit together, else PeriodError."""
        problem = self.problem()
        if problem:
            raise PeriodError(problem if not text else f"« {text} » : {problem}")
        return self

    def problem(self):
        """What is wrong with this combination of kind, year, number and day (French), or ''."""
        if self.kind not in PeriodKind.values:
            return str(_("Type de période inconnu."))
        if not (FIRST_DATE.year <= (self.year or 0) <= LAST_DATE.year):
            return str(_("L'année doit être comprise entre 1900 et 2100."))
        count = SUB_PERIODS.get(self.kind)
        if count and not (1 <= (self.number or 0) <= count):
            return str(
                _("Un semestre est numéroté 1 ou 2.")
                if self.kind == PeriodKind.SEMESTER
                else _("Un trimestre est numéroté de 1 à 4.")
            )
        if not count and self.number:
            return str(_("Une année ou une date n'a pas de numéro de semestre ou de trimestre."))
        if self.kind == PeriodKind.DATE:
            if self.day is None:
                return str(_("Une période de type date demande le jour."))
            if self.day.year != self.year:
                return str(_("L'année ne correspond pas à celle de la date."))
        elif self.day is not None:
            return str(_("Seule une période de type date porte un jour."))
        return ""

    # --- writing -------------------------------------------------------------------------------------------

    @property
    def key(self):
        if self.kind == PeriodKind.DATE:
            return self.day.isoformat()
        if self.kind in _LETTER:
            return f"{self.year}-{_LETTER[self.kind]}{self.number}"
        return str(self.year)

    @property
    def label(self):
        if self.kind == PeriodKind.DATE:
            return date_format(self.day, "j F Y")
        if self.kind in _LETTER:
            return f"{_LETTER[self.kind]}{self.number} {self.year}"
        return str(self.year)

    def __str__(self):
        return self.label

    # --- time ----------------------------------------------------------------------------------------------

    @property
    def start(self):
        if self.kind == PeriodKind.DATE:
            return self.day
        if self.kind in SUB_PERIODS:
            months = 12 // SUB_PERIODS[self.kind]
            return datetime.date(self.year, 1 + (self.number - 1) * months, 1)
        return datetime.date(self.year, 1, 1)

    @property
    def end(self):
        if self.kind == PeriodKind.DATE:
            return self.day
        if self.kind in SUB_PERIODS:
            months = 12 // SUB_PERIODS[self.kind]
            last_month = self.number * months
            following = datetime.date(self.year + (last_month == 12), last_month % 12 + 1, 1)
            return following - datetime.timedelta(days=1)
        return datetime.date(self.year, 12, 31)

    @property
    def middle(self):
        """Where the period sits on a time axis: the middle of its span."""
        return self.start + (self.end - self.start) / 2

    def sort_key(self):
        """Chronological order; a year after its semesters and quarters (it ends with the last of them)."""
        return (self.end, -self.start.toordinal())

    @classmethod
    def of(cls, obj):
        """The period of a row that has period_kind, year, number and day (a value, or a dict of them)."""
        get = obj.get if isinstance(obj, dict) else lambda name: getattr(obj, name)
        return cls(get("period_kind"), get("year"), get("number") or 0, get("day"))
