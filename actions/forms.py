"""Forms of the fiche screens: they read and type what is typed; the rules live in the models (clean() and
constraints) and in actions.services (the « text as written » rule, versions, access)."""

from django import forms
from django.forms.models import inlineformset_factory

from actions.models import EDITABLE_ACTION_FIELDS, Action, Milestone, Operation, ProgressUpdate
from acv.forms import BaseRowFormSet, DateInput, FieldLayoutMixin, FrenchNumbersMixin
from financing.forms import FundingLineFormSet

PERIOD_WIDGETS = {
    "start_on": DateInput(),
    "end_on": DateInput(),
    "start_until": DateInput(),
    "end_until": DateInput(),
}


class ActionForm(FrenchNumbersMixin, forms.ModelForm):
    class Meta:
        model = Action
        fields = EDITABLE_ACTION_FIELDS
        widgets = {
            **PERIOD_WIDGETS,
            "title": forms.TextInput(attrs={"class": "wide"}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "stakeholders": forms.Textarea(attrs={"rows": 3}),
            "funding_text": forms.Textarea(attrs={"rows": 3}),
            "axes": forms.CheckboxSelectMultiple,
            "partners": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amendment"].queryset = self.fields["amendment"].queryset.select_related("convention")
        self.fields["sub_axis"].queryset = self.fields["sub_axis"].queryset.select_related("axis")
        self.fields["axes"].queryset = self.fields["axes"].queryset.select_related("programme")


class OperationForm(FrenchNumbersMixin, forms.ModelForm):
    class Meta:
        model = Operation
        fields = [
            "reference",
            "name",
            "cost_kind",
            "cost_amount",
            "cost_min",
            "cost_max",
            "cost_basis",
            "start_on",
            "start_precision",
            "start_text",
            "end_on",
            "end_precision",
            "end_text",
        ]
        widgets = {**PERIOD_WIDGETS, "name": forms.TextInput(attrs={"class": "wide"})}


OperationFormSet = inlineformset_factory(
    Action, Operation, form=OperationForm, formset=BaseRowFormSet, extra=0, can_delete=True
)

FORMSETS = {"operations": OperationFormSet, "funding": FundingLineFormSet}


class ProgressUpdateForm(FieldLayoutMixin, forms.ModelForm):
    correction_reason = forms.CharField(
        label="Motif de la correction",
        required=False,
        max_length=300,
        help_text="Seulement pour un semestre dont le rapport a déjà été présenté au comité (la coordination).",
    )

    class Meta:
        model = ProgressUpdate
        fields = [
            "year",
            "semester",
            "status",
            "status_reason",
            "decided_by",
            "percent_done",
            "achievements",
            "difficulties",
            "next_steps",
        ]
        widgets = {
            "achievements": forms.Textarea(attrs={"rows": 3}),
            "difficulties": forms.Textarea(attrs={"rows": 3}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
        }

    def _get_validation_exclusions(self):
        # The fiche is set by the view, not typed: keep it in the model's checks so that the
        # "one update per semester" constraint answers with its message instead of a database error.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("action")
        return exclusions


class MilestoneAchieveForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["achieved_on"]
        widgets = {"achieved_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["achieved_on"].required = True
