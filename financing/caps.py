"""Caps of funding schemes and ceilings of envelopes: which ones a funding line or an envelope goes over.

Reads only, nothing here writes. Over a cap is a warning, not an error: the line is stored, and whoever
wrote it is told (`line_warnings`, called after the save); envelopes are shown with what counts against
them (`envelope_consumption`, the Enveloppes page) and those over or close to their ceiling are flagged
(`alerts_for`, the partial `financing/_envelope_alerts.html`).

Which lines count against an envelope is written once, in `_counting_lines`: `envelope_lines(envelope)` is
that rule for one envelope, and the roll-ups annotate a queryset of envelopes with the same rule.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import JSONObject
from django.db.models.lookups import IsNull
from django.utils.formats import number_format

from acv.access import require_restricted
from acv.values import MONEY, CostKind, format_euros
from conventions.models import Convention, OrganisationKind
from financing.managers import COUNTED, SETTLED
from financing.models import Envelope, FundingLine, FundingLineYear, FundingStatus

# Prévu and sollicité: foreseen or asked for, not decided yet. Accordé and versé (SETTLED) consume the envelope.
PENDING = (FundingStatus.PLANNED, FundingStatus.REQUESTED)
# An envelope with less than this share of its ceiling left is shown as close to it.
AT_RISK_SHARE = Decimal("0.10")
ZERO_EUROS = Decimal("0")
CENT = Decimal(10) ** -MONEY["decimal_places"]

STATE_OVER = "dépassée"
STATE_NEAR = "à moins de 10 % du plafond"
STATE_PENDING_OVER = "dépassée si les lignes prévues et sollicitées sont accordées"
STATE_WITHIN = "dans le plafond"

# How a line's amount is spoken of in a warning, by its state.
_AMOUNT_WORDS = {
    FundingStatus.PLANNED: "prévus",
    FundingStatus.REQUESTED: "demandés",
    FundingStatus.GRANTED: "accordés",
    FundingStatus.PAID: "versés",
}


# -- Which lines count against an envelope ---------------------------------------------------------------------


class _EnvelopeInHand:
    """An envelope already read: the rule compares each line with its values."""

    def __init__(self, envelope):
        self.envelope = envelope

    def column(self, name, depth=0):
        return Value(getattr(self.envelope, name), output_field=models.IntegerField())


class _OuterEnvelope:
    """The envelope of the enclosing query's row, `depth` subqueries further out than the lines' query."""

    def column(self, name, depth=0):
        reference = OuterRef(name)
        for _ in range(depth):
            reference = OuterRef(reference)
        return reference


def _counting_lines(envelope, *, territorial=None):
    """The funding lines that count against `envelope` (an _EnvelopeInHand or an _OuterEnvelope).

    `territorial` (True / False), when the caller knows whether the envelope has a territory, writes the
    territory condition without its OR: PostgreSQL then finds a territory's lines through its fiches (an index)
    instead of reading every line of the funder for each envelope. Same rule, same lines.

    A line counts against an envelope when all of these hold:

    - it is a line of the envelope's funder, and it is not refused (a refused line funds nothing);
    - territory: when the envelope is for a territory, the line's fiche is located there (an envelope without
      territory covers every fiche);
    - programme: when the envelope was set aside for a programme, the line's fiche is of that programme (an
      envelope without programme covers every programme);
    - scheme: when both the envelope and the line name a scheme, it is the same one; a line without scheme
      counts against its funder's envelope for that territory and period, and an envelope without scheme
      takes every scheme of its funder;
    - period: a line with a yearly split counts when one of its years is within period_start..period_end;
      a line without split counts when its fiche's dates (`start_on`, its first day, to `end_until`, its
      last day) overlap these years, a missing date leaving that side open (a fiche with no date at all
      counts).

    A line counts with its whole amount, not only its years within the period: the ceiling caps what the
    funder commits to, the split says when it pays.
    """
    column = envelope.column
    split = FundingLineYear.objects.filter(funding_line=OuterRef("pk"))
    # The years' subquery sits one level further in, so the envelope is one more level out from it.
    split_in_period = split.filter(year__gte=column("period_start", 1), year__lte=column("period_end", 1))
    fiche_in_period = (Q(action__start_on__isnull=True) | Q(action__start_on__year__lte=column("period_end"))) & (
        Q(action__end_until__isnull=True) | Q(action__end_until__year__gte=column("period_start"))
    )
    # The programme through an EXISTS on the fiche's convention rather than a join: joined, PostgreSQL loops over
    # every convention for each line of a funder-wide envelope (a million rows for 250 conventions).
    of_programme = Convention.objects.filter(
        pk=OuterRef("action__convention_id"), programme_id=column("programme_id", 1)
    )
    if territorial is None:
        territory = Q(IsNull(column("territory_id"), True)) | Q(action__territory_id=column("territory_id"))
    elif territorial:
        territory = Q(action__territory_id=column("territory_id"))
    else:
        territory = Q()  # an envelope without territory covers every fiche
    return FundingLine.objects.filter(
        Q(funder_id=column("funder_id")),
        Q(status__in=COUNTED),
        territory,
        Q(IsNull(column("programme_id"), True)) | Q(Exists(of_programme)),
        Q(IsNull(column("scheme_id"), True)) | Q(scheme__isnull=True) | Q(scheme_id=column("scheme_id")),
        Q(Exists(split_in_period)) | (~Q(Exists(split)) & fiche_in_period),
    )


def envelope_lines(envelope):
    """The funding lines that count against this envelope, by the rule of `_counting_lines`. Not restricted to a
    viewer: they are all lines of the envelope's funder, which whoever may see the envelope may see."""
    return _counting_lines(_EnvelopeInHand(envelope))


