"""Writes of funding lines: one transaction each, no lost update, history kept with its author.

The one path of the fiche form, the partners' portal, the REST API, the admin and imports: access (a
partner changes only the state, the decision and the yearly split of its own lines; nobody moves a line
onto a fiche they may not change), the line's version, line endings, and nothing written when nothing
changed.
"""

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from actions.managers import comparable_cost
from actions.models import Action
from actions.services import ROW_KEYS, EditConflict, apply_changes, validations_mark_to_renew
from acv.values import format_euros
from conventions import roles
from financing.caps import line_warnings
from financing.managers import ZERO
from financing.models import (
    TRANSITIONS,
    ConventionFundingSummary,
    ConventionFundingYear,
    FundingEvent,
    FundingLine,
    FundingLineYear,
    FundingStatus,
    FundingSummary,
    PartnerFundingSummary,
    PartnerFundingYear,
    Payment,
)

STATUS_LABELS = dict(FundingStatus.choices)
# What a partner validated of a fiche's funding: who funds, with what, how much. A change of these — or a line
# refused, or no longer refused — marks the fiche's validations « à renouveler »; a line moving along its own
# life (sollicité, accordé, versé) does not change the plan the partners agreed to.
FUNDING_PLAN_FIELDS = ("funder", "scheme", "nature", "amount", "share", "basis", "operation")
PAYMENT_RIGHTS = (
    "Seuls le financeur de cette ligne, son maître d'ouvrage et la coordination enregistrent ses versements."
)


class FundingLineConflict(EditConflict):
    """Someone saved the line after it was read: the change is refused, nothing is written."""

    def __init__(self, line, expected_version):
        super().__init__(line.action, expected_version, line=line)


def _check_target(user, data, line=None):
    """The fiche (and operation) a line is written to must be one the user may change."""
    action = data.get("action", line.action if line is not None else None)
    action_id = getattr(action, "pk", action)
    if line is not None and action_id == line.action_id:
        return
    if action_id is None or not Action.objects.editable_by(user).filter(pk=action_id).exists():
        raise PermissionDenied("Vous ne pouvez pas placer une ligne de financement sur cette fiche.")


def _check_partner_fields(user, line, changed):
    if roles.edits_everything(user) or roles.is_referent(user):
        return
    refused = sorted(set(changed) - set(roles.PARTNER_EDITABLE_FUNDING_FIELDS))
    if refused:
        labels = ", ".join(str(FundingLine._meta.get_field(name).verbose_name) for name in refused)
        raise PermissionDenied(
            "Un partenaire ne modifie que l'état, la décision et l'échéancier de ses lignes ; "
            f"champs refusés : {labels}."
        )


def _check_transition(old, new):
    """The workflow of TRANSITIONS, with a French reason when a change is not one of its steps."""
    if old == new:
        return
    if new == FundingStatus.PAID:
        raise ValidationError(
            {
                "status": "L'état « versé » découle des versements : enregistrez-les, la ligne passe à « versé » "
                "quand ils atteignent son montant."
            }
        )
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(f"« {STATUS_LABELS[status]} »" for status in sorted(TRANSITIONS[old])) or "aucun"
        raise ValidationError(
            {
                "status": f"Une ligne « {STATUS_LABELS[old]} » ne passe pas à « {STATUS_LABELS[new]} » "
                f"(états possibles : {allowed})."
            }
        )


def _record_event(line, *, from_status, to_status, user, amount=None, note=""):
    FundingEvent.objects.create(
        funding_line=line,
        at=timezone.now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=to_status,
        amount=line.amount if amount is None else amount,
        note=note,
    )


def programme_years(action):
    """The years a fiche's money may be planned in: from its convention's start to the end of the last period
    its convention or avenants cover (None where the documents give no date)."""
    convention = action.convention
    first = convention.starts_on or convention.signed_on
    last = convention.amendments.aggregate(last=Max("covers_to"))["last"]
    if convention.ends_on and (last is None or convention.ends_on > last):
        last = convention.ends_on
    return (first.year if first else None, last.year if last else None)


