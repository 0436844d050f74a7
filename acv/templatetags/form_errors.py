"""The error summary every form shows at the top after a failed save (RGAA 11.10 and 11.11).

One summary for the whole page, whatever it holds (a form, its formsets of rows): it counts the errors, names
each faulty field with a link to its input, and is focused on load (static/js/acv.js), so that a screen reader
user hears what to fix and reaches each field in one step. The messages next to the fields stay, tied to their
input by Django's `aria-describedby`.
"""

from dataclasses import dataclass

from django import template
from django.forms import BaseFormSet
from django.utils.text import capfirst

register = template.Library()


@dataclass
class ErrorItem:
    label: str
    message: str
    href: str


def _field_target(bound_field):
    """The id a link should jump to: the input itself, or its group (check boxes) when it has several."""
    return bound_field.id_for_label or bound_field.auto_id


def _form_items(form, prefix="", fallback_href=""):
    items = []
    for message in form.non_field_errors():
        items.append(ErrorItem(prefix.rstrip(" –"), message, fallback_href))
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        if name not in form.fields:
            continue
        bound = form[name]
        # A hidden field (the version of the row) has no input to go to: the row, or the top of the form, is it.
        href = fallback_href if bound.is_hidden else f"#{_field_target(bound)}"
        for message in errors:
            items.append(ErrorItem(f"{prefix}{capfirst(bound.label)}", message, href))
    return items


def _formset_items(formset):
    name = capfirst(formset.model._meta.verbose_name) if hasattr(formset, "model") else "Ligne"
    items = [ErrorItem("", message, "") for message in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        if row.errors:
            items.extend(_form_items(row, prefix=f"{name} {number} – ", fallback_href=f"#{row.prefix}-row"))
    return items


@register.inclusion_tag("includes/_error_summary.html")
def error_summary(*forms, subject="Le formulaire n'a pas été enregistré."):
    """{% error_summary form formset … subject="La fiche n'a pas été enregistrée." %}: nothing when all are valid."""
    items = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        items.extend(_formset_items(form) if isinstance(form, BaseFormSet) else _form_items(form))
    return {"items": items, "count": len(items), "subject": subject}
