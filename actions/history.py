"""The history timeline of a fiche: its own changes, its operations', result indicators' and funding lines',
merged.

Built from django-simple-history rows in a fixed number of queries (one per history table, one per
kind of related object named in them), whatever the length of the history.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from actions.models import Action, Operation, ResultIndicator, kind_choices
from acv.values import format_euros, format_measure
from conventions import roles
from conventions.models import Amendment, Axis, Convention, Organisation, SubAxis
from financing.models import FundingLine, FundingScheme

# Bookkeeping columns nobody reads as a change of the fiche.
# search_text is derived from fields the timeline shows, and not kept in the history tables.
IGNORED_FIELDS = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "position",
    "action",
    "start_until",
    "end_until",
    "due_until",
    "search_text",
}
# Figures that are no amounts: a result indicator's target and result, read with their unit elsewhere.
MEASURE_FIELDS = {"target_value", "achieved_value"}
EMPTY = "—"
# The fiche's many-to-many fields as django-simple-history stores them: reverse relation, id column.
M2M_HISTORY = {
    "axes": ("historicalaction_axes_set", "axis_id"),
    "partners": ("historicalaction_partners_set", "organisation_id"),
}
M2M_HISTORY_RELATIONS = [relation for relation, _column in M2M_HISTORY.values()]
KIND_LABELS = {"+": "création", "~": "modification", "-": "suppression"}


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime.datetime
    who: str
    subject: str
    kind: str
    changes: list = field(default_factory=list)

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)


def _tracked_fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in IGNORED_FIELDS]


class Labeller:
    """Turns stored values into what a person reads, fetching related names in bulk."""

    related_models = {
        Organisation: "name",
        Convention: "title",
        Amendment: None,
        SubAxis: None,
        FundingScheme: "name",
        Operation: "name",
        Axis: None,
    }

    def __init__(self, programme=None):
        self.wanted = {}
        self.names = {}
        # The fiche's categories in the words of the viewer's programme: a « projet », not a « fiche action ».
        self.kinds = dict(kind_choices(programme)) if programme is not None else None

    def want(self, model, pk):
        if pk is not None:
            self.wanted.setdefault(model, set()).add(pk)

    def load(self):
        for model, pks in self.wanted.items():
            queryset = model._base_manager.filter(pk__in=pks)
            self.names[model] = {obj.pk: str(obj) for obj in queryset}

    def related(self, model, pk):
        if pk is None:
            return EMPTY
        return self.names.get(model, {}).get(pk, f"n°{pk} (supprimé)")

    def value(self, model_field, value):
        if model_field.is_relation:
            return self.related(model_field.related_model, value)
        if value in (None, ""):
            return EMPTY
        is_fiche_kind = model_field.name == "kind" and model_field.model._meta.model_name.endswith("action")
        if is_fiche_kind and self.kinds is not None and value in self.kinds:
            return str(self.kinds[value])
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "oui" if value else "non"
        if isinstance(value, Decimal):
            if model_field.name == "share":
                return f"{value.normalize():n} %".replace(".", ",")
            if model_field.name in MEASURE_FIELDS:
                return format_measure(value)
            return format_euros(value)
        if isinstance(value, datetime.date):
            return date_format(value, "j F Y")
        return str(value)


def _user_name(user):
    if user is None:
        return "système (chargement des données)"
    return user.get_full_name() or user.get_username()


def _subject(record, model):
    if model is Action:
        return "Fiche"
    if model is Operation:
        return f"Opération « {record.name} »"
    if model is ResultIndicator:
        return f"Indicateur de résultat « {record.label} »"
    return "Ligne de financement"


def _history_rows(action_pk, viewer):
    """The history rows of the fiche, its operations, result indicators and funding lines that this viewer may
    read (each history table's visible_to: a partner follows its own lines only)."""
    fiche = (
        Action.history.all()
        .visible_to(viewer)
        .filter(id=action_pk)
        .select_related("history_user")
        .prefetch_related(*M2M_HISTORY_RELATIONS)
        .order_by("history_date", "history_id")
    )
    operations = (
        Operation.history.all()
        .visible_to(viewer)
        .filter(action_id=action_pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    indicators = (
        ResultIndicator.history.all()
        .visible_to(viewer)
        .filter(action_id=action_pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    lines = (
        FundingLine.history.all()
        .visible_to(viewer)
        .filter(action_id=action_pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    return [
        (Action, list(fiche)),
        (Operation, list(operations)),
        (ResultIndicator, list(indicators)),
        (FundingLine, list(lines)),
    ]


def _m2m_ids(record, name):
    relation, column = M2M_HISTORY[name]
    return {getattr(row, column) for row in getattr(record, relation).all()}


def changes_between(model, before, after, labeller):
    """[(model field, old value, new value)] for the tracked fields that differ, m2m of fiches included."""
    diffs = []
    for model_field in _tracked_fields(model):
        old = getattr(before, model_field.attname) if before is not None else None
        new = getattr(after, model_field.attname)
        if old != new and not (before is None and new in (None, "", False)):
            diffs.append((model_field, old, new))
    if model is Action:
        for name in ("axes", "partners"):
            old = _m2m_ids(before, name) if before is not None else set()
            new = _m2m_ids(after, name)
            if old != new:
                diffs.append((Action._meta.get_field(name), old, new))
    return diffs


def _describe(model_field, old, new, labeller):
    if model_field.many_to_many:
        related = model_field.related_model

        def names(ids):
            return ", ".join(sorted(labeller.related(related, pk) for pk in ids)) or EMPTY

        return Change(model_field.name, str(model_field.verbose_name), names(old), names(new))
    return Change(
        model_field.name,
        str(model_field.verbose_name),
        labeller.value(model_field, old),
        labeller.value(model_field, new),
    )


def _want_related(labeller, model_field, *values):
    if model_field.many_to_many:
        for ids in values:
            for pk in ids:
                labeller.want(model_field.related_model, pk)
    elif model_field.is_relation:
        for value in values:
            labeller.want(model_field.related_model, value)


def action_timeline(action_pk, viewer):
    """Every recorded change of the fiche, its operations, result indicators and funding lines, newest first
    (for a partner viewer, of its own funding lines only)."""
    labeller = Labeller(roles.active_programme(viewer))
    raw = []
    for model, records in _history_rows(action_pk, viewer):
        previous_by_object = {}
        for record in records:
            before = previous_by_object.get(record.id)
            diffs = [] if record.history_type == "-" else changes_between(model, before, record, labeller)
            previous_by_object[record.id] = record
            if record.history_type == "~" and not diffs:
                continue  # a save that changed nothing a person reads
            for model_field, old, new in diffs:
                _want_related(labeller, model_field, old, new)
            if model is FundingLine:
                labeller.want(Organisation, record.funder_id)
            raw.append((model, record, diffs))
    labeller.load()
    entries = []
    for model, record, diffs in raw:
        subject = _subject(record, model)
        if model is FundingLine:
            subject = f"Financement {labeller.related(Organisation, record.funder_id)}"
        entries.append(
            Entry(
                when=record.history_date,
                who=_user_name(record.history_user),
                subject=subject,
                kind=record.history_type,
                changes=[_describe(f, old, new, labeller) for f, old, new in diffs],
            )
        )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


def changes_since(action, expected_version, submitted, viewer):
    """What others changed on the fiche since `expected_version`, next to what this user submitted.

    Returns (changes, entries): changes is [{label, theirs, yours}] for each field of the fiche that
    differs between the version the user opened and the current one; entries the timeline rows
    recorded since (operations and funding lines included).
    """
    labeller = Labeller(roles.active_programme(viewer))
    history = Action.history.all().visible_to(viewer)
    opened = (
        history.filter(id=action.pk, version=expected_version)
        .prefetch_related(*M2M_HISTORY_RELATIONS)
        .order_by("-history_date", "-history_id")
        .first()
    )
    current = history.filter(id=action.pk).prefetch_related(*M2M_HISTORY_RELATIONS).order_by("-history_date").first()
    since = opened.history_date if opened else timezone.now()
    diffs = changes_between(Action, opened, current, labeller) if opened and current else []
    for model_field, old, new in diffs:
        _want_related(labeller, model_field, old, new)
        _want_related(labeller, model_field, _submitted_value(model_field, submitted))
    labeller.load()
    changes = []
    for model_field, _old, new in diffs:
        theirs = _describe(model_field, set(), new, labeller) if model_field.many_to_many else None
        yours_value = _submitted_value(model_field, submitted)
        if model_field.many_to_many:
            yours = _describe(model_field, set(), yours_value, labeller).new
            theirs = theirs.new
        else:
            theirs = labeller.value(model_field, new)
            yours = labeller.value(model_field, yours_value)
        changes.append({"label": str(model_field.verbose_name), "theirs": theirs, "yours": yours})
    entries = [entry for entry in action_timeline(action.pk, viewer) if entry.when > since]
    return changes, entries


def _submitted_value(model_field, submitted):
    """The value the user's form holds for this field, in the form the history stores it."""
    if model_field.name not in submitted:
        return None
    value = submitted[model_field.name]
    if model_field.many_to_many:
        return {obj.pk for obj in value}
    if isinstance(value, models.Model):
        return value.pk
    return value
