"""Templates ask conventions.roles, like views do: `{% if user|can:"can_export_programme_reports" %}`."""

from django import template

from conventions import roles

register = template.Library()

# Only the questions that take a user alone; a typo fails loudly instead of hiding a link.
ABILITIES = {
    "reads_everything": roles.reads_everything,
    "reads_documents": roles.reads_documents,
    "can_export_programme_reports": roles.can_export_programme_reports,
    "sees_national_table": roles.sees_national_table,
    "can_manage_meetings": roles.can_manage_meetings,
    "edits_everything": roles.edits_everything,
    "can_export_funding_lines": roles.can_export_funding_lines,
    "is_partner": roles.is_partner,
    "sees_cross_programme_view": roles.sees_cross_programme_view,
    # As EnvelopeQuerySet decides: the roles that read everything see every envelope, a partner its own.
    "sees_envelopes": lambda user: roles.reads_everything(user) or roles.is_partner(user),
}


@register.filter
def can(user, ability):
    return ABILITIES[ability](user)
