"""Writes of fiches: the one path the page, the API, the admin and imports all take.

Services take plain data (field → value, rows as dicts), never forms: whoever calls them gets the same
rules — access, version check, history with its author, line endings, the « text as written » rule, and
nothing written when nothing changed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from actions.models import (
    STATUS_TRANSITIONS,
    STATUS_TRANSITIONS_WITH_REASON,
    Action,
    ActionStatus,
    Milestone,
    Operation,
    ProgressUpdate,
    ResultIndicator,
)
from acv.values import normalise_line_endings
from conventions import roles
from conventions.models import Convention

# A value « as written » describes the reading it came with: when someone changes the reading (a new amount,
# a new date) without touching the text, the old text would keep showing the old value, so it is dropped. A text
# that came with no reading at all (a result indicator's « Réouverture du jardin » before any figure) describes
# nothing a new figure contradicts: it stays.
WRITTEN_TEXTS = {
    "cost_text": ("cost_kind", "cost_amount", "cost_min", "cost_max", "cost_per_year", "cost_basis"),
    "start_text": ("start_on", "start_precision", "start_until"),
    "end_text": ("end_on", "end_precision", "end_until"),
    "due_text": ("due_on", "due_precision", "due_until"),
    "target_text": ("target_value", "unit"),
    "achieved_text": ("achieved_value", "unit"),
}
ROW_KEYS = ("id", "delete", "version")
# A change of these is a change of the fiche's cost: the partners' validations are then to be renewed (the text as
# written alone is not a new cost).
COST_READING_FIELDS = WRITTEN_TEXTS["cost_text"]


class EditConflict(Exception):
    """Someone saved the fiche (or one of its funding lines) after it was opened: nothing is written."""

    def __init__(self, action, expected_version, line=None):
        subject = f"ligne de financement {line.pk}" if line is not None else action.code
        super().__init__(f"{subject} : version {expected_version} dépassée")
        self.action = action
        self.expected_version = expected_version
        self.line = line


def apply_changes(instance, data, *, written_texts=WRITTEN_TEXTS):
    """Set `data` (concrete fields only) on `instance`; return the names that really change.

    Text is stored with LF line endings (a browser's CRLF is not a change), and a « text as written » is
    dropped when its reading changes without it.
    """
    changed, before = [], {}
    for name, value in data.items():
        field = instance._meta.get_field(name)
        value = normalise_line_endings(value)
        if field.is_relation:
            current = getattr(instance, field.attname)
            new = getattr(value, "pk", value)
            if current != new:
                setattr(instance, field.attname, new)
                changed.append(name)
        elif getattr(instance, name) != value:
            before[name] = getattr(instance, name)
            setattr(instance, name, value)
            changed.append(name)
    for text, readings in written_texts.items():
        moved = [name for name in readings if name in changed]
        read_before = any(before.get(name) not in (None, "") for name in moved)
        if hasattr(instance, text) and text not in changed and read_before and getattr(instance, text):
            setattr(instance, text, "")
            changed.append(text)
    return changed


def _split_many_to_many(model, data):
    plain, many = {}, {}
    for name, value in data.items():
        (many if model._meta.get_field(name).many_to_many else plain)[name] = value
    return plain, many


def _m2m_changes(instance, many):
    changes = {}
    for name, values in many.items():
        wanted = {getattr(value, "pk", value) for value in values}
        current = set(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else set()
        if wanted != current:
            changes[name] = wanted
    return changes


def _save_rows(model, rows, *, action, user, position_field="position"):
    """Create, change or delete the rows of one kind (operations, milestones) of this fiche.

    Each row is {"id": existing pk or None, "delete": bool, field: value…}. A row of another fiche is refused:
    an id in the data must not reach what the user may not change.
    """
    existing = {row.pk: row for row in model.objects.filter(action=action)}
    errors = []
    for index, row in enumerate(rows):
        data = {key: value for key, value in row.items() if key not in ROW_KEYS}
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors.append(f"Ligne {index + 1} : cet élément n'appartient pas à cette fiche.")
            continue
        instance = existing.get(pk) if pk is not None else model(action=action)
        if row.get("delete"):
            if instance.pk is not None:
                instance._history_user = user
                instance.delete()
            continue
        if instance.pk is None and position_field and position_field not in data:
            data[position_field] = index
        changed = apply_changes(instance, data)
        if instance.pk is not None and not changed:
            continue
        try:
            instance.full_clean(exclude=["action"])
        except ValidationError as error:
            errors.extend(f"Ligne {index + 1} : {message}" for message in error.messages)
            continue
        instance._history_user = user
        instance.save()
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def action_save(
    *,
    action: Action | None,
    data: dict,
    user,
    expected_version: int | None = None,
    operations: list[dict] | None = None,
    funding_lines: list[dict] | None = None,
    milestones: list[dict] | None = None,
    result_indicators: list[dict] | None = None,
) -> Action:
    """Create (action None) or change a fiche, and optionally its operations, funding lines, milestones and
    result indicators, all or nothing.

    An update locks the fiche's row and compares its version with `expected_version` (the one the user
    opened): if another save got there first, EditConflict is raised before anything is written, so the
    other person's changes are never overwritten silently. The version moves only when the fiche itself
    changes; each funding line has its own version (see financing.services). Raises PermissionDenied when the
    user may not change this fiche, ValidationError (French messages, by field; operations, funding_lines,
    milestones and result_indicators by row) when the data breaks a rule.
    """
    from financing.services import funding_lines_save

    if action is None or action.pk is None:
        if not roles.can_create_actions(user):
            raise PermissionDenied("Seuls l'administrateur et le coordinateur créent des fiches.")
        action = action or Action()
    else:
        if not Action.objects.editable_by(user).filter(pk=action.pk).exists():
            raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
        action = Action.objects.select_for_update().get(pk=action.pk)
        if expected_version is not None and action.version != expected_version:
            raise EditConflict(action, expected_version)

    plain, many = _split_many_to_many(Action, data)
    convention = plain.get("convention")
    if convention is not None and not Convention.objects.visible_to(user).filter(pk=convention.pk).exists():
        # Roles are per programme: a fiche goes into a convention of the programme the user works in only.
        raise ValidationError(
            {"convention": "Cette convention n'est pas celle du programme dans lequel vous travaillez."}
        )
    if "status" in plain and plain["status"] != action.status:
        if (action.status or ActionStatus.UNKNOWN, plain["status"]) in STATUS_TRANSITIONS_WITH_REASON:
            raise ValidationError(
                {
                    "status": f"Le passage à « {ActionStatus(plain['status']).label} » se fait par un état "
                    "d'avancement, avec son motif (et, pour un abandon, la décision qui l'acte)."
                }
            )
        if action.pk is not None:
            check_status_change(action.status, plain["status"])
    cost_before = action.cost_display if action.pk is not None else None
    changed = apply_changes(action, plain)
    m2m = _m2m_changes(action, many)
    errors = {}
    if changed or m2m or action.pk is None:
        try:
            action.full_clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        if not errors:
            if action.pk is not None:
                action.version += 1
            action._history_user = user
            action.save()
            for name, pks in m2m.items():
                getattr(action, name).set(pks)
            if cost_before is not None and set(changed) & set(COST_READING_FIELDS):
                validations_mark_to_renew(
                    action=action, reason=f"Coût modifié : {cost_before} → {action.cost_display}.", user=user
                )
    action.funding_warnings = []

    def save_lines(rows):
        action.funding_warnings = funding_lines_save(action=action, rows=rows, user=user)

    for name, rows, save in (
        ("operations", operations, lambda rows: _save_rows(Operation, rows, action=action, user=user)),
        ("funding_lines", funding_lines, save_lines),
        ("milestones", milestones, lambda rows: _save_rows(Milestone, rows, action=action, user=user)),
        (
            "result_indicators",
            result_indicators,
            lambda rows: _save_rows(ResultIndicator, rows, action=action, user=user),
        ),
    ):
        if rows is None or errors.get("__all__"):
            continue
        if action.pk is None:
            break  # the fiche itself was refused: its rows cannot be attached to anything
        try:
            save(rows)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        # Raised inside the transaction: the fiche and every row stay as they were.
        raise ValidationError(errors)
    return action


def check_status_change(old, new, *, reason="", decided_by=""):
    """The workflow of STATUS_TRANSITIONS, with a French reason when a change is not one of its steps or lacks
    its motive (STATUS_TRANSITIONS_WITH_REASON) or, for an abandonment, the decision."""
    old = old or ActionStatus.UNKNOWN
    if old == new:
        return
    if new not in STATUS_TRANSITIONS[old]:
        allowed = ", ".join(f"« {ActionStatus(status).label} »" for status in sorted(STATUS_TRANSITIONS[old]))
        raise ValidationError(
            {
                "status": f"Une fiche « {ActionStatus(old).label} » ne passe pas à « {ActionStatus(new).label} » "
                f"(états possibles : {allowed or 'aucun'})."
            }
        )
    errors = {}
    if (old, new) in STATUS_TRANSITIONS_WITH_REASON and not reason.strip():
        errors["status_reason"] = (
            f"Indiquez le motif du passage de « {ActionStatus(old).label} » à « {ActionStatus(new).label} »."
        )
    if new == ActionStatus.ABANDONED and not decided_by.strip():
        errors["decided_by"] = "Indiquez la décision qui acte l'abandon (comité, avenant ou délibération)."
    if errors:
        raise ValidationError(errors)


def _check_period(action, year, semester, today=None):
    """A progress update is for a period of the programme's rhythm (a semester, or the year of an annual programme)
    within the programme's years, and not after the current one."""
    from actions.filters import current_reporting_period
    from financing.services import programme_years

    if year is None:
        return
    current = current_reporting_period(action.convention.programme, today)
    if semester is None:
        if year > current[0]:
            raise ValidationError(
                {
                    "year": f"{year} n'a pas commencé : l'état d'avancement se saisit pour l'année en cours "
                    f"({current[0]}) ou une année passée."
                }
            )
    elif (year, semester) > current:
        raise ValidationError(
            {
                "semester": f"S{semester} {year} n'a pas commencé : l'état d'avancement se saisit pour le semestre "
                f"en cours (S{current[1]} {current[0]}) ou un semestre passé."
            }
        )
    first, last = programme_years(action)
    if (first and year < first) or (last and year > last):
        raise ValidationError({"year": f"{year} est hors de la période du programme ({first or '…'}–{last or '…'})."})