def envelopes_of_line(line):
    """The envelopes a stored funding line counts against (none for a refused line)."""
    return Envelope.objects.filter(Exists(_counting_lines(_OuterEnvelope()).filter(pk=line.pk)))


# -- What counts against an envelope ---------------------------------------------------------------------------


class _ExactDecoder(json.JSONDecoder):
    """Numbers with a fraction read as Decimals, not floats: the sums stay exact (PostgreSQL writes its numerics
    into JSON as they are; SQLite, which adds decimals as floats, writes 15 significant digits, as it hands them
    to a DecimalField)."""

    def __init__(self, **kwargs):
        super().__init__(parse_float=Decimal, **kwargs)


def _figures(lines, fiches):
    """One row per envelope (its lines share one funder): every measure of it from one pass over its lines, as one
    JSON object — a subquery returns one column, and three subqueries read the same lines three times."""
    figures = {
        "consumed": Sum("amount", filter=Q(status__in=SETTLED)),
        "pending": Sum("amount", filter=Q(status__in=PENDING)),
        "unknown_lines": Count("pk", filter=Q(amount__isnull=True)),
    }
    if fiches is not None:
        # Distinct fiches: a fiche with two lines counting against the envelope is one fiche.
        figures["fiche_count"] = Count("action_id", distinct=True, filter=Q(action_id__in=fiches.values("pk")))
    row = lines.order_by().values("funder").annotate(figures=JSONObject(**figures)).values("figures")
    return Subquery(row)


def with_consumption(envelopes, *, fiches=None):
    """The envelopes annotated with `figures`, {consumed (accordé + versé), pending (prévu + sollicité),
    unknown_lines (lines of unknown amount, in neither sum: unknown is not zero)} and, with `fiches`, fiche_count
    (how many of those fiches have a line counting against the envelope); None when no line counts against it.
    A correlated subquery: one query for all the envelopes, however many."""
    with_territory = _counting_lines(_OuterEnvelope(), territorial=True)
    everywhere = _counting_lines(_OuterEnvelope(), territorial=False)
    # CASE runs only the branch of each envelope: a territory's envelope reads that territory's lines only.
    figures = Case(
        When(territory__isnull=True, then=_figures(everywhere, fiches)),
        default=_figures(with_territory, fiches),
        output_field=models.JSONField(decoder=_ExactDecoder),
    )
    return envelopes.annotate(figures=figures)


