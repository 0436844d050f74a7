"""The fiches' workbook, both ways (see acv.workbooks): a sheet of fiches, one of their operations and one of
their funding lines (financing.workbooks).

The fuzzy dates and costs of the documents are written as their reading (first day, precision, last day) next to
the text as written, so that nothing is guessed on the way back. Axes are written as their numbers (« 1, 3 »).
The same sheet, with the funding measures the viewer reads added as read-only columns, is the export of the
fiche list.
"""

from dataclasses import dataclass

from actions.models import Action, ActionStatus, Operation, ProjectType, kind_choices
from acv.values import Basis, CostKind, Precision
from acv.workbooks import BOOL, CHOICE, DATE, EURO, INT, TEXT, Column, SheetSpec
from conventions import roles
from conventions.models import Amendment, Axis, Convention, Organisation, Programme, SubAxis

FICHES_SHEET = "Fiches"
OPERATIONS_SHEET = "Opérations"


@dataclass
class Lookups:
    """Labels of the reference lists the sheets name (one query each), and the way back from a label."""

    organisations: dict
    conventions: dict
    amendments: dict
    sub_axes: dict
    schemes: dict
    # (programme id, axis number) → axis id; convention id → programme id
    axes: dict
    programmes: dict
    # The programme the user works in: its words name the nomenclature's columns (« Piliers », « Orientation »).
    programme: object = None

    @property
    def words(self):
        """The programme's words, or the defaults of a programme that configures none."""
        return self.programme if self.programme is not None else Programme()

    @classmethod
    def load(cls, user):
        """The lists of the programme the user works in (visible_to): another programme's sous-axe « 1.2 » or
        convention is neither written nor read by this user's workbooks."""
        from financing.workbooks import scheme_labels

        conventions = Convention.objects.visible_to(user)
        return cls(
            organisations=dict(Organisation.objects.values_list("pk", "name")),
            conventions=dict(conventions.values_list("pk", "key")),
            amendments=dict(Amendment.objects.visible_to(user).values_list("pk", "key")),
            sub_axes=dict(SubAxis.objects.visible_to(user).values_list("pk", "code")),
            schemes=scheme_labels(user),
            axes={
                (programme, number): pk
                for pk, programme, number in Axis.objects.visible_to(user).values_list("pk", "programme_id", "number")
            },
            programmes=dict(conventions.values_list("pk", "programme_id")),
            programme=roles.active_programme(user),
        )


def _period_columns(prefix, label, feminine=False):
    as_written = "telle qu'écrite" if feminine else "tel qu'écrit"
    return [
        Column(f"{label} (premier jour)", f"{prefix}_on", lambda obj: getattr(obj, f"{prefix}_on"), DATE, width=13),
        Column(
            f"{label} (précision)",
            f"{prefix}_precision",
            lambda obj: getattr(obj, f"{prefix}_precision"),
            CHOICE,
            choices=dict(Precision.choices),
            width=12,
        ),
        Column(
            f"{label} (dernier jour)", f"{prefix}_until", lambda obj: getattr(obj, f"{prefix}_until"), DATE, width=13
        ),
        Column(f"{label} {as_written}", f"{prefix}_text", lambda obj: getattr(obj, f"{prefix}_text"), width=16),
    ]


def _cost_columns():
    return [
        Column("Nature du coût", "cost_kind", lambda obj: obj.cost_kind, CHOICE, choices=dict(CostKind.choices)),
        Column("Coût (€)", "cost_amount", lambda obj: obj.cost_amount, EURO),
        Column("Coût minimum (€)", "cost_min", lambda obj: obj.cost_min, EURO),
        Column("Coût maximum (€)", "cost_max", lambda obj: obj.cost_max, EURO),
        Column("Coût annuel", "cost_per_year", lambda obj: obj.cost_per_year, BOOL, width=10),
        Column("Coût HT / TTC", "cost_basis", lambda obj: obj.cost_basis, CHOICE, choices=dict(Basis.choices)),
        Column("Coût tel qu'écrit", "cost_text", lambda obj: obj.cost_text, width=20),
    ]


def axes_text(action):
    return ", ".join(axis.number for axis in sorted(action.axes.all(), key=lambda axis: (axis.position, axis.number)))


