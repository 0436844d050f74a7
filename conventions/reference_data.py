"""Reference data loading: the shared machinery and the conventions app's sections.

Each app loads the sections of the fixture files it owns (`<app>/reference_data.py`); the command
`load_reference_data` runs them in order inside one transaction. Rows are matched on their natural
keys. A row that exists is left as it is — once loaded, the programme belongs to its coordinator —
unless `update` is asked, in which case changed fields are written (and recorded in the history).
Nothing is saved when nothing changed, so a second run writes nothing.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.functional import Promise

from conventions.models import (
    Amendment,
    Axis,
    AxisWording,
    BalanceItem,
    CallForProjects,
    Convention,
    DocumentArticle,
    DocumentStatus,
    Objective,
    Organisation,
    OrganisationAlias,
    PriorityNeighbourhood,
    Programme,
    ProgrammeFigure,
    Sector,
    Signatory,
    SubAxis,
)

CHANGE_REASON = "Chargement des données de référence"


class ReferenceDataError(Exception):
    """A fixture row that cannot be loaded: says which file, which row and why."""


@dataclass
class LoadContext:
    update: bool = False
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    where: str = ""
    # Rows the fixtures name, read once per load: the same organisation, axe or convention is named by hundreds
    # of rows, and a query each made most of the load's time.
    named: dict = field(default_factory=dict)

    def count(self, bucket, model):
        name = model._meta.verbose_name_plural
        getattr(self, bucket)[name] = getattr(self, bucket).get(name, 0) + 1

    def fail(self, message):
        raise ReferenceDataError(f"{self.where} : {message}")

    def find(self, model, unknown, **lookup):
        """The row of `model` matched by `lookup`; fails with the message `unknown` when there is none."""
        key = (model, tuple(sorted(lookup.items())))
        found = self.named.get(key)
        if found is None:
            found = model._default_manager.filter(**lookup).first()
            if found is None:
                self.fail(unknown)
            self.named[key] = found
        return found


def upsert(ctx, model, lookup, values, m2m=None):
    """Create the row matched by `lookup`, or (with ctx.update) write the fields that differ.

    Validates with full_clean() so that fixtures obey the same rules as every other write.
    Returns the instance.
    """
    instance = model._default_manager.filter(**lookup).first()
    creating = instance is None
    if creating:
        instance = model(**lookup, **values)
    elif ctx.update:
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if not changed and not _m2m_differs(instance, m2m):
            return instance
        for name in changed:
            setattr(instance, name, values[name])
    else:
        return instance
    try:
        instance.full_clean()
    except ValidationError as error:
        ctx.fail(f"{model._meta.verbose_name} {lookup} invalide : {error.message_dict}")
    instance._change_reason = CHANGE_REASON
    instance.save()
    for name, related in (m2m or {}).items():
        getattr(instance, name).set(related)
    ctx.count("created" if creating else "updated", model)
    return instance


def _m2m_differs(instance, m2m):
    return any(
        {obj.pk for obj in getattr(instance, name).all()} != {obj.pk for obj in related}
        for name, related in (m2m or {}).items()
    )


def organisation(ctx, key):
    if key is None:
        return None
    return ctx.find(Organisation, f"organisation inconnue « {key} »", key=key)


def programme(ctx, code):
    return ctx.find(Programme, f"programme inconnu « {code} »", code=code)


def axis(ctx, programme_obj, number):
    return ctx.find(Axis, f"axe inconnu « {number} »", programme=programme_obj, number=str(number))


def sub_axis(ctx, programme_obj, code):
    if not code:
        return None
    return ctx.find(SubAxis, f"sous-axe inconnu « {code} »", axis__programme=programme_obj, code=str(code))


def convention(ctx, key):
    return ctx.find(Convention, f"convention inconnue « {key} »", key=key)


def amendment(ctx, key):
    if not key:
        return None
    return ctx.find(Amendment, f"avenant inconnu « {key} »", key=key)


def text(value):
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


# A programme's configuration: what a file may say, with the model's default when it says nothing (ACV's words).
PROGRAMME_SETTINGS = (
    "short_name",
    "territory_label",
    "level1_label",
    "level1_label_plural",
    "level2_label",
    "level2_label_plural",
    "level3_label",
    "level3_label_plural",
    "fiche_label",
    "fiche_label_plural",
    "fiche_label_gender",
    "fiche_code_example",
    "level1_label_gender",
    "level2_label_gender",
    "reporting_rhythm",
    "has_calls_for_projects",
    "has_national_table",
    "fiche_kinds",
    "has_evaluation_grid",
    "evaluation_grid_source",
    "fiche_annex_label",
    "position",
)


def load_programmes(ctx, rows):
    for row in rows:
        values = {"name": row["name"], "description": text(row.get("description"))}
        for name in PROGRAMME_SETTINGS:
            if name in row:
                values[name] = row[name]
            else:
                default = Programme._meta.get_field(name).get_default()
                values[name] = str(default) if isinstance(default, Promise) else default
        upsert(ctx, Programme, {"code": row["code"]}, values)


def load_objectives(ctx, rows):
    """The third level of a nomenclature: each objective under its level-2 code (« 1.3 »)."""
    for position, row in enumerate(rows):
        prog = programme(ctx, row["programme"])
        parent = sub_axis(ctx, prog, row["sub_axis"])
        upsert(
            ctx,
            Objective,
            {"sub_axis": parent, "code": str(row["code"])},
            {"title": row["title"], "position": position, "note": text(row.get("note"))},
        )


def call_for_projects(ctx, programme_code, year):
    if not year:
        return None
    unknown = f"appel à projets inconnu « {programme_code} {year} »"
    return ctx.find(CallForProjects, unknown, programme__code=programme_code, year=year)


def load_calls(ctx, rows):
    for row in rows:
        prog = programme(ctx, row["programme"])
        upsert(
            ctx,
            CallForProjects,
            {"programme": prog, "year": row["year"]},
            {
                "convention": convention(ctx, row["convention"]) if row.get("convention") else None,
                "title": row["title"],
                "opens_on": row.get("opens_on"),
                "closes_on": row.get("closes_on"),
                "submitted_count": row.get("submitted"),
                "retained_count": row.get("retained"),
                "refused_count": row.get("refused"),
                "counts_text": text(row.get("counts_text")),
                "source": text(row.get("source")),
                "note": text(row.get("note")),
            },
        )


def load_figures(ctx, rows, money):
    for position, row in enumerate(rows):
        prog = programme(ctx, row["programme"])
        upsert(
            ctx,
            ProgrammeFigure,
            {"programme": prog, "year": row["year"], "key": row["key"]},
            {
                "call": call_for_projects(ctx, row["programme"], row.get("call")),
                "group": row["group"],
                "label": row["label"],
                "axis": axis(ctx, prog, row["axis"]) if row.get("axis") else None,
                "funder_group": text(row.get("funder_group")),
                "value": money(ctx, row.get("value")),
                "unit": row["unit"],
                "stated_text": text(row["text"]),
                "source": text(row["source"]),
                "note": text(row.get("note")),
                "position": position,
            },
        )


def load_axes(ctx, rows):
    for position, row in enumerate(rows):
        prog = programme(ctx, row["programme"])
        wordings = {str(version): title for version, title in (row.get("wordings") or {}).items()}
        if not wordings:
            ctx.fail(f"l'axe {row['number']} n'a aucun intitulé")
        latest = wordings[max(wordings)]
        obj = upsert(
            ctx,
            Axis,
            {"programme": prog, "number": str(row["number"])},
            {"title": latest, "label": text(row.get("label")), "position": position},
        )
        for version, title in wordings.items():
            upsert(
                ctx,
                AxisWording,
                {"axis": obj, "version": version},
                {"title": title, "source": text(row.get("source")), "note": text(row.get("note"))},
            )


def load_sub_axes(ctx, rows):
    for row in rows:
        prog = programme(ctx, row["programme"])
        upsert(ctx, SubAxis, {"axis": axis(ctx, prog, row["axis"]), "code": str(row["code"])}, {"title": row["title"]})


def load_organisations(ctx, rows):
    # Parents may be listed after their children: create every row first, then link parents.
    for row in rows:
        upsert(
            ctx,
            Organisation,
            {"key": row["key"]},
            {
                "name": row["name"],
                "short_name": text(row.get("short_name")),
                "kind": row["kind"],
                "note": text(row.get("note")),
            },
        )
    for row in rows:
        org = Organisation.objects.get(key=row["key"])
        parent = organisation(ctx, row.get("parent"))
        if org.parent_id != (parent.pk if parent else None) and (org.parent_id is None or ctx.update):
            org.parent = parent
            org.save(update_fields=["parent"])
        for alias in row.get("aliases") or []:
            if alias != org.name:
                upsert(ctx, OrganisationAlias, {"organisation": org, "name": alias}, {})


def load_conventions(ctx, rows):
    for row in rows:
        upsert(
            ctx,
            Convention,
            {"key": row["key"]},
            {
                "programme": programme(ctx, row["programme"]),
                "title": row["title"],
                "signed_on": row.get("signed_on"),
                "starts_on": row.get("starts_on"),
                "ends_on": row.get("ends_on"),
                "phases": text(row.get("phases")),
                "source": text(row.get("source")),
                "note": text(row.get("note")),
            },
        )


def load_amendments(ctx, rows):
    for row in rows:
        upsert(
            ctx,
            Amendment,
            {"key": row["key"]},
            {
                "convention": convention(ctx, row["convention"]),
                "number": row["number"],
                "title": row["title"],
                # The documents are signed ones, even when their date is left blank (« le XXX »).
                "status": row.get("status") or DocumentStatus.SIGNED,
                "signed_on": row.get("signed_on"),
                "covers_from": row.get("covers_from"),
                "covers_to": row.get("covers_to"),
                "project_committees_per_year": row.get("project_committees_per_year"),
                "source": text(row.get("source")),
                "note": text(row.get("note")),
            },
        )


def load_signatories(ctx, rows):
    for position, row in enumerate(rows):
        upsert(
            ctx,
            Signatory,
            {
                "convention": convention(ctx, row["convention"]),
                "amendment": amendment(ctx, row.get("amendment")),
                "organisation": organisation(ctx, row["organisation"]),
            },
            {
                "representative": text(row.get("representative")),
                "representative_title": text(row.get("representative_title")),
                "role": row["role"],
                "position": row.get("position", position),
            },
        )


def load_sectors(ctx, rows):
    for row in rows:
        upsert(
            ctx,
            Sector,
            {"key": row["key"]},
            {
                "commune": organisation(ctx, row["commune"]),
                "name": row["name"],
                "kind": text(row.get("kind")),
                "amendment": amendment(ctx, row.get("amendment")),
                "description": text(row.get("description")),
            },
        )


def load_priority_neighbourhoods(ctx, rows):
    for row in rows:
        communes = [organisation(ctx, key) for key in row.get("communes") or []]
        if not communes:
            ctx.fail(f"le quartier prioritaire « {row['key']} » n'a aucune commune")
        for commune in communes:
            if commune.kind != "commune":
                ctx.fail(f"« {commune.key} » n'est pas une commune : un quartier prioritaire est sur des communes")
        upsert(
            ctx,
            PriorityNeighbourhood,
            {"key": row["key"]},
            {
                "name": row["name"],
                "code": text(row.get("code")),
                "source": text(row.get("source")),
                "note": text(row.get("note")),
            },
            m2m={"communes": communes},
        )


def load_articles(ctx, rows):
    for position, row in enumerate(rows):
        upsert(
            ctx,
            DocumentArticle,
            {
                "convention": convention(ctx, row["convention"]),
                "amendment": amendment(ctx, row.get("amendment")),
                "reference": row["reference"],
            },
            {"title": row["title"], "summary": text(row["summary"]), "position": row.get("position", position)},
        )


def load_balance_items(ctx, rows, money):
    """The figures of a balance as the document writes them (the notes comparing them with the fiches are
    recorded by actions.services.balance_notes_record, once the fiches are loaded)."""
    items = []
    for position, row in enumerate(rows):
        items.append(
            upsert(
                ctx,
                BalanceItem,
                {
                    "amendment": amendment(ctx, row["amendment"]),
                    "territory": organisation(ctx, row["territory"]),
                    "measure": row["measure"],
                },
                {
                    "convention": convention(ctx, row["convention"]),
                    "stated_value": money(ctx, row["value"]),
                    "stated_text": text(row["text"]),
                    "source": text(row["source"]),
                    "note": text(row.get("note")),
                    "position": row.get("position", position),
                },
            )
        )
    return items
