"""Forms of the conventions screens: comité meetings, and the programme's semesters.
Rules live in the model (clean()), which ModelForm runs."""

from django import forms
from django.utils import timezone

from acv.forms import DateInput
from conventions.models import CommitteeMeeting, Convention, Organisation

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


class CommitteeMeetingForm(forms.ModelForm):
    class Meta:
        model = CommitteeMeeting
        fields = [
            "convention",
            "kind",
            "held_on",
            "title",
            "attending_organisations",
            "attendees",
            "agenda",
            "decisions",
            "minutes",
        ]
        widgets = {
            "held_on": DateInput(),
            "attending_organisations": forms.CheckboxSelectMultiple(),
            "attendees": forms.Textarea(attrs={"rows": 5}),
            "agenda": forms.Textarea(attrs={"rows": 5}),
            "decisions": forms.Textarea(attrs={"rows": 6}),
            "minutes": forms.Textarea(attrs={"rows": 10}),
        }
        error_messages = {
            "held_on": {"required": "Indiquez la date de la réunion.", "invalid": "Saisissez une date valide."},
            "convention": {"required": "Choisissez la convention suivie par ce comité."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["convention"].queryset = Convention.objects.order_by("signed_on", "title")
        self.fields["attending_organisations"].queryset = Organisation.objects.order_by("name")
        conventions = list(self.fields["convention"].queryset[:2])
        if not self.instance.pk and len(conventions) == 1:
            # One programme, one convention: nothing to choose.
            self.fields["convention"].initial = conventions[0].pk