def check_years(line, years):
    """The yearly split of a line: each year within the programme's period, their sum no more than the line's
    amount — equal to it when the split is marked complete. `years`: [{"year", "amount"}]."""
    errors = []
    first, last = programme_years(line.action)
    for row in years:
        year = row.get("year")
        if year is not None and ((first and year < first) or (last and year > last)):
            errors.append(
                f"{year} : hors de la période du programme ({first or '…'}–{last or '…'}) ; "
                "l'échéancier ne peut pas s'étendre au-delà."
            )
    total = sum((Decimal(row.get("amount") or 0) for row in years), Decimal("0"))
    if line.amount is not None and total > line.amount:
        errors.append(
            f"L'échéancier totalise {format_euros(total)}, plus que le montant de la ligne "
            f"({format_euros(line.amount)})."
        )
    if line.years_complete and line.amount is not None and years and total != line.amount:
        errors.append(
            f"L'échéancier est dit complet mais totalise {format_euros(total)} pour une ligne de "
            f"{format_euros(line.amount)}."
        )
    if line.years_complete and line.amount is not None and not years:
        errors.append("L'échéancier est dit complet mais ne compte aucune année.")
    if errors:
        raise ValidationError({"years": errors})


def _years_differ(line, years):
    current = {(row.year, row.amount) for row in line.years.all()} if line.pk else set()
    return current != {(row.get("year"), row.get("amount")) for row in years}


@transaction.atomic
def funding_line_update(
    *, line: FundingLine, changes: dict, years: list | None, user, expected_version: int | None
) -> FundingLine:
    """Apply `changes` (field → value) and, when `years` is given, replace the yearly split with it
    (a list of {"year", "amount"}).

    The line's row is locked and its version compared with `expected_version` (None: no check — the caller
    had none to give); a stale one raises FundingLineConflict. The model's rules run (full_clean); the
    version moves and history is written only when something changed. Raises PermissionDenied when the user
    may not change this line or these fields, ValidationError (French messages) on invalid data.
    """
    if not FundingLine.objects.editable_by(user).filter(pk=line.pk).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette ligne de financement.")
    line = FundingLine.objects.select_for_update().select_related("action").get(pk=line.pk)
    if expected_version is not None and line.version != expected_version:
        raise FundingLineConflict(line, expected_version)
    _check_target(user, changes, line)
    old_status = line.status
    changed = apply_changes(line, changes, written_texts={})
    years_changed = years is not None and _years_differ(line, years)
    _check_partner_fields(user, line, changed)
    if not changed and not years_changed:
        return line
    _check_transition(old_status, line.status)
    line.full_clean()
    paid = _paid(line) if "amount" in changed and line.amount is not None else Decimal("0")
    if paid > (line.amount or 0):
        raise ValidationError(
            {
                "amount": f"Des versements de {format_euros(paid)} sont déjà enregistrés : le montant ne "
                "peut pas leur être inférieur."
            }
        )
    check_years(line, years if years is not None else list(line.years.values("year", "amount")))
    line.version += 1
    line._history_user = user
    line.save()
    if years_changed:
        _replace_years(line, years)
    if line.status != old_status:
        _record_event(line, from_status=old_status, to_status=line.status, user=user)
    refusal_moved = FundingStatus.REFUSED in (old_status, line.status) and old_status != line.status
    plan_moved = [name for name in FUNDING_PLAN_FIELDS if name in changed]
    if plan_moved or refusal_moved:
        labels = [str(FundingLine._meta.get_field(name).verbose_name) for name in plan_moved]
        if refusal_moved:
            labels.append(f"état {STATUS_LABELS[old_status]} → {STATUS_LABELS[line.status]}")
        validations_mark_to_renew(
            action=line.action,
            reason=f"Ligne de financement {line.funder} modifiée ({', '.join(labels)}).",
            user=user,
        )
    # Over a cap is a warning, not a refusal: the line is stored and whoever wrote it is told.
    line.warnings = line_warnings(line)
    return line


