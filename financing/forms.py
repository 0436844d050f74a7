"""The partners' form on their own funding lines: state, decision and yearly split — nothing else."""

from django import forms
from django.forms import inlineformset_factory

from actions.forms import FrenchNumbersMixin
from conventions.roles import PARTNER_EDITABLE_FUNDING_FIELDS
from financing.models import FundingLine, FundingLineYear


class FundingLineDecisionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = FundingLine
        fields = PARTNER_EDITABLE_FUNDING_FIELDS
        widgets = {"decision_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def _post_clean(self):
        # The rules run once, in the service (full_clean there); here only the fields are read.
        pass


class FundingLineYearForm(FrenchNumbersMixin, forms.ModelForm):
    class Meta:
        model = FundingLineYear
        fields = ("year", "amount")


FundingLineYearFormSet = inlineformset_factory(
    FundingLine, FundingLineYear, form=FundingLineYearForm, extra=2, can_delete=True
)
