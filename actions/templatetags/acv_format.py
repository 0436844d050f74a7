"""French formats for templates: amounts, shares, fuzzy dates, and query strings for sortable lists."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from acv.values import format_duration, format_euros

register = template.Library()


@register.filter
def label_in(value, labels):
    """The label of `value` in a dict of labels built once from the choices (`{{ line.status|label_in:status_labels
    }}`), rather than get_FOO_display, which looks the choices up again for every row."""
    return labels.get(value, value)


@register.filter
def euros(amount):
    """7 927 732,94 € — or « à déterminer » for an unknown amount (never shown as 0)."""
    return format_euros(amount)


@register.filter
def euros_round(amount):
    """Whole euros, for figures in tables and charts."""
    if amount is None:
        return format_euros(None)
    return format_euros(Decimal(amount).quantize(Decimal("1")), decimals=0)


@register.filter
def duration(delta):
    """« 15 minutes » for a timedelta (never its ISO 8601 form, PT15M)."""
    return format_duration(delta)


@register.filter
def percent(value):
    """45,3 % — or « — » when there is nothing to divide by."""
    if value is None:
        return "—"
    return f"{number_format(value, 1, use_l10n=True)}\u00a0%"


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one); page resets."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def page_url(context, number, param="page"):
    """The current URL with page `number` in `param` (a page with two paginated lists names them apart)."""
    params = context["request"].GET.copy()
    params[param] = number
    return f"?{params.urlencode()}"


@register.filter
def fiches(count, programme):
    """« 1 fiche action », « 12 projets »: a number of fiches in the words of the programme (French puts 0 and 1
    in the singular)."""
    programme = _words_of(programme)
    singular, plural = programme.fiche_label, programme.fiche_label_plural
    # Grouped like every other number of the pages (« 12 955 », not « 12955 »).
    return f"{number_format(count, force_grouping=True)} {singular if count in (0, 1) else plural}"


@register.filter
def agreed(word, programme):
    """A past participle agreed with the programme's name for a fiche: « suivi » → « suivie » for a fiche action,
    « suivi » for a projet (the plural is left to |pluralize)."""
    return f"{word}e" if _words_of(programme).is_fiche_feminine else word


def _words_of(programme):
    """The programme's words, or the defaults of a programme that configures none (a document rendered outside a
    request, with no programme at hand)."""
    from conventions.models import Programme

    return programme if programme else Programme()