def frozen_by(action, year, semester):
    """The PresentedSemester that froze this semester for the fiche's convention (its report was presented to
    the comité), or None — always None for the year of an annual programme, which presents no semester report.
    The table belongs to conventions, below this app: evaluation writes it when it presents a report, this app
    reads it — neither imports the other upwards."""
    from conventions.models import PresentedSemester

    return (
        PresentedSemester.objects.filter(convention_id=action.convention_id, year=year, semester=semester)
        .select_related("meeting")
        .first()
    )


def _check_not_frozen(action, year, semester, user, reason):
    """A frozen semester is written again only by the coordination, with the reason of the correction; returns the
    reason to keep in the history (empty when the semester is not frozen)."""
    presented = frozen_by(action, year, semester)
    if presented is None:
        return ""
    where = f"au {presented.meeting}"
    if not roles.edits_everything(user):
        raise ValidationError(
            {
                "semester": f"Le rapport de S{semester} {year} a été présenté {where} : les états d'avancement de ce "
                "semestre sont figés ; seule la coordination les corrige, motif à l'appui."
            }
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            {
                "correction_reason": f"Le rapport de S{semester} {year} a été présenté {where} : indiquez le motif "
                "de cette correction."
            }
        )
    return f"Correction après présentation du rapport : {reason}"


