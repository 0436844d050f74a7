"""Lookups the fiche page's états d'avancement need: the frozen semester and the corrections of one update."""

from django import template

register = template.Library()


@register.filter
def semester(frozen, update):
    """The PresentedSemester that froze this update's semester, if any (`frozen`: {(year, semester): row})."""
    return (frozen or {}).get((update.year, update.semester))


@register.filter
def corrections_of(corrections, update):
    """The history rows of this update that carry a reason (its corrections)."""
    return (corrections or {}).get(update.pk, [])
