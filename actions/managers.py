"""Fiche QuerySets: who may read and change what, list/detail loading and the fiche roll-ups, written once as SQL."""

from decimal import Decimal

from django.db import models
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from simple_history.manager import HistoricalQuerySet

from acv.access import RestrictedQuerySet
from acv.text import sort_key
from conventions import roles
from conventions.models import Axis
from financing.managers import (
    BASIS_ORDER,
    COUNTED,
    SETTLED,
    ZERO,
    basis_conflicts_for_action,
    funding_sum_for_action,
    unknown_funding_lines_for_action,
    with_names,
)

ZERO_DECIMAL = Decimal("0")


# A cost that is a number (exact or estimated) and not per year can be compared with funding.
def comparable_cost(prefix=""):
    """The fiches whose cost funding can be compared with: a one-off amount, exact or estimated (`prefix` leads
    from another model to the fiche)."""
    return Q(**{f"{prefix}cost_kind__in": ["exact", "estimated"], f"{prefix}cost_per_year": False})


COMPARABLE_COST = comparable_cost()


def visible_funding_lines(viewer):
    """The funding lines a viewer may see, or all of them when no viewer is given (reports, loaders)."""
    from financing.models import FundingLine

    return FundingLine.objects.all() if viewer is None else FundingLine.objects.visible_to(viewer)


def sees_every_line(viewer):
    """None stands for the programme itself (reports built for the comité, the loader): every line."""
    return viewer is None or roles.sees_every_funding_line(viewer)


