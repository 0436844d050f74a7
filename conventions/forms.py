"""Forms of the conventions screens: comité meetings. Rules live in the model (clean()), which ModelForm runs."""

from django import forms

from conventions.models import CommitteeMeeting, Convention, Organisation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The browser's date picker sends ISO dates whatever the page's language.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


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
