"""Templates ask the same rule as the export views: `{% if action|exportable_by:user %}`."""

from django import template

from evaluation.views import may_export_action

register = template.Library()


@register.filter
def exportable_by(action, user):
    return may_export_action(user, action)


@register.simple_tag
def grid_cell_url(indicator, place, column, next_url=""):
    """The address of one cell's form (a page without JavaScript, the in-place form with htmx)."""
    from evaluation.views import cell_url

    return cell_url(indicator, place, column, next_url)


@register.simple_tag
def grid_cell_id(indicator, place, column):
    from evaluation.views import cell_id

    return cell_id(indicator, place, column)


@register.filter
def reads_grid(user):
    """The evaluation grid is read by every account with a role on a programme that has one."""
    from conventions import roles

    return roles.reads_evaluation_grid(user)


@register.filter
def value_of(number, indicator):
    """A value in French with the indicator's decimals and unit: `{{ value.value|value_of:indicator }}`."""
    from evaluation.models import format_value

    return format_value(indicator, number)


@register.simple_tag
def result_indicators_of(action, user):
    """The fiche's result indicators, each with the grid indicator it feeds (`feeds`), for the fiche page:
    `{% result_indicators_of action user as indicators %}`."""
    from evaluation.models import with_grid_indicators

    return with_grid_indicators(action.result_indicators.all(), user)