@transaction.atomic
def progress_update_create(
    *, action: Action, data: dict, user, today=None, correction_reason: str = ""
) -> ProgressUpdate:
    """Record the état d'avancement of a period of the programme (a semester, or a year for an annual programme)
    within its years, not after the current one.

    Only the update of the current period sets the fiche's status, along STATUS_TRANSITIONS (with its motive
    and decision where they are required); an update for a past semester completes the record and never
    changes the current status. A semester whose report was presented to the comité is frozen: only the
    coordination adds to it, with `correction_reason`, kept in the history."""
    from actions.filters import current_reporting_period

    if not Action.objects.editable_by(user).filter(pk=action.pk).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
    action = Action.objects.select_related("convention__programme").select_for_update(of=("self",)).get(pk=action.pk)
    update = ProgressUpdate(action=action, author=user)
    apply_changes(update, data)
    update.full_clean()
    _check_period(action, update.year, update.semester, today)
    update._change_reason = _check_not_frozen(action, update.year, update.semester, user, correction_reason) or None
    update._history_user = user
    sets_status = (update.year, update.semester) == current_reporting_period(action.convention.programme, today)
    if sets_status:
        check_status_change(action.status, update.status, reason=update.status_reason, decided_by=update.decided_by)
    update.save()
    if sets_status and action.status != update.status:
        # A change of status is a change of the fiche: it goes through the version like any edit.
        action.status = update.status
        action.version += 1
        action._history_user = user
        action.save(update_fields=["status", "version", "updated_at"])
    return update