def _replace_years(line, years):
    line.years.all().delete()
    seen, errors = set(), []
    for row in years:
        year = FundingLineYear(funding_line=line, year=row.get("year"), amount=row.get("amount"))
        if year.year in seen:
            errors.append(f"{year.year} : cette année figure deux fois dans l'échéancier.")
            continue
        seen.add(year.year)
        try:
            year.full_clean()
        except ValidationError as exc:
            errors.extend(f"{year.year} : {message}" for message in exc.messages)
            continue
        year.save()
    if errors:
        # Raised inside the transaction: the line and its old years are left as they were.
        raise ValidationError({"years": errors})


@transaction.atomic
def funding_line_create(*, data: dict, years: list | None, user) -> FundingLine:
    """A new line on a fiche the user may change, with the model's rules (full_clean) and its yearly split."""
    _check_target(user, data)
    line = FundingLine()
    apply_changes(line, data, written_texts={})
    if line.status == FundingStatus.PAID:
        _check_transition(FundingStatus.GRANTED, FundingStatus.PAID)  # says why: versé follows from payments
    line.full_clean()
    check_years(line, years or [])
    line._history_user = user
    line.save()
    if years:
        _replace_years(line, years)
    _record_event(line, from_status="", to_status=line.status, user=user, note="création de la ligne")
    if line.status != FundingStatus.REFUSED:
        amount = format_euros(line.amount) if line.amount is not None else "montant à déterminer"
        validations_mark_to_renew(
            action=line.action, reason=f"Ligne de financement ajoutée : {line.funder}, {amount}.", user=user
        )
    line.warnings = line_warnings(line)
    return line


def _paid(line):
    return Payment.objects.standing().filter(funding_line=line).aggregate(total=Sum("amount"))["total"] or Decimal("0")


@transaction.atomic
def payment_record(*, line: FundingLine, data: dict, user) -> Payment:
    """A versement on an accordé line: never above what was granted. The line becomes « versé » when its
    payments reach its amount (partly versé before), and each payment is an event of its life."""
    if not FundingLine.objects.editable_by(user).filter(pk=line.pk).exists():
        raise PermissionDenied(PAYMENT_RIGHTS)
    line = FundingLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in (FundingStatus.GRANTED, FundingStatus.PAID):
        raise ValidationError(
            {
                "amount": f"Une ligne « {STATUS_LABELS[line.status]} » ne reçoit pas de versement : elle doit d'abord "
                "être accordée."
            }
        )
    if line.amount is None:
        raise ValidationError({"amount": "Indiquez le montant accordé de la ligne avant d'enregistrer un versement."})
    payment = Payment(funding_line=line, recorded_by=user if getattr(user, "is_authenticated", False) else None)
    apply_changes(payment, data, written_texts={})
    payment.full_clean()
    already = _paid(line)
    if already + payment.amount > line.amount:
        raise ValidationError(
            {
                "amount": f"Ce versement porterait le total versé à {format_euros(already + payment.amount)}, plus que "
                f"le montant accordé ({format_euros(line.amount)}) ; reste à verser : "
                f"{format_euros(line.amount - already)}."
            }
        )
    payment._history_user = user
    payment.save()
    paid = already + payment.amount
    old_status = line.status
    if paid == line.amount and line.status != FundingStatus.PAID:
        line.status = FundingStatus.PAID
        line.version += 1
        line._history_user = user
        line.save(update_fields=["status", "version", "updated_at"])
    note = (
        "versement du solde"
        if paid == line.amount
        else f"versement partiel ({format_euros(paid)} sur {format_euros(line.amount)})"
    )
    _record_event(line, from_status=old_status, to_status=line.status, user=user, amount=payment.amount, note=note)
    return payment