@dataclass
class EnvelopeConsumption:
    """An envelope and what counts against it. `left`, `over` and `at_risk` compare the SQL sums as Decimals in
    Python rather than in SQL: SQLite adds decimals as floating-point numbers, where 0.1 + 0.2 > 0.3."""

    envelope: Envelope
    consumed: Decimal
    pending: Decimal
    unknown_lines: int
    # With envelope_consumption(…, fiches=…): how many of those fiches have a line counting against it.
    fiche_count: int | None = None

    @property
    def ceiling(self):
        return self.envelope.ceiling

    @property
    def left(self):
        """Ceiling minus what is granted or paid (negative once the envelope is over)."""
        return self.ceiling - self.consumed

    @property
    def over(self):
        return self.consumed > self.ceiling

    @property
    def overrun(self):
        """By how much what is granted or paid exceeds the ceiling (0 within it)."""
        return max(self.consumed - self.ceiling, Decimal("0"))

    @property
    def pending_over(self):
        """Granting every line still prévue or sollicitée would take the envelope over its ceiling."""
        return self.consumed + self.pending > self.ceiling

    @property
    def near(self):
        """Less than 10 % of the ceiling left (or nothing: an envelope over is near too)."""
        return self.left < self.ceiling * AT_RISK_SHARE

    @property
    def at_risk(self):
        return self.pending_over or self.near

    @property
    def state(self):
        """The state in words: the page never says it by colour alone."""
        if self.over:
            return STATE_OVER
        if self.near:
            return STATE_NEAR
        if self.pending_over:
            return STATE_PENDING_OVER
        return STATE_WITHIN

    @property
    def state_key(self):
        """over, risk or within: for the page's styles."""
        if self.over:
            return "over"
        return "risk" if self.at_risk else "within"

    @property
    def label(self):
        return envelope_label(self.envelope)


def period_label(envelope):
    if envelope.period_start == envelope.period_end:
        return str(envelope.period_start)
    return f"{envelope.period_start}-{envelope.period_end}"


def envelope_label(envelope):
    """« Région Hauts-de-France, Ville de Béthune, Dispositif régional dédié Action Cœur de Ville, 2023-2026 »."""
    return ", ".join(
        [
            envelope.funder.name,
            envelope.territory.name if envelope.territory_id else "tous territoires",
            envelope.scheme.name if envelope.scheme_id else "tous dispositifs",
            period_label(envelope),
        ]
    )


def _euros(amount):
    # To the cent, as a DecimalField reads it on either engine (SQLite's JSON writes 450000.0).
    return Decimal(amount or 0).quantize(CENT)


def _consumption(envelopes, fiches=None):
    rows = []
    for envelope in with_consumption(envelopes.select_related("funder", "territory", "scheme"), fiches=fiches):
        figures = envelope.figures or {}
        rows.append(
            EnvelopeConsumption(
                envelope=envelope,
                # Sums of no line are NULL: nothing counts, zero euros.
                consumed=_euros(figures.get("consumed")),
                pending=_euros(figures.get("pending")),
                unknown_lines=figures.get("unknown_lines") or 0,
                fiche_count=(figures.get("fiche_count") or 0) if fiches is not None else None,
            )
        )
    return rows


def envelope_consumption(envelopes, *, fiches=None):
    """Per envelope of `envelopes`, an EnvelopeConsumption: ceiling, consumed (accordé + versé), pending (prévu
    + sollicité), left (ceiling − consumed), over (consumed > ceiling), at_risk (consumed + pending > ceiling,
    or less than 10 % of the ceiling left), unknown_lines, and, with `fiches`, how many of them are behind it
    (`fiches_behind` lists them).

    `envelopes` must come from Envelope.objects.visible_to(user), and `fiches`, when given, from
    Action.objects.visible_to(user): only the fiches the user may see are counted.

    One query (SQL aggregates in correlated subqueries): the same for one envelope or a hundred.
    """
    if fiches is not None:
        fiches = require_restricted(fiches)
    return _consumption(require_restricted(envelopes), fiches)