def milestone_achieve(*, milestone: Milestone, user, achieved_on=None) -> Milestone:
    """Mark a jalon as reached (today unless a date is given)."""
    if not Action.objects.editable_by(user).filter(pk=milestone.action_id).exists():
        raise PermissionDenied("Vous ne pouvez pas modifier cette fiche.")
    milestone.achieved_on = achieved_on or timezone.localdate()
    milestone.full_clean()
    milestone.save(update_fields=["achieved_on"])
    return milestone


# --- The plan's life: fiches as signed, partners' validations, avenants, comité decisions -----------------


@transaction.atomic
def snapshot_take(
    *,
    action: Action,
    convention,
    amendment=None,
    origin: str,
    user=None,
    data: dict | None = None,
    replace: bool = False,
):
    """Freeze the fiche as the document (the convention, or one of its avenants) carries it: its fields,
    operations and funding lines as JSON (actions.snapshots.freeze). Once per fiche and document; an existing
    snapshot is kept unless `replace` (the reference data reloaded with --update), and rewritten only when its
    content differs, so that loading twice writes nothing."""
    from actions.models import ActionSnapshot
    from actions.snapshots import freeze

    data = freeze(action) if data is None else data
    existing = ActionSnapshot.objects.filter(action=action, convention=convention, amendment=amendment).first()
    if existing is not None:
        if replace and existing.data != data:
            existing.data, existing.taken_at = data, timezone.now()
            existing.save(update_fields=["data", "taken_at"])
        return existing
    snapshot = ActionSnapshot(
        action=action,
        convention=convention,
        amendment=amendment,
        origin=origin,
        taken_at=timezone.now(),
        taken_by=user if getattr(user, "is_authenticated", False) else None,
        data=data,
    )
    snapshot.full_clean()
    snapshot.save()
    return snapshot


def _balance_note_text(row):
    item = row.item
    label = item.get_measure_display()
    codes = ", ".join(row.codes) if row.codes else "aucune fiche"
    scope = f"fiches de {item.territory.name} portées par les documents antérieurs à l'{item.amendment}".replace(
        "l'Avenant", "l'avenant"
    )
    if item.is_amount and not row.comparable:
        computed = f"{row.computed_display} (HT et TTC ne s'additionnent pas : chiffre non comparable)"
    else:
        computed = row.computed_display
    description = (
        f"Bilan {item.territory.name} — {label} : {row.stated_display} selon le document, {computed} d'après les "
        f"{scope} ({row.scope_count} fiches, dont {row.unknown_count} à l'état « unknown »)."
    )
    values = [
        {"source": f"{item.amendment}, {item.source}", "value": item.stated_text},
        {"source": f"Fiches de l'application ({scope})", "value": f"{computed} — {codes}"},
    ]
    return description, values


