"""Fiche QuerySets: list/detail loading and the fiche roll-ups, written once as SQL."""

from decimal import Decimal

from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from financing.managers import ZERO, funding_sum_for_action, unknown_funding_lines_for_action

# A cost that is a number (exact or estimated) and not per year can be compared with funding.
COMPARABLE_COST = Q(cost_kind__in=["exact", "estimated"], cost_per_year=False)


class ActionQuerySet(models.QuerySet):
    def with_totals(self):
        """Annotate each fiche with its cost bounds and its funding by status.

        cost_low / cost_high: the amount, or the bounds of a range (null when unknown).
        funding_<status>: sum of the lines in that status (unknown amounts left out and counted apart
        in funding_unknown_lines). funding_total: every line but refused ones. funding_partners: the
        same, without the maître d'ouvrage's own lines. `share_funded` and `remaining_for_owner` are
        then read from these (see the Action properties) — divisions stay out of SQL because SQLite
        divides integer-valued decimals as integers.
        """
        annotations = {
            "cost_low": Coalesce("cost_amount", "cost_min"),
            "cost_high": Coalesce("cost_amount", "cost_max"),
            "funding_total": funding_sum_for_action(),
            "funding_partners": funding_sum_for_action(exclude_owner=True),
            "funding_unknown_lines": unknown_funding_lines_for_action(),
        }
        for status in ("planned", "requested", "granted", "paid", "refused"):
            annotations[f"funding_{status}"] = funding_sum_for_action(statuses=(status,))
        return self.annotate(**annotations)

    def for_list(self):
        return (
            self.select_related("territory", "project_owner", "sub_axis", "convention", "amendment")
            .prefetch_related("axes")
            .with_totals()
        )

    def for_detail(self):
        from actions.models import ProgressUpdate
        from financing.models import FundingLine

        return self.for_list().prefetch_related(
            "partners",
            "operations",
            "milestones",
            "result_indicators",
            "quality_notes",
            models.Prefetch("progress_updates", queryset=ProgressUpdate.objects.select_related("author")),
            models.Prefetch(
                "funding_lines",
                queryset=FundingLine.objects.select_related("funder", "scheme", "operation").prefetch_related("years"),
            ),
        )

    def late(self, today):
        """Fiches whose planned end has passed and that are neither delivered nor abandoned."""
        return self.filter(end_until__lt=today).exclude(status__in=["delivered", "abandoned"])

    def cost_totals(self):
        """Total cost by HT/TTC basis, one-off costs and yearly costs apart; unknown costs counted.

        Returns {"by_basis": [{basis, low, high, count, unknown}], "per_year": [...same...]}: a total
        over fiches only means something on one basis, and a yearly cost cannot be added to a one-off.
        """
        sums = {
            "low": Coalesce(Sum(Coalesce("cost_amount", "cost_min")), ZERO),
            "high": Coalesce(Sum(Coalesce("cost_amount", "cost_max")), ZERO),
            "count": Count("pk"),
            "unknown": Count("pk", filter=Q(cost_kind="unknown")),
        }
        rows = self.order_by().values("cost_per_year", "cost_basis").annotate(**sums).order_by("cost_basis")
        result = {"by_basis": [], "per_year": []}
        for row in rows:
            result["per_year" if row.pop("cost_per_year") else "by_basis"].append(
                {"basis": row.pop("cost_basis"), **row}
            )
        return result

    def by_status(self):
        return self.order_by().values("status").annotate(count=Count("pk")).order_by("status")

    def by_territory(self):
        return (
            self.order_by()
            .values("territory_id", "territory__name", "territory__short_name")
            .annotate(count=Count("pk"))
            .order_by("territory__name")
        )

    def by_axis(self):
        """Fiches and their one-off cost per axe (a fiche under two axes counts in both)."""
        return (
            self.order_by()
            .values("axes__id", "axes__number", "axes__title")
            .annotate(
                count=Count("pk"),
                cost_low=Coalesce(Sum(Coalesce("cost_amount", "cost_min"), filter=Q(cost_per_year=False)), ZERO),
                cost_high=Coalesce(Sum(Coalesce("cost_amount", "cost_max"), filter=Q(cost_per_year=False)), ZERO),
            )
            .order_by("axes__number")
        )


def share(part, whole):
    """part / whole as a percentage with one decimal, or None when whole is unknown or zero."""
    if whole in (None, 0) or part is None:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
