"""Form pieces every app's screens share: date inputs, the field layout, French amounts, rows added in place."""

import contextlib

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.html import format_html

from acv.text import normalise_for_search

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


class SuggestionsInput(forms.TextInput):
    """A text input whose suggestions load as the user types (a <datalist> filled by htmx from `source_url`), for
    a choice among more rows than a list can show. The browser announces it as a combobox; without script, a typed
    name still works."""

    def __init__(self, source_url, attrs=None):
        super().__init__(attrs=attrs)
        self.source_url = source_url

    def render(self, name, value, attrs=None, renderer=None):
        options_id = f"{(attrs or {}).get('id') or name}_options"
        attrs = {
            **(attrs or {}),
            "list": options_id,
            "autocomplete": "off",
            "hx-get": self.source_url,
            "hx-trigger": "focus once, input changed delay:250ms",
            "hx-target": f"#{options_id}",
            "hx-swap": "innerHTML",
            # The filter form pushes its URL and swaps the results: the suggestions do neither.
            "hx-push-url": "false",
            "hx-sync": "this:replace",
        }
        return super().render(name, value, attrs, renderer) + format_html('<datalist id="{}"></datalist>', options_id)


class NamedModelChoiceField(forms.ModelChoiceField):
    """A choice of one row, given by its id (the API, links) or typed by its name (a SuggestionsInput). A name no
    row has, or that several share, is refused with a French message; case and accents do not matter."""

    def __init__(self, *args, name_field="name", **kwargs):
        self.name_field = name_field
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = " ".join(str(value).split())
        if text.isdigit():
            return super().to_python(text)
        matches = list(self.queryset.filter(**{self.name_field: text})[:2])
        if not matches:
            # The choices of such a filter are hundreds, not millions: compared here, alike on both engines.
            wanted = normalise_for_search(text)
            matches = [row for row in self.queryset if normalise_for_search(getattr(row, self.name_field)) == wanted]
        if len(matches) != 1:
            message = "Plusieurs choix portent ce nom : choisissez dans la liste." if matches else None
            raise forms.ValidationError(
                message or f"« {text} » ne figure pas parmi les choix : choisissez dans la liste proposée.",
                code="invalid_choice",
            )
        return matches[0]

    def prepare_value(self, value):
        # A text input shows the name as the row has it, also when the page was reached by a link that gives the
        # id or the name was typed without its accents; what matches nothing stays as typed, next to its error.
        # A list selects the row's id, also when the link gave its name (typed where the list was a text input);
        # an id it selects as it is, without reading the row.
        text_input = isinstance(self.widget, SuggestionsInput)
        if isinstance(value, str | int) and not isinstance(value, bool) and (text_input or not str(value).isdigit()):
            with contextlib.suppress(forms.ValidationError):
                value = self.to_python(value) or value
        if text_input:
            return getattr(value, self.name_field, value)
        return super().prepare_value(value)