@transaction.atomic
def payment_cancel(*, payment: Payment, reason: str, user) -> Payment:
    """Cancel a mistaken versement: it stays in the ledger, marked cancelled with who, when and why, and no
    longer counts in « versé ». A line « versé » whose payments then fall short of its amount is accordé again
    (partly paid); the cancellation is an event of the line's life. To correct a payment, cancel it and record
    the right one."""
    if not FundingLine.objects.editable_by(user).filter(pk=payment.funding_line_id).exists():
        raise PermissionDenied(PAYMENT_RIGHTS)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif de l'annulation (erreur de montant, doublon…)."})
    line = FundingLine.objects.select_for_update().get(pk=payment.funding_line_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.cancelled:
        raise ValidationError(
            {"reason": f"Ce versement a déjà été annulé le {timezone.localtime(payment.cancelled_at):%d/%m/%Y}."}
        )
    payment.cancelled_at = timezone.now()
    payment.cancelled_by = user if getattr(user, "is_authenticated", False) else None
    payment.cancellation_reason = reason[:300]
    payment._history_user = user
    payment.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_reason"])
    old_status = line.status
    if line.status == FundingStatus.PAID and _paid(line) < line.amount:
        line.status = FundingStatus.GRANTED
        line.version += 1
        line._history_user = user
        line.save(update_fields=["status", "version", "updated_at"])
    _record_event(
        line,
        from_status=old_status,
        to_status=line.status,
        user=user,
        amount=-payment.amount,
        note=f"annulation du versement du {payment.paid_on:%d/%m/%Y} : {payment.cancellation_reason}",
    )
    return payment


@transaction.atomic
def funding_line_delete(*, line: FundingLine, user, expected_version: int | None = None) -> None:
    """Remove a line (its history keeps it, with who removed it): for those who may change its fiche."""
    if not Action.objects.editable_by(user).filter(pk=line.action_id).exists():
        raise PermissionDenied("Vous ne pouvez pas supprimer cette ligne de financement.")
    line = FundingLine.objects.select_for_update().get(pk=line.pk)
    if expected_version is not None and line.version != expected_version:
        raise FundingLineConflict(line, expected_version)
    line._history_user = user
    action, funder, refused = line.action, line.funder, line.status == FundingStatus.REFUSED
    line.delete()
    if not refused:
        validations_mark_to_renew(action=action, reason=f"Ligne de financement retirée : {funder}.", user=user)


def funding_lines_save(*, action: Action, rows: list[dict], user) -> list[str]:
    """The funding lines of the fiche form: each row {"id", "version", "delete", field: value…}.

    Existing rows go through funding_line_update with the version the form was opened with, so a partner's
    decision recorded meanwhile is never overwritten (EditConflict); an id of another fiche's line is refused.
    """
    existing = {line.pk: line for line in FundingLine.objects.filter(action=action)}
    errors, warnings = [], []
    for index, row in enumerate(rows):
        data = {key: value for key, value in row.items() if key not in ROW_KEYS}
        years = data.pop("years", None)
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors.append(f"Ligne {index + 1} : cette ligne de financement n'appartient pas à cette fiche.")
            continue
        try:
            if row.get("delete"):
                if pk is not None:
                    funding_line_delete(line=existing[pk], user=user, expected_version=row.get("version"))
            elif pk is not None:
                line = funding_line_update(
                    line=existing[pk], changes=data, years=years, user=user, expected_version=row.get("version")
                )
                warnings += getattr(line, "warnings", [])
            else:
                data.setdefault("position", index)
                line = funding_line_create(data={**data, "action": action}, years=years, user=user)
                warnings += line.warnings
        except ValidationError as error:
            errors.extend(f"Ligne {index + 1} : {message}" for message in error.messages)
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(warnings))


