"""Form pieces every app's screens share: date inputs, the field layout, French amounts, rows added in place."""

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property

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


class BaseRowFormSet(BaseInlineFormSet):
    """Rows are added in place (htmx: see actions.views.FormsetRowView) and removed with their « supprimer » box."""

    @cached_property
    def forms(self):
        """The rows the page sent. A row added then removed before saving leaves a gap in the numbering (the
        counter only goes up): that gap is no row at all, not an empty one whose defaults would be « changed »."""
        forms = super().forms
        if not self.is_bound:
            return forms
        start = f"{self.prefix}-"
        sent = {key[len(start) :].partition("-")[0] for key in self.data if key.startswith(start)}
        return [form for form in forms if form.instance.pk or form.prefix[len(start) :] in sent]

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