class ActionQuerySet(RestrictedQuerySet):
    def _visible(self, user):
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

    def _editable(self, user):
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
        """Annotate each fiche with its cost bounds and the funding measures this viewer is entitled to.

        Everyone who sees the fiche: funding_acquired, the *part acquise* — accordé + versé lines of every
        funder. Settled lines are visible to all who see the fiche, so this is the same figure for every
        role; funding_acquired_unknown_lines counts the settled lines whose amount is not known.

        Roles that read every line (viewer None = the programme itself): also funding_<status> per status,
        funding_total — the *part prévue*, every line but refused ones —, funding_partners (the same without
        the maître d'ouvrage's own lines) and funding_unknown_lines.

        A partner: also funding_own and funding_own_unknown_lines, its own non-refused lines. It never gets
        a sum of "the lines it happens to see": such a figure would mix its negotiations with others'
        settled lines and mean nothing.

        Shares are then read from these (see the Action properties) — divisions stay out of SQL because
        SQLite divides integer-valued decimals as integers.
        """
        annotations = {
            "cost_low": Coalesce("cost_amount", "cost_min"),
            "cost_high": Coalesce("cost_amount", "cost_max"),
            "funding_acquired": funding_sum_for_action(statuses=SETTLED),
            "funding_acquired_unknown_lines": unknown_funding_lines_for_action(statuses=SETTLED),
            # Lines whose HT / TTC basis is not the cost's: no share of this fiche is computed from them. The
            # part acquise looks at the settled lines only (every role sees them), the part prévue at them all.
            "funding_basis_conflicts_settled": basis_conflicts_for_action(SETTLED),
        }
        if sees_every_line(viewer):
            annotations["funding_basis_conflicts"] = basis_conflicts_for_action()
            annotations["funding_total"] = funding_sum_for_action()
            annotations["funding_partners"] = funding_sum_for_action(exclude_owner=True)
            annotations["funding_unknown_lines"] = unknown_funding_lines_for_action()
            for status in ("planned", "requested", "granted", "paid", "refused"):
                annotations[f"funding_{status}"] = funding_sum_for_action(statuses=(status,))
        elif roles.is_partner(viewer):
            own = roles.organisation_id_of(viewer)
            annotations["funding_own"] = funding_sum_for_action(funder_id=own)
            annotations["funding_own_unknown_lines"] = unknown_funding_lines_for_action(funder_id=own)
        return self.annotate(**annotations)

    def for_list(self, viewer=None):
        """What a list of fiches shows, for this viewer, in a fixed number of queries."""
        return (
            self.select_related("territory", "project_owner", "sub_axis", "convention", "amendment")
            .prefetch_related("axes")
            .with_totals(viewer)
        )

    def for_detail(self, viewer=None):
        from actions.models import ProgressUpdate, QualityNote

        notes = QualityNote.objects.all() if viewer is None else QualityNote.objects.visible_to(viewer)
        return self.for_list(viewer).prefetch_related(
            "partners",
            "operations",
            "milestones",
            "result_indicators",
            models.Prefetch("quality_notes", queryset=notes),
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
        from actions.models import CLOSED_STATUSES

        # Written as the condition of the index action_open_by_end, so that the database may read it.
        return self.filter(end_until__lt=today).exclude(status__in=CLOSED_STATUSES)

    def without_progress_update(self, year, semester=None):
        """Fiches still open that have no état d'avancement for this semester (semester None: in this year, for a
        programme that reports once a year)."""
        from actions.models import CLOSED_STATUSES, ProgressUpdate

        done = ProgressUpdate.objects.filter(year=year)
        if semester is not None:
            done = done.filter(semester=semester)
        done = done.values("action_id")
        return self.exclude(pk__in=done).exclude(status__in=CLOSED_STATUSES)

    def with_open_quality_notes(self):
        from actions.models import QualityNote

        return self.filter(pk__in=QualityNote.objects.filter(is_open=True).values("action_id"))

    def comparable_funding(self, viewer=None, summary=None, costs=None):
        """The shares of the fiches whose cost is a one-off number, per HT / TTC basis of that cost.

        HT and TTC are never added: each basis of cost is compared with the lines of the same basis. A line
        whose basis is not given is read in its fiche's basis (the documents give a fiche's financing in the
        basis of its cost); a line whose explicit basis differs from its fiche's explicit cost basis is in no
        share — it is counted apart in `other_basis` and flagged on the fiche. Fiches with an unknown, ranged
        or yearly cost are left out on both sides.

        Returns {"by_basis": [{basis, cost, acquired, acquired_share, planned, planned_share}], "other_basis":
        {"lines", "amount"}}. `acquired` (accordé + versé, every funder) for everyone; `planned` (every line but
        refused ones) only when the viewer sees every line — None for a partner, never a partial sum.

        `summary`: summary rows of exactly these fiches' lines, when the caller has them (financing.managers.
        funding_summary_for); else the summary per fiche. `costs`: these fiches' comparable cost per basis, when the
        caller has their cost_totals() (its "comparable", read in the same pass); else read here.
        """
        from financing.models import FundingSummary

        if costs is None:
            costs = {
                row["cost_basis"]: row["cost"]
                for row in self.filter(COMPARABLE_COST)
                .order_by()
                .values("cost_basis")
                .annotate(cost=Coalesce(Sum("cost_amount"), ZERO))
            }
        if summary is None:
            summary = FundingSummary.objects.for_actions(self)
        cost_basis = summary.cost_basis_path
        same_basis = Q(basis="") | Q(**{cost_basis: ""}) | Q(basis=F(cost_basis))
        sees_all = sees_every_line(viewer)
        sums = {
            "acquired": Coalesce(Sum("amount", filter=same_basis & Q(status__in=SETTLED)), ZERO),
            "planned": Coalesce(Sum("amount", filter=same_basis & Q(status__in=COUNTED)), ZERO),
            "other_lines": Coalesce(
                Sum("lines", filter=~same_basis & Q(status__in=COUNTED if sees_all else SETTLED)), Value(0)
            ),
            "other_amount": Coalesce(
                Sum("amount", filter=~same_basis & Q(status__in=COUNTED if sees_all else SETTLED)), ZERO
            ),
        }
        lines = {
            row[cost_basis]: row
            # From the funding summary: a few rows per fiche (or per convention), with the lines' explicit bases.
            for row in summary.of_comparable_costs().order_by().values(cost_basis).annotate(**sums)
        }
        by_basis, other_lines, other_amount = [], 0, ZERO_DECIMAL
        for basis in sorted(costs, key=BASIS_ORDER.index):
            row = lines.get(basis, {})
            acquired, planned = row.get("acquired", ZERO_DECIMAL), row.get("planned", ZERO_DECIMAL)
            other_lines += row.get("other_lines", 0)
            other_amount += row.get("other_amount", ZERO_DECIMAL)
            by_basis.append(
                {
                    "basis": basis,
                    "cost": costs[basis],
                    "acquired": acquired,
                    "acquired_share": share(acquired, costs[basis]),
                    "planned": planned if sees_all else None,
                    "planned_share": share(planned, costs[basis]) if sees_all else None,
                    # What no line covers yet: a funding plan that is not complete shows its missing amount.
                    "to_fund": costs[basis] - planned if sees_all else None,
                }
            )
        return {"by_basis": by_basis, "other_basis": {"lines": other_lines, "amount": other_amount}}

    def cost_totals(self):
        """Total cost by HT/TTC basis, one-off costs and yearly costs apart; unknown costs counted.

        Returns {"by_basis": [{basis, low, high, count, unknown}], "per_year": [...same...], "comparable":
        {basis: cost}}: a total over fiches only means something on one basis, and a yearly cost cannot be added
        to a one-off. "comparable" is the cost comparable_funding() compares with funding (COMPARABLE_COST), per
        basis that has such fiches: read in the same pass, for the callers that show both.
        """
        sums = {
            "low": Coalesce(Sum(Coalesce("cost_amount", "cost_min")), ZERO),
            "high": Coalesce(Sum(Coalesce("cost_amount", "cost_max")), ZERO),
            "count": Count("pk"),
            "unknown": Count("pk", filter=Q(cost_kind="unknown")),
            "comparable_cost": Coalesce(Sum("cost_amount", filter=COMPARABLE_COST), ZERO),
            "comparable_count": Count("pk", filter=COMPARABLE_COST),
        }
        rows = self.order_by().values("cost_per_year", "cost_basis").annotate(**sums).order_by("cost_basis")
        result = {"by_basis": [], "per_year": [], "comparable": {}}
        for row in rows:
            comparable_cost, comparable_count = row.pop("comparable_cost"), row.pop("comparable_count")
            if comparable_count:
                result["comparable"][row["cost_basis"]] = comparable_cost
            result["per_year" if row.pop("cost_per_year") else "by_basis"].append(
                {"basis": row.pop("cost_basis"), **row}
            )
        return result

    def by_status(self):
        return self.order_by().values("status").annotate(count=Count("pk")).order_by("status")

    def by_territory(self):
        """Fiches per territory, ordered by its name (accents and case aside, alike on both engines). Grouped on the id,
        the names read in one more query: grouped on the names, PostgreSQL sorted the text of every fiche (national
        set: 45 → 24 ms)."""
        from conventions.models import Organisation

        rows = list(self.order_by().values("territory_id").annotate(count=Count("pk")))
        territories = Organisation.objects.filter(pk__in=[row["territory_id"] for row in rows])
        names = {pk: (name, short_name) for pk, name, short_name in territories.values_list("pk", "name", "short_name")}
        named = [
            {
                "territory_id": row["territory_id"],
                "territory__name": names[row["territory_id"]][0],
                "territory__short_name": names[row["territory_id"]][1],
                "count": row["count"],
            }
            for row in rows
        ]
        return sorted(named, key=lambda row: sort_key(row["territory__name"]))

    def by_sub_axis(self):
        """Fiches and their one-off cost per sous-axe and HT / TTC basis of cost (never added across bases;
        fiches without a sous-axe grouped under a null one)."""
        return (
            self.order_by()
            .values("sub_axis_id", "sub_axis__code", "sub_axis__title", "cost_basis")
            .annotate(
                count=Count("pk"),
                cost_low=Coalesce(Sum(Coalesce("cost_amount", "cost_min"), filter=Q(cost_per_year=False)), ZERO),
                cost_high=Coalesce(Sum(Coalesce("cost_amount", "cost_max"), filter=Q(cost_per_year=False)), ZERO),
            )
            .order_by("sub_axis__code", "cost_basis")
        )

    def by_axis(self):
        """Fiches and their one-off cost per axe and HT / TTC basis of cost (never added across bases; a fiche
        under two axes counts in both), by the axe's number (fiches without axe last), then basis. Grouped on the
        axe's id, its number, label and title read apart (national set, dashboard: 78 → 59 ms)."""
        rows = (
            self.order_by()
            .values("axes__id", "cost_basis")
            .annotate(
                count=Count("pk"),
                cost_low=Coalesce(Sum(Coalesce("cost_amount", "cost_min"), filter=Q(cost_per_year=False)), ZERO),
                cost_high=Coalesce(Sum(Coalesce("cost_amount", "cost_max"), filter=Q(cost_per_year=False)), ZERO),
            )
        )
        rows = with_names(list(rows), "axes__id", Axis, ("number", "label", "title"), "axes")
        return sorted(rows, key=lambda row: (row["axes__number"] is None, row["axes__number"] or "", row["cost_basis"]))


def share(part, whole):
    """part / whole as a percentage with one decimal, or None when whole is unknown or zero."""
    if whole in (None, 0) or part is None:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


class PartOfActionQuerySet(RestrictedQuerySet):
    """Operations, milestones, result indicators, progress updates: readable with their fiche, changed by
    whoever may change the fiche."""

    def _visible(self, user):
        from actions.models import Action

        return self.filter(action_id__in=Action.objects.visible_to(user).values("pk"))

    def _editable(self, user):
        from actions.models import Action

        return self.filter(action_id__in=Action.objects.editable_by(user).values("pk"))


class QualityNoteQuerySet(RestrictedQuerySet):
    """Where the documents disagree: the coordination's work list, read by the roles that read the whole
    programme (a note quotes every document's figures, funding included), kept by the coordination."""

    def _visible(self, user):
        return self.all() if roles.reads_everything(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.edits_everything(user) else self.none()


class HistoricalActionQuerySet(RestrictedQuerySet, HistoricalQuerySet):
    """History rows of fiches (and of their operations): readable with the fiche."""

    programme_paths = ("convention__programme",)

    def _visible(self, user):
        from actions.models import Action

        return self.filter(id__in=Action.objects.visible_to(user).values("pk"))

    def _editable(self, user):
        # History is a record: nobody changes it.
        return self.none()


class HistoricalOperationQuerySet(HistoricalActionQuerySet):
    programme_paths = ("action__convention__programme",)

    def _visible(self, user):
        from actions.models import Action

        return self.filter(action_id__in=Action.objects.visible_to(user).values("pk"))


class HistoricalResultIndicatorQuerySet(HistoricalOperationQuerySet):
    """History rows of a fiche's result indicators: readable with the fiche, changed by nobody."""