def fiches_behind(envelope, fiches):
    """Those of `fiches` with a line counting against `envelope`, by the rule of `_counting_lines`: the fiche
    list's « enveloppe » filter, to which the Enveloppes page links rather than listing them (an envelope of a
    national funder has thousands)."""
    return fiches.filter(pk__in=envelope_lines(envelope).values("action_id"))


def alerts_for(user, *, action=None):
    """The envelopes `user` may see that are over their ceiling or at risk of it (see EnvelopeConsumption), the most
    urgent first, for the partial financing/_envelope_alerts.html (through EnvelopeAlerts); with `action`, only those
    a line of that fiche counts against (the fiche page). One query, two for a fiche with a line of a funder that
    has envelopes."""
    envelopes = Envelope.objects.visible_to(user)
    if action is not None:
        # Few funders have envelopes: a light query first, so that most fiche pages never build the sums'
        # subqueries (building them costs more than running them). A line counts only for its own funder.
        funders = FundingLine.objects.filter(action_id=action.pk, status__in=COUNTED).values("funder_id")
        envelopes = envelopes.filter(funder_id__in=funders)
        if not envelopes.exists():
            return []
        envelopes = envelopes.filter(Exists(_counting_lines(_OuterEnvelope()).filter(action_id=action.pk)))
    rows = [row for row in _consumption(envelopes) if row.at_risk]
    # The most urgent first: over the ceiling, by how much; then the others, by what is left.
    return sorted(rows, key=lambda row: (not row.over, -row.overrun, row.left))


# How many envelopes to watch a page lists; the others are on the Enveloppes page (a national programme has hundreds).
ALERTS_SHOWN = 10


@dataclass
class EnvelopeAlerts:
    """What the partial financing/_envelope_alerts.html shows of alerts_for(): the first ALERTS_SHOWN, and how many
    more there are."""

    rows: list

    @property
    def shown(self):
        return self.rows[:ALERTS_SHOWN]

    @property
    def more(self):
        return max(len(self.rows) - ALERTS_SHOWN, 0)


# -- What a funding line goes over -----------------------------------------------------------------------------


def _percent(rate):
    """40 %, 12,5 %: the rate as the scheme writes it, without trailing zeros."""
    rate = Decimal(rate).normalize()
    decimals = max(0, -rate.as_tuple().exponent)
    return f"{number_format(rate, decimals, use_l10n=True)}\u00a0%"


def _one_off_cost(holder):
    """The cost of a fiche or an operation when it is a single amount, exact or estimated; None for a range,
    a cost per year or an unknown cost (no rate can be measured against those)."""
    if holder.cost_kind in (CostKind.EXACT, CostKind.ESTIMATED) and not holder.cost_per_year:
        return holder.cost_amount
    return None


def eligible_cost(line):
    """(cost, basis, what) the scheme's rate applies to: the operation's one-off cost when the line is on an
    operation that has one, else the fiche's (None when it has none); `what` names it in French."""
    operation = line.operation
    if operation is not None and _one_off_cost(operation) is not None:
        return _one_off_cost(operation), operation.cost_basis, f"de l'opération « {operation.name} »"
    return _one_off_cost(line.action), line.action.cost_basis, f"de la fiche {line.action.code}"


def _amount_warnings(line, scheme):
    if scheme.max_amount is None or line.amount <= scheme.max_amount:
        return []
    return [
        f"Le dispositif {scheme.name} plafonne l'aide à {format_euros(scheme.max_amount)} par ligne : "
        f"{format_euros(line.amount)} {_AMOUNT_WORDS[line.status]}."
    ]