@transaction.atomic
def balance_notes_record(*, amendment, user=None) -> list[tuple]:
    """Compare each figure of the avenant's balance (BalanceItem) with the same figure computed from the fiches
    (actions.documents.balance_rows) and keep every difference as an open quality note of the avenant — never
    settled in silence. A note already open for a figure is brought up to date; one whose figure the fiches now
    give back is closed, saying so. Nothing is written when nothing moved. `user` None is the reference data
    loader; otherwise the coordination. Returns [(note, created)] of the notes written."""
    from actions.documents import balance_rows
    from actions.models import QualityNote
    from conventions.models import BalanceItem

    if user is not None and not roles.can_edit_reference_data(user):
        raise PermissionDenied("Seule la coordination relève les écarts d'un bilan.")
    items = BalanceItem.objects.filter(amendment=amendment).select_related("territory", "amendment")
    open_notes = {
        note.balance_item_id: note
        for note in QualityNote.objects.filter(amendment=amendment, balance_item__isnull=False, is_open=True)
    }
    written = []
    for row in balance_rows(list(items), None):
        note = open_notes.get(row.item.pk)
        if not row.differs:
            if note is not None:
                note.is_open = False
                note.resolution = "Les fiches donnent désormais le chiffre du document."
                note.save(update_fields=["is_open", "resolution"])
            continue
        description, values = _balance_note_text(row)
        created = note is None
        if created:
            note = QualityNote(amendment=amendment, balance_item=row.item, field="balance")
        elif note.description == description and note.values == values:
            continue
        note.description, note.values = description, values
        note.full_clean()
        note.save()
        written.append((note, created))
    return written


def validation_allowed(user, action):
    """The organisation `user` speaks for on this fiche, if the fiche is one it pilots, funds or co-funds;
    PermissionDenied otherwise (with why)."""
    from actions.documents import expected_validators

    organisation = roles.validating_organisation(user)
    if not Action.objects.visible_to(user).filter(pk=action.pk).exists():
        raise PermissionDenied("Vous ne pouvez pas consulter cette fiche.")
    if organisation is None or organisation not in expected_validators([action.pk]).get(action.pk, set()):
        raise PermissionDenied(
            "Seuls les partenaires qui pilotent, financent ou cofinancent cette fiche donnent leur avis sur elle."
        )
    return organisation


@transaction.atomic
def validation_record(*, action: Action, user, decision: str, comment: str = ""):
    """A partner's word on a fiche it pilots (named partner), funds or co-funds (a line still counted):
    validated, or reservations with a comment saying which. Recording again replaces the previous word (kept
    in the history) and clears « à renouveler »; the fiche's version is kept with it, as what was validated."""
    from actions.models import ActionValidation, ValidationDecision

    organisation = validation_allowed(user, action)
    action = Action.objects.get(pk=action.pk)
    comment = normalise_line_endings(comment or "").strip()
    if decision not in ValidationDecision.values:
        raise ValidationError({"decision": "Choisissez « validée » ou « réserves »."})
    if decision == ValidationDecision.RESERVATIONS and not comment:
        raise ValidationError({"comment": "Dites vos réserves : le commentaire est requis."})
    validation = ActionValidation.objects.select_for_update().filter(
        action=action, organisation_id=organisation
    ).first() or ActionValidation(action=action, organisation_id=organisation)
    validation.decision, validation.comment = decision, comment
    validation.decided_at, validation.decided_by = timezone.now(), user
    validation.action_version = action.version
    validation.to_renew, validation.renewal_reason, validation.to_renew_since = False, "", None
    validation.full_clean()
    validation._history_user = user
    validation.save()
    return validation


