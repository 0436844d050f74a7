"""Forms of the fiche screens. Rules live in the models (clean() and constraints): ModelForms run them."""

from django import forms
from django.forms.models import BaseInlineFormSet, inlineformset_factory

from actions.models import EDITABLE_ACTION_FIELDS, Action, Milestone, Operation, ProgressUpdate
from financing.models import FundingLine

MONEY_FIELDS = ("cost_amount", "cost_min", "cost_max", "amount", "share")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The browser's date picker sends ISO dates whatever the page's language.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class FieldLayoutMixin:
    """Every field renders wrapped in one block (label, help, errors, widget) so rows can lay them out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = "actions/_field.html"


class WrittenTextMixin:
    """A value « as written » describes the reading it came with: when someone changes the reading
    (a new amount, a new date) without touching the text, the old text would keep showing the old
    value, so it is dropped and the page shows the new reading."""

    written = {
        "cost_text": ("cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis"),
        "start_text": ("start_on", "start_precision", "start_until"),
        "end_text": ("end_on", "end_precision", "end_until"),
    }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for text, readings in self.written.items():
                if text in self.fields and text not in self.changed_data and set(readings) & set(self.changed_data):
                    cleaned[text] = ""
        return cleaned


class FrenchNumbersMixin(FieldLayoutMixin):
    """Amounts are typed and shown the French way (« 120 000,50 ») and read either way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MONEY_FIELDS:
            field = self.fields.get(name)
            if field is not None:
                field.localize = True
                field.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
                field.widget.is_localized = True


PERIOD_WIDGETS = {
    "start_on": DateInput(),
    "end_on": DateInput(),
    "start_until": DateInput(),
    "end_until": DateInput(),
}


class ActionForm(WrittenTextMixin, FrenchNumbersMixin, forms.ModelForm):
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


class OperationForm(WrittenTextMixin, FrenchNumbersMixin, forms.ModelForm):
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


class FundingLineForm(FrenchNumbersMixin, forms.ModelForm):
    class Meta:
        model = FundingLine
        fields = [
            "funder",
            "scheme",
            "nature",
            "amount",
            "share",
            "basis",
            "status",
            "operation",
            "decision_reference",
            "decision_date",
            "source_text",
        ]
        widgets = {"decision_date": DateInput()}

    def __init__(self, *args, operations=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this fiche's operations; the list is evaluated once per formset (see FundingLineFormSet).
        self.fields["operation"].queryset = operations if operations is not None else Operation.objects.none()
        self.fields["funder"].queryset = self.fields["funder"].queryset.order_by("name")


class BaseRowFormSet(BaseInlineFormSet):
    """Rows are added in place (htmx: see FormsetRowView) and removed with their « supprimer » box."""

    def blank_form(self, index):
        """The empty row at this index, as the formset would build it on a POST of index + 1 forms."""
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix(index),
            empty_permitted=True,
            use_required_attribute=False,
            **self.get_form_kwargs(None),
        )
        self.add_fields(form, index)
        return form


class FundingLineFormSetBase(BaseRowFormSet):
    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["operations"] = self.operations
        return kwargs

    @property
    def operations(self):
        if not hasattr(self, "_operations"):
            queryset = Operation.objects.filter(action=self.instance) if self.instance.pk else Operation.objects.none()
            # Evaluated once and shared by every row's select, not one query per row.
            list(queryset)
            self._operations = queryset
        return self._operations


OperationFormSet = inlineformset_factory(
    Action, Operation, form=OperationForm, formset=BaseRowFormSet, extra=0, can_delete=True
)
FundingLineFormSet = inlineformset_factory(
    Action, FundingLine, form=FundingLineForm, formset=FundingLineFormSetBase, extra=0, can_delete=True
)

FORMSETS = {"operations": OperationFormSet, "funding": FundingLineFormSet}


class ProgressUpdateForm(FieldLayoutMixin, forms.ModelForm):
    class Meta:
        model = ProgressUpdate
        fields = ["year", "semester", "status", "percent_done", "achievements", "difficulties", "next_steps"]
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