def funding_summary_rows(action_ids) -> list[FundingSummary]:
    """The FundingSummary rows these fiches' lines add up to (unsaved): the definition of the summary, in Python."""
    rows = (
        FundingLine.objects.filter(action_id__in=list(action_ids))
        .order_by()
        .values("action_id", "funder_id", "status", "basis")
        .annotate(
            total=Coalesce(Sum("amount"), ZERO),
            count=Count("pk"),
            unknown=Count("pk", filter=Q(amount__isnull=True)),
        )
    )
    return [
        FundingSummary(
            action_id=row["action_id"],
            funder_id=row["funder_id"],
            status=row["status"],
            basis=row["basis"],
            amount=row["total"],
            lines=row["count"],
            unknown_lines=row["unknown"],
        )
        for row in rows
    ]


def convention_funding_summary_rows(convention_ids) -> list[ConventionFundingSummary]:
    """The ConventionFundingSummary rows of these conventions (unsaved), added up from the summary per fiche: the
    definition of the summary per convention, in Python."""
    rows = (
        FundingSummary.objects.filter(action__convention_id__in=list(convention_ids))
        .order_by()
        .annotate(comparable=ExpressionWrapper(comparable_cost("action__"), output_field=BooleanField()))
        .values(
            "action__convention_id",
            "action__territory_id",
            "action__sub_axis_id",
            "funder_id",
            "status",
            "basis",
            "action__cost_basis",
            "comparable",
        )
        .annotate(total=Sum("amount"), count=Sum("lines"), unknown=Sum("unknown_lines"))
    )
    return [
        ConventionFundingSummary(
            convention_id=row["action__convention_id"],
            territory_id=row["action__territory_id"],
            sub_axis_id=row["action__sub_axis_id"],
            funder_id=row["funder_id"],
            status=row["status"],
            basis=row["basis"],
            cost_basis=row["action__cost_basis"],
            comparable=bool(row["comparable"]),
            amount=row["total"],
            lines=row["count"],
            unknown_lines=row["unknown"],
        )
        for row in rows
    ]


def _partners_seeing(convention_ids):
    """{fiche id: the organisations that see it as a partner — its funders and its named partners} for the fiches of
    these conventions (actions.managers.ActionQuerySet._visible, fiche by fiche)."""
    seers = defaultdict(set)
    for action_id, organisation_id in [
        *FundingLine.objects.filter(action__convention_id__in=convention_ids).values_list("action_id", "funder_id"),
        *Action.partners.through.objects.filter(action__convention_id__in=convention_ids).values_list(
            "action_id", "organisation_id"
        ),
    ]:
        seers[action_id].add(organisation_id)
    return seers


def partner_funding_summary_rows(convention_ids) -> list[PartnerFundingSummary]:
    """The PartnerFundingSummary rows of these conventions (unsaved): each settled summary row of a fiche counted
    for every organisation that sees the fiche as a partner — its funders and its named partners."""
    convention_ids = list(convention_ids)
    seers = _partners_seeing(convention_ids)
    groups = defaultdict(lambda: [Decimal("0"), 0, 0])
    rows = (
        FundingSummary.objects.filter(
            action__convention_id__in=convention_ids, status__in=roles.SETTLED_FUNDING_STATUSES
        )
        .annotate(comparable=ExpressionWrapper(comparable_cost("action__"), output_field=BooleanField()))
        .values_list(
            "action_id",
            "action__convention_id",
            "action__territory_id",
            "action__sub_axis_id",
            "funder_id",
            "status",
            "basis",
            "action__cost_basis",
            "comparable",
            "amount",
            "lines",
            "unknown_lines",
        )
    )
    for action_id, *key, amount, lines, unknown in rows:
        for partner_id in seers[action_id]:
            group = groups[(partner_id, *key[:-1], bool(key[-1]))]
            group[0] += amount
            group[1] += lines
            group[2] += unknown
    fields = ("partner_id", "convention_id", "territory_id", "sub_axis_id", "funder_id", "status", "basis")
    return [
        PartnerFundingSummary(
            **dict(zip(fields, key[:7], strict=True)),
            cost_basis=key[7],
            comparable=key[8],
            amount=amount,
            lines=lines,
            unknown_lines=unknown,
        )
        for key, (amount, lines, unknown) in groups.items()
    ]


