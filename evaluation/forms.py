"""Forms of the reports: the end-of-action report of a fiche (the semester to report on is
conventions.forms.SemesterForm, a notion of the programme's calendar)."""

from django import forms

from evaluation.models import EndOfActionReport


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
