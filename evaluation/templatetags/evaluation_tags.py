"""Templates ask the same rule as the export views: `{% if action|exportable_by:user %}`."""

from django import template

from evaluation.views import may_export_action

register = template.Library()


@register.filter
def exportable_by(action, user):
    return may_export_action(user, action)
