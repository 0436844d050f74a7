"""Fiche QuerySets: list/detail loading and the fiche roll-ups, written once as SQL."""

from decimal import Decimal

from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from conventions import roles
from financing.managers import ZERO, funding_sum_for_action, unknown_funding_lines_for_action

# A cost that is a number (exact or estimated) and not per year can be compared with funding.
COMPARABLE_COST = Q(cost_kind__in=["exact", "estimated"], cost_per_year=False)


def visible_funding_lines(viewer):
    """The funding lines a viewer may see, or all of them when no viewer is given."""
    from financing.models import FundingLine

    return FundingLine.objects.all() if viewer is None else FundingLine.objects.visible_to(viewer)


class ActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The fiches this user may read (rules in conventions.roles): the whole programme for its
        roles; for a partner, the fiches it funds or is named partner of; nothing otherwise."""
        from financing.models import FundingLine

        if roles.reads_everything(user):
            return self.all()
        if roles.is_partner(user):
            organisation = roles.organisation_id_of(user)
            funded = FundingLine.objects.filter(funder_id=organisation).values("action_id")
            partnered = self.model.partners.through.objects.filter(organisation_id=organisation).values("action_id")
            # pk__in subqueries, not joins: a fiche funded twice by the partner stays one row.
            return self.filter(Q(pk__in=funded) | Q(pk__in=partnered))
        return self.none()

    def editable_by(self, user):
        """The fiches this user may change: every fiche for admin and coordinator; for a référent, the
        fiches whose maître d'ouvrage is its organisation."""
        if roles.edits_everything(user):
            return self.all()
        if roles.is_referent(user):
            return self.filter(project_owner_id=roles.organisation_id_of(user))
        return self.none()

    def can_create(self, user):
        return roles.can_create_actions(user)

    def with_totals(self, viewer=None):
        """Annotate each fiche with its cost bounds and its funding by status.

        cost_low / cost_high: the amount, or the bounds of a range (null when unknown).
        funding_<status>: sum of the lines in that status (unknown amounts left out and counted apart
        in funding_unknown_lines). funding_total: every line but refused ones. funding_partners: the
        same, without the maître d'ouvrage's own lines. `share_funded` and `remaining_for_owner` are
        then read from these (see the Action properties) — divisions stay out of SQL because SQLite
        divides integer-valued decimals as integers.

        `viewer`: sum only the lines this user may see (a partner must not read, through a total,
        what other funders are still negotiating); None sums every line.
        """
        lines = visible_funding_lines(viewer)
        annotations = {
            "cost_low": Coalesce("cost_amount", "cost_min"),
            "cost_high": Coalesce("cost_amount", "cost_max"),
            "funding_total": funding_sum_for_action(lines=lines),
            "funding_partners": funding_sum_for_action(exclude_owner=True, lines=lines),
            "funding_unknown_lines": unknown_funding_lines_for_action(lines=lines),
        }
        for status in ("planned", "requested", "granted", "paid", "refused"):
            annotations[f"funding_{status}"] = funding_sum_for_action(statuses=(status,), lines=lines)
        return self.annotate(**annotations)

    def for_list(self, viewer=None):
        return (
            self.select_related("territory", "project_owner", "sub_axis", "convention", "amendment")
            .prefetch_related("axes")
            .with_totals(viewer)
        )

    def for_detail(self, viewer=None):
        from actions.models import ProgressUpdate

        return self.for_list(viewer).prefetch_related(
            "partners",
            "operations",
            "milestones",
            "result_indicators",
            "quality_notes",
            models.Prefetch("progress_updates", queryset=ProgressUpdate.objects.select_related("author")),
            models.Prefetch(
                "funding_lines",
                queryset=visible_funding_lines(viewer)
                .select_related("funder", "scheme", "operation")
                .prefetch_related("years")
                .order_by("position", "pk"),
            ),
        )

    def late(self, today):
        """Fiches whose planned end has passed and that are neither delivered nor abandoned."""
        return self.filter(end_until__lt=today).exclude(status__in=["delivered", "abandoned"])

    def without_progress_update(self, year, semester):
        """Fiches still open that have no état d'avancement for this semester."""
        from actions.models import ProgressUpdate

        done = ProgressUpdate.objects.filter(year=year, semester=semester).values("action_id")
        return self.exclude(pk__in=done).exclude(status__in=["delivered", "abandoned"])

    def with_open_quality_notes(self):
        from actions.models import QualityNote

        return self.filter(pk__in=QualityNote.objects.filter(is_open=True).values("action_id"))

    def comparable_funding(self, viewer=None):
        """Cost and counted funding of the fiches whose cost is a one-off number: the base of a share funded.

        Fiches with an unknown, ranged or yearly cost are left out on both sides, so the share compares
        like with like.
        """
        comparable = self.filter(COMPARABLE_COST)
        cost = comparable.order_by().aggregate(total=Coalesce(Sum("cost_amount"), ZERO))["total"]
        funded = (
            visible_funding_lines(viewer)
            .for_actions(comparable)
            .counted()
            .aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
        )
        return {"cost": cost, "funded": funded, "share": share(funded, cost)}

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

    def by_sub_axis(self):
        """Fiches and their one-off cost per sous-axe (fiches without one grouped under a null sous-axe)."""
        return (
            self.order_by()
            .values("sub_axis_id", "sub_axis__code", "sub_axis__title")
            .annotate(
                count=Count("pk"),
                cost_low=Coalesce(Sum(Coalesce("cost_amount", "cost_min"), filter=Q(cost_per_year=False)), ZERO),
                cost_high=Coalesce(Sum(Coalesce("cost_amount", "cost_max"), filter=Q(cost_per_year=False)), ZERO),
            )
            .order_by("sub_axis__code")
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