def validations_mark_to_renew(*, action: Action, reason: str, user=None) -> int:
    """Mark « à renouveler » every standing validation of the fiche: its cost or funding changed after the
    partners gave their word. Called explicitly by the write services (action_save for the cost,
    financing.services for the lines), never by a signal. Returns how many were marked."""
    from actions.models import ActionValidation

    marked = 0
    for validation in ActionValidation.objects.filter(action_id=action.pk, to_renew=False):
        validation.to_renew = True
        validation.renewal_reason = reason[:500]
        validation.to_renew_since = timezone.now()
        validation._history_user = user
        validation._change_reason = reason[:100]
        validation.save(update_fields=["to_renew", "renewal_reason", "to_renew_since"])
        marked += 1
    return marked


def _signatory_role(organisation):
    """The group a party signs in, as the documents file them: communes and their EPCI are the beneficiaries,
    every other party signs as a funder."""
    from conventions.models import OrganisationKind, SignatoryRole

    if organisation.kind in (OrganisationKind.COMMUNE, OrganisationKind.EPCI):
        return SignatoryRole.BENEFICIARY
    return SignatoryRole.FUNDER


def _replace_signatories(amendment, organisations):
    from conventions.models import Signatory

    wanted = {organisation.pk: organisation for organisation in organisations}
    amendment.signatories.exclude(organisation_id__in=wanted).delete()
    kept = set(amendment.signatories.values_list("organisation_id", flat=True))
    for position, organisation in enumerate(sorted(wanted.values(), key=lambda org: org.name), start=1):
        if organisation.pk in kept:
            continue
        signatory = Signatory(
            convention_id=amendment.convention_id,
            amendment=amendment,
            organisation=organisation,
            role=_signatory_role(organisation),
            position=position,
        )
        signatory.full_clean()
        signatory.save()


@transaction.atomic
def amendment_draft_save(*, amendment, data: dict, signatories: list | None = None, user):
    """Create (amendment None) or change the next avenant while it is prepared, with the parties named to sign
    it. Only the coordination; a signed avenant is no longer changed here."""
    from conventions.models import Amendment, DocumentStatus

    if not roles.can_prepare_amendments(user):
        raise PermissionDenied("Seule la coordination prépare les avenants.")
    if amendment is None or amendment.pk is None:
        amendment = Amendment(status=DocumentStatus.DRAFT)
    else:
        amendment = Amendment.objects.select_for_update().get(pk=amendment.pk)
        if amendment.is_signed:
            raise ValidationError({"__all__": "Cet avenant est signé : il ne se modifie plus."})
    apply_changes(amendment, data, written_texts={})
    if not amendment.key:
        amendment.key = f"avenant-{amendment.convention_id}-{amendment.number}"
    try:
        amendment.full_clean()
    except ValidationError as error:
        if "key" in error.message_dict:
            raise ValidationError({"number": "Cette convention a déjà un avenant de ce numéro."}) from error
        raise
    amendment.save()
    if signatories is not None:
        _replace_signatories(amendment, signatories)
    return amendment


@transaction.atomic
def amendment_sign(*, amendment, signed_on, signatories: list, user, today=None):
    """Mark the avenant signed on `signed_on` by `signatories` (organisations), and freeze what it carries: each
    fiche created or changed since the last signed document (actions.documents.gather_since_signed) is recorded
    as introduced, changed or abandoned by the avenant (ActionDocument, « Annexe 2 ») and frozen as signed
    (ActionSnapshot). All or nothing."""
    from actions.documents import gather_since_signed
    from actions.models import ActionDocument, SnapshotOrigin
    from actions.snapshots import freeze_many
    from conventions.models import Amendment, DocumentStatus

    if not roles.can_prepare_amendments(user):
        raise PermissionDenied("Seule la coordination enregistre la signature d'un avenant.")
    amendment = Amendment.objects.select_for_update().select_related("convention").get(pk=amendment.pk)
    if amendment.is_signed:
        raise ValidationError({"__all__": "Cet avenant est déjà signé."})
    today = today or timezone.localdate()
    errors = {}
    if signed_on is None:
        errors["signed_on"] = "Indiquez la date de signature."
    elif signed_on > today:
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    elif amendment.convention.signed_on and signed_on < amendment.convention.signed_on:
        errors["signed_on"] = (
            f"Un avenant ne précède pas la convention qu'il modifie (signée le "
            f"{amendment.convention.signed_on:%d/%m/%Y})."
        )
    if not signatories:
        errors["signatories"] = "Cochez au moins un signataire."
    if errors:
        raise ValidationError(errors)
    gathered = gather_since_signed(amendment, Action.objects.visible_to(user), user)
    frozen = freeze_many(Action.objects.filter(pk__in=[entry.action.pk for entry in gathered]))
    _replace_signatories(amendment, signatories)
    amendment.status, amendment.signed_on = DocumentStatus.SIGNED, signed_on
    amendment.full_clean()
    amendment.save(update_fields=["status", "signed_on"])
    for entry in gathered:
        document = ActionDocument(
            action=entry.action,
            convention_id=amendment.convention_id,
            amendment=amendment,
            kind=entry.kind,
            reference="Annexe 2 (fiches action)",
        )
        document.full_clean()
        document.save()
        snapshot_take(
            action=entry.action,
            convention=amendment.convention,
            amendment=amendment,
            origin=SnapshotOrigin.SIGNATURE,
            user=user,
            data=frozen[entry.action.pk],
        )
    return amendment


