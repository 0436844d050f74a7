"""What changed on funding lines, read from their history (django-simple-history)."""

from django.utils.formats import date_format
from django.utils.text import capfirst

from acv.values import format_euros
from financing.models import FundingLine, FundingStatus

TRACKED = ("status", "amount", "decision_reference", "decision_date")


def funding_changes_since(lines, since, user, limit=50):
    """Changes made by others to these lines after `since`, newest first, each with old → new values.

    Only history rows the user may read (HistoricalFundingLineQuerySet: a partner follows its own lines,
    never another funder's negotiation). Two queries whatever the number of lines: the recent history
    rows, then every row of those lines (to find each change's previous state).
    """
    if since is None:
        return []
    history = FundingLine.history.all().visible_to(user)
    recent = list(
        history.filter(id__in=lines.values("pk"), history_date__gt=since)
        .exclude(history_user=user)
        .order_by("-history_date")
        .values_list("history_id", flat=True)[:limit]
    )
    if not recent:
        return []
    rows = list(
        history.filter(id__in=history.filter(history_id__in=recent).values("id"))
        .select_related("history_user", "action", "funder")
        .order_by("id", "history_date", "history_id")
    )
    previous, changes = {}, []
    for row in rows:
        before = previous.get(row.id)
        previous[row.id] = row
        if row.history_id not in recent:
            continue
        if before is None:
            fields = [("création", "", "")]
        else:
            fields = [
                (FundingLine._meta.get_field(name).verbose_name, _shown(name, before), _shown(name, row))
                for name in TRACKED
                if getattr(before, name) != getattr(row, name)
            ]
        if row.history_type == "-":
            fields = [("suppression", "", "")]
        if fields:
            changes.append({"row": row, "fields": fields})
    changes.sort(key=lambda change: change["row"].history_date, reverse=True)
    return changes


def _shown(name, row):
    value = getattr(row, name)
    if name == "status":
        return capfirst(FundingStatus(value).label)
    if name == "amount":
        return format_euros(value)
    if name == "decision_date":
        return date_format(value, "j F Y") if value else "—"
    return value or "—"
