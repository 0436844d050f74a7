"""The documents seen from the fiches: the balance an avenant states next to the figures the fiches give, and
what a draft avenant gathers (the fiches created or changed since the last signed document, with their diffs).

Pure reads in a fixed number of queries; the writes they lead to are in actions.services.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from actions.models import Action, ActionSnapshot, ActionStatus
from actions.snapshots import diff, for_viewer, freeze_many
from acv.values import format_euros
from conventions import roles
from conventions.models import BalanceMeasure
from financing.managers import SETTLED, effective_basis

# The state that each counted measure of a balance reads (the amount measure reads the funded fiches).
MEASURE_STATUS = {
    BalanceMeasure.DELIVERED: ActionStatus.DELIVERED,
    BalanceMeasure.DELIVERED_FUNDED: ActionStatus.DELIVERED,
    BalanceMeasure.FUNDED_AMOUNT: ActionStatus.DELIVERED,
    BalanceMeasure.ABANDONED: ActionStatus.ABANDONED,
    BalanceMeasure.TO_START: ActionStatus.PLANNED,
}


def balance_scope(item):
    """The fiches a balance speaks of: those of its territory carried by the documents before the avenant that
    states it (the convention itself and earlier avenants) — the period it reviews."""
    fiches = Action.objects.filter(convention_id=item.convention_id, territory_id=item.territory_id)
    if item.amendment_id:
        fiches = fiches.filter(Q(amendment__isnull=True) | Q(amendment__number__lt=item.amendment.number))
    return fiches


def _partner_funded():
    """Subquery: the fiche has a settled line of a funder other than its maître d'ouvrage — a financing of the
    programme's partners, not the commune's own money."""
    from financing.models import FundingLine

    return Exists(
        FundingLine.objects.filter(action=OuterRef("pk"), status__in=SETTLED).exclude(funder=OuterRef("project_owner"))
    )


@dataclass
class BalanceRow:
    """A figure of a balance as the document states it, and the same figure computed from the fiches."""

    item: object
    computed: object = None  # a count, or {basis: amount} for an amount; None when not shown to this reader
    codes: list = field(default_factory=list)
    comparable: bool = True
    scope_count: int = 0  # the fiches the balance speaks of
    unknown_count: int = 0  # among them, those whose state no document gives

    @property
    def stated_display(self):
        value = self.item.stated_value
        return format_euros(value) if self.item.is_amount else f"{int(value)}"

    @property
    def computed_display(self):
        if self.computed is None:
            return ""
        if self.item.is_amount:
            if not self.computed:
                return format_euros(0)
            return " ; ".join(
                f"{format_euros(amount)} {basis or '(base non précisée)'}".strip()
                for basis, amount in self.computed.items()
            )
        return str(self.computed)

    @property
    def differs(self):
        if self.computed is None:
            return False
        if not self.item.is_amount:
            return self.computed != int(self.item.stated_value)
        if not self.comparable:
            return True
        return sum(self.computed.values(), 0) != self.item.stated_value


def balance_rows(items, viewer):
    """[BalanceRow] for these balance items (of one avenant). The computed side only for the roles that read
    every fiche and line (roles.compares_document_figures) or the programme itself (viewer None): for a
    partner the document's figures alone.

    One query per territory and measure family, whatever the number of fiches."""
    from financing.models import FundingLine

    rows = [BalanceRow(item) for item in items]
    # viewer None: the programme itself (the loader, the services that record the differences).
    if viewer is not None and not roles.compares_document_figures(viewer):
        return rows
    cache = {}
    for row in rows:
        item = row.item
        key = (item.convention_id, item.amendment_id, item.territory_id)
        if key not in cache:
            scope = balance_scope(item).annotate(partner_funded=_partner_funded())
            fiches = list(scope.order_by().values("pk", "code", "status", "partner_funded"))
            delivered_funded = [
                fiche["pk"] for fiche in fiches if fiche["status"] == ActionStatus.DELIVERED and fiche["partner_funded"]
            ]
            amounts = {
                entry["basis_of_line"]: entry["total"]
                for entry in FundingLine.objects.filter(action_id__in=delivered_funded, status__in=SETTLED)
                .exclude(funder=F("action__project_owner"))
                .order_by()
                .annotate(basis_of_line=effective_basis())
                .values("basis_of_line")
                .annotate(total=Sum("amount"), lines=Count("pk"))
            }
            cache[key] = (fiches, amounts)
        fiches, amounts = cache[key]
        status = MEASURE_STATUS[item.measure]
        selected = [fiche for fiche in fiches if fiche["status"] == status]
        if item.measure in (BalanceMeasure.DELIVERED_FUNDED, BalanceMeasure.FUNDED_AMOUNT):
            selected = [fiche for fiche in selected if fiche["partner_funded"]]
        row.codes = sorted((fiche["code"] for fiche in selected), key=lambda code: (len(code), code))
        row.scope_count = len(fiches)
        row.unknown_count = sum(1 for fiche in fiches if fiche["status"] == ActionStatus.UNKNOWN)
        if item.is_amount:
            row.computed = {basis: total or 0 for basis, total in amounts.items()}
            # HT and TTC are never added: a total over two bases is not compared with one figure.
            row.comparable = len(row.computed) <= 1
        else:
            row.computed = len(selected)
    return rows


# --- What a draft avenant gathers ----------------------------------------------------------------------


@dataclass
class GatheredFiche:
    """A fiche created or changed since the last signed document, and what changed."""

    action: object
    kind: str  # DocumentChangeKind value: introduced, changed or abandoned
    since: object = None  # the snapshot it is compared with (None: the fiche was never signed)
    diff: object = None
    frozen: dict = field(default_factory=dict)

    @property
    def kind_label(self):
        from actions.models import DocumentChangeKind

        return DocumentChangeKind(self.kind).label


def gather_since_signed(amendment, fiches, viewer):
    """The fiches of the avenant's convention (among `fiches`, the reader's restricted queryset) that no signed
    document carries yet, or whose state differs from the last one signed: introduced when never signed,
    abandoned when now abandoned, changed otherwise. The diffs are those this reader may read (lines cut by
    snapshots.for_viewer on both sides, so that a partner learns nothing of other funders' negotiations).
    A fixed number of queries."""
    from actions.models import DocumentChangeKind
    from financing.models import FundingLine

    scope = fiches.filter(convention_id=amendment.convention_id)
    snapshots = ActionSnapshot.objects.filter(action__in=scope.values("pk")).exclude(amendment=amendment)
    latest = snapshots.select_related("convention", "amendment").latest_per_action()
    frozen = freeze_many(scope)
    actions = {action.pk: action for action in scope.select_related("territory", "project_owner")}
    current, visible = {}, {}
    for pk, action_id in FundingLine.objects.filter(action__in=scope.values("pk")).values_list("pk", "action_id"):
        current.setdefault(action_id, set()).add(pk)
    for pk, action_id in (
        FundingLine.objects.visible_to(viewer).filter(action__in=scope.values("pk")).values_list("pk", "action_id")
    ):
        visible.setdefault(action_id, set()).add(pk)
    signed_text = roles.reads_document_text(viewer, amendment.convention_id, amendment.pk)

    def seen(data, pk):
        return for_viewer(
            data,
            viewer,
            current_lines=current.get(pk, set()),
            visible_lines=visible.get(pk, set()),
            shows_funding_text=signed_text,
        )

    gathered = []
    for pk, now in frozen.items():
        since = latest.get(pk)
        if since is None:
            gathered.append(GatheredFiche(actions[pk], DocumentChangeKind.INTRODUCED, None, None, seen(now, pk)))
            continue
        # Whether the fiche moved is decided on its whole state; what is shown of the move, on the reader's.
        if diff(since.data, now).is_empty:
            continue
        kind = (
            DocumentChangeKind.ABANDONED
            if now["fields"]["status"] == ActionStatus.ABANDONED
            else DocumentChangeKind.CHANGED
        )
        shown = diff(seen(since.data, pk), seen(now, pk))
        if shown.is_empty:
            continue  # it moved only in what this reader may not see: nothing to show, nor to hint at
        gathered.append(GatheredFiche(actions[pk], kind, since, shown, seen(now, pk)))
    return sorted(gathered, key=lambda entry: (len(entry.action.code), entry.action.code))


# --- Who gives its word on a fiche ---------------------------------------------------------------------


def validators_of(owner_id, territory_id, partner_ids, counted_funder_ids):
    """The rule of who pilots, funds or co-funds a fiche (avenant n°2, Article 4): its named partners and the
    funders of its lines still counted (a refused line funds nothing), its own commune and maître d'ouvrage
    aside — the fiche is theirs. Written once, for the rows a caller already holds."""
    return (set(partner_ids) | set(counted_funder_ids)) - {owner_id, territory_id}


def expected_validators(action_ids):
    """{action id: set of organisation ids} that pilot, fund or co-fund each fiche (validators_of), three queries
    whatever the number of fiches."""
    from financing.models import COUNTED_STATUSES, FundingLine

    action_ids = list(action_ids)
    owners = {
        pk: (owner, territory)
        for pk, owner, territory in Action.objects.filter(pk__in=action_ids).values_list(
            "pk", "project_owner_id", "territory_id"
        )
    }
    partners, funders = {pk: set() for pk in owners}, {pk: set() for pk in owners}
    for pk, organisation in Action.partners.through.objects.filter(action_id__in=action_ids).values_list(
        "action_id", "organisation_id"
    ):
        partners[pk].add(organisation)
    for pk, organisation in (
        FundingLine.objects.filter(action_id__in=action_ids, status__in=COUNTED_STATUSES)
        .values_list("action_id", "funder_id")
        .distinct()
    ):
        funders[pk].add(organisation)
    return {pk: validators_of(*owners[pk], partners[pk], funders[pk]) for pk in owners}


def fiches_validated_by(organisation_id, fiches):
    """The fiches among `fiches` that this organisation pilots, funds or co-funds (expected_validators, as a
    queryset: one query whatever their number)."""
    from financing.models import COUNTED_STATUSES, FundingLine

    named = Action.partners.through.objects.filter(organisation_id=organisation_id).values("action_id")
    funded = FundingLine.objects.filter(funder_id=organisation_id, status__in=COUNTED_STATUSES).values("action_id")
    return (
        fiches.filter(Q(pk__in=named) | Q(pk__in=funded))
        .exclude(project_owner_id=organisation_id)
        .exclude(territory_id=organisation_id)
    )


def fiche_links(action, viewer):
    """(origins, continuations) of a fiche among the links this viewer may read — every link for viewer None (the
    programme itself: a report built for the comité). One query."""
    from actions.models import ActionLink

    links = ActionLink.objects.all() if viewer is None else ActionLink.objects.visible_to(viewer)
    links = list(links.filter(Q(later=action) | Q(earlier=action)).select_related("earlier", "later"))
    return (
        [link for link in links if link.later_id == action.pk],
        [link for link in links if link.earlier_id == action.pk],
    )