@transaction.atomic
def committee_decisions_save(*, meeting, rows: list[dict], user) -> list:
    """The decisions of a comité meeting that name fiches: each row {"id", "action", "text", "delete"}. Only who
    prepares the comités; a fiche must be one the user sees, a row one of this meeting."""
    from actions.models import CommitteeDecision

    if not roles.can_manage_meetings(user):
        raise PermissionDenied("Seuls l'administrateur et le coordinateur préparent les comités.")
    existing = {decision.pk: decision for decision in CommitteeDecision.objects.filter(meeting=meeting)}
    visible = set(Action.objects.visible_to(user).values_list("pk", flat=True))
    errors, kept = [], []
    for index, row in enumerate(rows):
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors.append(f"Ligne {index + 1} : cette décision n'appartient pas à cette réunion.")
            continue
        if row.get("delete"):
            if pk is not None:
                existing[pk].delete()
            continue
        action = row.get("action")
        if action is None or getattr(action, "pk", action) not in visible:
            errors.append(f"Ligne {index + 1} : choisissez une fiche du programme.")
            continue
        decision = existing.get(pk) or CommitteeDecision(meeting=meeting)
        decision.action_id = getattr(action, "pk", action)
        decision.text = normalise_line_endings(row.get("text") or "").strip()
        decision.position = index
        try:
            decision.full_clean()
        except ValidationError as error:
            errors.extend(f"Ligne {index + 1} : {message}" for message in error.messages)
            continue
        decision.save()
        kept.append(decision)
    if errors:
        raise ValidationError(errors)
    return kept


# What a correction may change of an état d'avancement (its semester stays the one it is about).
CORRECTED_PROGRESS_FIELDS = (
    "status",
    "percent_done",
    "achievements",
    "difficulties",
    "next_steps",
    "status_reason",
    "decided_by",
)


@transaction.atomic
def progress_update_correct(*, update: ProgressUpdate, data: dict, reason: str, user) -> ProgressUpdate:
    """Correct a recorded état d'avancement: the coordination only, always with a reason, kept in the history
    (the semester's report may have been presented to the comité — the record then says it was corrected
    after, and why). The correction completes the record: it never changes the fiche's current status, which
    moves only through the current semester's update and its workflow."""
    if not roles.edits_everything(user):
        raise PermissionDenied("Seule la coordination corrige un état d'avancement déjà saisi.")
    update = ProgressUpdate.objects.select_for_update().select_related("action").get(pk=update.pk)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif de la correction."})
    changed = apply_changes(update, {name: value for name, value in data.items() if name in CORRECTED_PROGRESS_FIELDS})
    if not changed:
        return update
    update.full_clean()
    presented = frozen_by(update.action, update.year, update.semester)
    prefix = "Correction après présentation du rapport" if presented else "Correction"
    update._change_reason = f"{prefix} : {reason}"
    update._history_user = user
    update.save()
    return update
