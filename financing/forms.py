"""Forms of the funding lines: the rows of a fiche's funding table, and the partners' form on their own
lines (state, decision and yearly split — nothing else)."""

from django import forms
from django.forms import inlineformset_factory

from actions.models import Action, Operation
from acv.forms import BaseRowFormSet, DateInput, FrenchNumbersMixin
from conventions.roles import PARTNER_EDITABLE_FUNDING_FIELDS
from financing.models import FundingLine, FundingLineYear, FundingScheme, Payment


class FundingLineForm(FrenchNumbersMixin, forms.ModelForm):
    # The version the row was opened with: the save is refused if the line changed meanwhile (a partner
    # recording its decision from its portal, say), instead of overwriting it.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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

    def __init__(self, *args, operations=None, schemes=None, refresh_version=False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and (refresh_version or not self.is_bound):
            self.initial["version"] = self.instance.version
            if refresh_version and self.is_bound:
                # After a conflict: the values typed stay, the version becomes the current one.
                self.data = self.data.copy()
                self.data[self.add_prefix("version")] = self.instance.version
        # Only this fiche's operations; the list is evaluated once per formset (see FundingLineFormSet).
        self.fields["operation"].queryset = operations if operations is not None else Operation.objects.none()
        self.fields["funder"].queryset = self.fields["funder"].queryset.order_by("name")
        if schemes is not None:
            # The schemes of the fiche's programme only (financing.models.FundingLine.clean holds the rule).
            self.fields["scheme"].queryset = schemes


class FundingLineFormSetBase(BaseRowFormSet):
    def __init__(self, *args, refresh_versions=False, user=None, **kwargs):
        self.refresh_versions = refresh_versions
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["operations"] = self.operations
        kwargs["schemes"] = self.schemes
        kwargs["refresh_version"] = self.refresh_versions
        return kwargs

    @property
    def schemes(self):
        """The schemes of the programme the user works in, read once for every row's select."""
        if self.user is None:
            return None
        if not hasattr(self, "_schemes"):
            queryset = FundingScheme.objects.visible_to(self.user).order_by("name")
            list(queryset)
            self._schemes = queryset
        return self._schemes

    @property
    def operations(self):
        if not hasattr(self, "_operations"):
            queryset = Operation.objects.filter(action=self.instance) if self.instance.pk else Operation.objects.none()
            # Evaluated once and shared by every row's select, not one query per row.
            list(queryset)
            self._operations = queryset
        return self._operations


FundingLineFormSet = inlineformset_factory(
    Action, FundingLine, form=FundingLineForm, formset=FundingLineFormSetBase, extra=0, can_delete=True
)


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


class PaymentForm(FrenchNumbersMixin, forms.ModelForm):
    """A versement as the funder (or the coordination) records it; its rules run in financing.services."""

    class Meta:
        model = Payment
        fields = ("paid_on", "amount", "reference", "document")
        widgets = {"paid_on": DateInput()}

    def _post_clean(self):
        pass