# What the yearly splits per convention group a line's years by (YearTotals), read from a year.
YEAR_TOTALS_KEYS = (
    "funding_line__action__convention_id",
    "funding_line__action__territory_id",
    "year",
    "funding_line__status",
    "funding_line__basis",
    "funding_line__action__cost_basis",
)


def convention_funding_year_rows(convention_ids) -> list[ConventionFundingYear]:
    """The ConventionFundingYear rows of these conventions (unsaved), added up from the lines' years: the definition
    of the yearly split per convention, in Python."""
    rows = (
        FundingLineYear.objects.filter(funding_line__action__convention_id__in=list(convention_ids))
        .order_by()
        .values(*YEAR_TOTALS_KEYS)
        .annotate(total=Coalesce(Sum("amount"), ZERO))
    )
    return [
        ConventionFundingYear(
            convention_id=row["funding_line__action__convention_id"],
            territory_id=row["funding_line__action__territory_id"],
            year=row["year"],
            status=row["funding_line__status"],
            basis=row["funding_line__basis"],
            cost_basis=row["funding_line__action__cost_basis"],
            amount=row["total"],
        )
        for row in rows
    ]


def partner_funding_year_rows(convention_ids) -> list[PartnerFundingYear]:
    """The PartnerFundingYear rows of these conventions (unsaved): each year of a settled line counted for every
    organisation that sees its fiche as a partner."""
    convention_ids = list(convention_ids)
    seers = _partners_seeing(convention_ids)
    groups = defaultdict(Decimal)
    years = FundingLineYear.objects.filter(
        funding_line__action__convention_id__in=convention_ids,
        funding_line__status__in=roles.SETTLED_FUNDING_STATUSES,
    ).values_list("funding_line__action_id", *YEAR_TOTALS_KEYS, "amount")
    for action_id, *key, amount in years:
        for partner_id in seers[action_id]:
            groups[(partner_id, *key)] += amount or Decimal("0")
    fields = ("partner_id", "convention_id", "territory_id", "year", "status", "basis", "cost_basis")
    return [PartnerFundingYear(**dict(zip(fields, key, strict=True)), amount=amount) for key, amount in groups.items()]


@transaction.atomic
def funding_summary_refresh(action_ids) -> None:
    """Recompute the funding summary of these fiches from their lines, then the summary, the partners' summary and
    the yearly splits (the programme's and the partners') of their conventions.

    Every write of a line already does this in the database (the triggers of migrations financing 0007, 0012,
    0014, 0016 and 0019, which catch the services, the admin, imports, restored history and bulk loads alike); this is
    the same computation from Python, to repair a summary loaded around the triggers and to check them in tests."""
    action_ids = list(action_ids)
    FundingSummary.objects.filter(action_id__in=action_ids).delete()
    FundingSummary.objects.bulk_create(funding_summary_rows(action_ids), batch_size=2000)
    conventions = set(Action.objects.filter(pk__in=action_ids).values_list("convention_id", flat=True))
    ConventionFundingSummary.objects.filter(convention_id__in=conventions).delete()
    ConventionFundingSummary.objects.bulk_create(convention_funding_summary_rows(conventions), batch_size=2000)
    ConventionFundingYear.objects.filter(convention_id__in=conventions).delete()
    ConventionFundingYear.objects.bulk_create(convention_funding_year_rows(conventions), batch_size=2000)
    PartnerFundingSummary.objects.filter(convention_id__in=conventions).delete()
    PartnerFundingSummary.objects.bulk_create(partner_funding_summary_rows(conventions), batch_size=2000)
    PartnerFundingYear.objects.filter(convention_id__in=conventions).delete()
    PartnerFundingYear.objects.bulk_create(partner_funding_year_rows(conventions), batch_size=2000)