def _rate_warnings(line, scheme):
    if scheme.max_rate is None:
        return []
    cap = f"Le dispositif {scheme.name} plafonne l'aide à {_percent(scheme.max_rate)} de la dépense éligible"
    cost, basis, what = eligible_cost(line)
    if cost is None:
        return [f"{cap} : le taux ne peut pas être vérifié, le coût {what} n'est pas un montant unique connu."]
    if line.basis and basis and line.basis != basis:
        # HT and TTC are never compared: a share is computed only within one basis.
        return [
            f"{cap} : le taux ne peut pas être vérifié, l'aide est exprimée {line.basis} et le coût {what} {basis}."
        ]
    # amount / cost > rate / 100, without dividing (a cost of 0 € makes any aid too much) nor rounding.
    if line.amount * 100 <= cost * scheme.max_rate:
        return []
    most = cost * scheme.max_rate / 100
    cost_text = format_euros(cost) + (f"\u00a0{basis}" if basis else "")
    return [
        f"{cap} : {format_euros(line.amount)} {_AMOUNT_WORDS[line.status]} pour un coût {what} de {cost_text}, "
        f"soit {format_euros(most.quantize(Decimal('0.01')))} au plus."
    ]


def _share_warnings(line, scheme):
    """The scheme's aid is at most what the funders of one kind (the commune, for the Fonds de Cohésion Sociale)
    put into the same fiche; lines of another HT / TTC basis are not compared."""
    kind = scheme.at_most_share_of
    if not kind:
        return []
    kind_label = OrganisationKind(kind).label
    cap = f"Le dispositif {scheme.name} ne dépasse pas la part des financeurs de type « {kind_label} »"
    matched = list(
        FundingLine.objects.filter(action_id=line.action_id, status__in=COUNTED, funder__kind=kind)
        .exclude(pk=line.pk)
        .values_list("amount", "basis")
    )
    if any(amount is None for amount, _ in matched):
        return [f"{cap} : elle ne peut pas être vérifiée, une de leurs lignes est au montant à déterminer."]
    if line.basis and any(basis and basis != line.basis for _, basis in matched):
        return [f"{cap} : elle ne peut pas être vérifiée, leurs lignes ne sont pas exprimées {line.basis}."]
    share = sum((amount for amount, _ in matched), ZERO_EUROS)
    if line.amount <= share:
        return []
    return [
        f"{cap} sur la fiche {line.action.code} : {format_euros(line.amount)} {_AMOUNT_WORDS[line.status]} pour "
        f"{format_euros(share)} de leur part."
    ]


def _unknown_note(row):
    if not row.unknown_lines:
        return ""
    plural = "s" if row.unknown_lines > 1 else ""
    return f" ; {row.unknown_lines} ligne{plural} au montant à déterminer, non comptée{plural}"


def _envelope_warnings(line):
    # Most funders have no envelope: a light query spares building the sums' subqueries for their lines.
    if not Envelope.objects.filter(funder_id=line.funder_id).exists():
        return []
    warnings = []
    for row in _consumption(envelopes_of_line(line)):
        if row.over:
            head = f"L'enveloppe {row.label} est dépassée"
        elif row.pending_over:
            head = f"L'enveloppe {row.label} sera dépassée si les lignes prévues et sollicitées sont accordées"
        else:
            continue
        warnings.append(
            f"{head} : plafond {format_euros(row.ceiling)}, accordé et versé {format_euros(row.consumed)}, "
            f"prévu et sollicité {format_euros(row.pending)}{_unknown_note(row)}."
        )
    return warnings


def line_warnings(line):
    """The French warnings for one funding line as it stands in the database (call it after the save):

    - the scheme's amount cap per line exceeded;
    - the scheme's rate cap exceeded against the eligible cost (see eligible_cost), or, when the scheme has a
      rate cap, that the rate cannot be checked (cost unknown, a range, per year, or in another basis);
    - the scheme's aid above the share of the funders of a kind on the same fiche (at_most_share_of);
    - each envelope the line counts against that is over its ceiling (accordé + versé above it), or would be
      once the lines still prévues or sollicitées are granted, with its ceiling, consumed and pending.

    A refused line funds nothing and gets none; a line of unknown amount is checked against envelopes only.
    Envelopes are those of the line's funder: whoever may write the line may see them.
    """
    if line.status == FundingStatus.REFUSED:
        return []
    warnings = []
    scheme = line.scheme
    if scheme is not None and line.amount is not None:
        warnings += _amount_warnings(line, scheme)
        warnings += _rate_warnings(line, scheme)
        warnings += _share_warnings(line, scheme)
    return warnings + _envelope_warnings(line)