def fiche_sheet(lookups: Lookups, viewer=None, *, with_measures=False) -> SheetSpec:
    """The fiches' sheet; `with_measures` adds the funding figures the list shows this viewer (read-only)."""
    columns = [
        Column("N° interne", "id", lambda action: action.pk, INT, editable=False, width=10),
        Column("Version", "version", lambda action: action.version, INT, editable=False, width=8),
        Column(
            "Convention",
            "convention",
            lambda action: action.convention_id,
            CHOICE,
            mandatory=True,
            choices=lookups.conventions,
            width=20,
        ),
        Column("Avenant", "amendment", lambda action: action.amendment_id, CHOICE, choices=lookups.amendments),
        Column("Code", "code", lambda action: action.code, mandatory=True, width=10),
        Column("Intitulé", "title", lambda action: action.title, mandatory=True, width=50),
        Column("Catégorie", "kind", lambda action: action.kind, CHOICE, choices=dict(kind_choices(lookups.words))),
        Column(
            "Type de projet",
            "project_type",
            lambda action: action.project_type,
            CHOICE,
            choices=dict(ProjectType.choices),
        ),
        Column(
            "Commune",
            "territory",
            lambda action: action.territory_id,
            CHOICE,
            mandatory=True,
            choices=lookups.organisations,
            width=24,
        ),
        Column(
            "Maître d'ouvrage",
            "project_owner",
            lambda action: action.project_owner_id,
            CHOICE,
            choices=lookups.organisations,
            width=24,
        ),
        Column(lookups.words.level1_title_plural, "axes", axes_text, TEXT, width=8),
        Column(
            lookups.words.level2_title,
            "sub_axis",
            lambda action: action.sub_axis_id,
            CHOICE,
            choices=lookups.sub_axes,
            width=8,
        ),
        Column("État", "status", lambda action: action.status, CHOICE, choices=dict(ActionStatus.choices)),
        *_cost_columns(),
        *_period_columns("start", "Début"),
        *_period_columns("end", "Fin", feminine=True),
        Column("Description générale", "description", lambda action: action.description, width=40),
        Column("Objectifs", "objectives", lambda action: action.objectives, width=40),
        Column("Intervenants", "stakeholders", lambda action: action.stakeholders, width=30),
        Column("Modalités de financement (texte)", "funding_text", lambda action: action.funding_text, width=30),
        Column("Document source", "source_document", lambda action: action.source_document, width=16),
        Column("Référence dans la source", "source_reference", lambda action: action.source_reference, width=20),
    ]
    if with_measures:
        columns.append(Column("Acquis (€)", "_acquired", lambda action: action.funding_acquired, EURO, editable=False))
        if roles.sees_every_funding_line(viewer):
            columns.append(Column("Prévu (€)", "_funded", lambda action: action.funding_total, EURO, editable=False))
        elif roles.is_partner(viewer):
            columns.append(
                Column("Vos engagements (€)", "_own", lambda action: action.funding_own, EURO, editable=False)
            )
    return SheetSpec(FICHES_SHEET, columns)


def operation_sheet(lookups: Lookups) -> SheetSpec:
    return SheetSpec(
        OPERATIONS_SHEET,
        [
            Column("N° interne", "id", lambda operation: operation.pk, INT, editable=False, width=10),
            Column(
                "N° interne de la fiche", "action", lambda operation: operation.action_id, INT, mandatory=True, width=10
            ),
            Column("Fiche", "action_code", lambda operation: operation.action.code, TEXT, editable=False, width=10),
            Column("Référence", "reference", lambda operation: operation.reference, width=10),
            Column("Nom", "name", lambda operation: operation.name, mandatory=True, width=40),
            Column("Description", "description", lambda operation: operation.description, width=30),
            *_cost_columns(),
            *_period_columns("start", "Début"),
            *_period_columns("end", "Fin", feminine=True),
            Column("Financement (texte)", "funding_text", lambda operation: operation.funding_text, width=30),
        ],
    )


# Model fields an import writes, per sheet (the editable columns; « axes » is the many-to-many).
FICHE_FIELDS = tuple(
    column.key for column in fiche_sheet(Lookups({}, {}, {}, {}, {}, {}, {})).columns if column.editable
)
OPERATION_FIELDS = tuple(
    column.key
    for column in operation_sheet(Lookups({}, {}, {}, {}, {}, {}, {})).columns
    if column.editable and column.key != "action"
)


def fiches_for_workbook(fiches, viewer=None):
    """Fiches as their sheet reads them (one query per chunk plus the axes), in the list's default order."""
    return fiches.select_related("territory", "project_owner").prefetch_related("axes")


def operations_for_workbook(fiches):
    return (
        Operation.objects.filter(action__in=fiches.values("pk"))
        .select_related("action")
        .order_by("action__code", "action_id", "position", "pk")
    )


def fiche_state(action, axes):
    """The values of a fiche's editable columns, as an import compares them (`axes`: its axes' text)."""
    state = {name: getattr(action, Action._meta.get_field(name).attname) for name in FICHE_FIELDS if name != "axes"}
    state["axes"] = axes
    return state


def operation_state(operation):
    return {name: getattr(operation, Operation._meta.get_field(name).attname) for name in OPERATION_FIELDS}


def fiches_editable_ids(user, ids):
    """Of these fiche ids, those the user may change (one query)."""
    return set(Action.objects.editable_by(user).filter(pk__in=ids).values_list("pk", flat=True))
