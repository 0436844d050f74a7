"""Forms of the reports: which semester to report on, and the end-of-action report of a fiche."""

from django import forms
from django.utils import timezone

from evaluation.models import EndOfActionReport

FIRST_YEAR, LAST_YEAR = 2000, 2100


class SemesterForm(forms.Form):
    """A semester: S1 is January–June, S2 July–December. Used by the reports page, the comité page and the API."""

    year = forms.IntegerField(
        label="Année",
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "required": "Indiquez l'année.",
            "invalid": "L'année s'écrit en chiffres, par exemple 2026.",
            "min_value": f"L'année doit être comprise entre {FIRST_YEAR} et {LAST_YEAR}.",
            "max_value": f"L'année doit être comprise entre {FIRST_YEAR} et {LAST_YEAR}.",
        },
    )
    semester = forms.TypedChoiceField(
        label="Semestre",
        choices=[(1, "S1 (janvier – juin)"), (2, "S2 (juillet – décembre)")],
        coerce=int,
        error_messages={
            "required": "Choisissez le semestre.",
            "invalid_choice": "Le semestre vaut 1 ou 2.",
        },
    )

    @classmethod
    def for_day(cls, day=None, data=None):
        day = day or timezone.localdate()
        return cls(data, initial={"year": day.year, "semester": 1 if day.month <= 6 else 2})

    @classmethod
    def for_meeting(cls, meeting, data=None):
        """The semester a comité looks back on: the one that ended last before it met (a June comité
        reviews S2 of last year; a December one, S1 of the year)."""
        day = meeting.held_on
        year, semester = (day.year - 1, 2) if day.month <= 6 else (day.year, 1)
        return cls(data, initial={"year": year, "semester": semester})


class EndOfActionReportForm(forms.ModelForm):
    class Meta:
        model = EndOfActionReport
        fields = ["implementation", "results", "sustainability", "final_cost"]
        widgets = {
            "implementation": forms.Textarea(attrs={"rows": 8}),
            "results": forms.Textarea(attrs={"rows": 8}),
            "sustainability": forms.Textarea(attrs={"rows": 6}),
        }
        error_messages = {
            "implementation": {"required": "Décrivez comment l'action a été menée."},
            "results": {"required": "Décrivez les résultats obtenus."},
            "sustainability": {"required": "Dites comment les effets de l'action vont durer."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Amounts are typed the French way (« 1 712 934,50 ») and read either way.
        field = self.fields["final_cost"]
        field.localize = True
        field.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        field.widget.is_localized = True
