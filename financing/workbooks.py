"""The funding lines' sheet, both ways (see acv.workbooks): the « financements » kind of import and export, and
the third sheet of the fiches' workbook.

A partner's workbook holds its own lines with every detail and the other funders' settled lines without their
remark (roles.sees_funding_line_detail), as everywhere else; of its own lines it may change only
PARTNER_EDITABLE_FUNDING_FIELDS — the other columns are there to read.
"""

from acv.values import Basis
from acv.workbooks import BOOL, CHOICE, DATE, EURO, INT, PERCENT, TEXT, Column, SheetSpec
from conventions import roles
from financing.models import FundingLine, FundingScheme, FundingStatus, Nature

FUNDING_SHEET = "Financements"


def funding_sheet(lookups, viewer) -> SheetSpec:
    """The columns of a funding line; `lookups` gives the labels of organisations and schemes (one query each)."""

    def note(line):
        return line.note if roles.sees_funding_line_detail(viewer, line) else ""

    return SheetSpec(
        FUNDING_SHEET,
        [
            Column("N° interne", "id", lambda line: line.pk, INT, editable=False, width=10),
            Column("Version", "version", lambda line: line.version, INT, editable=False, width=8),
            Column("N° interne de la fiche", "action", lambda line: line.action_id, INT, mandatory=True, width=10),
            Column("Fiche", "action_code", lambda line: line.action.code, TEXT, editable=False, width=10),
            Column(
                "Financeur",
                "funder",
                lambda line: line.funder_id,
                CHOICE,
                mandatory=True,
                choices=lookups.organisations,
                width=28,
            ),
            Column("Dispositif", "scheme", lambda line: line.scheme_id, CHOICE, choices=lookups.schemes, width=22),
            Column("Nature", "nature", lambda line: line.nature, CHOICE, choices=dict(Nature.choices), width=16),
            Column("Montant (€)", "amount", lambda line: line.amount, EURO),
            Column("Part (%)", "share", lambda line: line.share, PERCENT, width=10),
            Column("HT / TTC", "basis", lambda line: line.basis, CHOICE, choices=dict(Basis.choices), width=10),
            Column(
                "État", "status", lambda line: line.status, CHOICE, mandatory=True, choices=dict(FundingStatus.choices)
            ),
            Column("Échéancier complet", "years_complete", lambda line: line.years_complete, BOOL, width=12),
            Column("Référence de la décision", "decision_reference", lambda line: line.decision_reference, width=26),
            Column("Date de la décision", "decision_date", lambda line: line.decision_date, DATE, width=14),
            Column("Tel qu'écrit", "source_text", lambda line: line.source_text, width=30),
            Column("Remarque", "note", note, width=40),
        ],
    )


# What an import may change on a line, by role: the model fields of the editable columns.
LINE_FIELDS = (
    "action",
    "funder",
    "scheme",
    "nature",
    "amount",
    "share",
    "basis",
    "status",
    "years_complete",
    "decision_reference",
    "decision_date",
    "source_text",
    "note",
)


def line_fields_for(user):
    """The columns of a line an import by this user may change."""
    if roles.edits_everything(user) or roles.is_referent(user):
        return LINE_FIELDS
    return tuple(name for name in LINE_FIELDS if name in roles.PARTNER_EDITABLE_FUNDING_FIELDS)


def lines_for_workbook(lines):
    """Lines as the sheet reads them, in a fixed number of queries, to stream with .iterator()."""
    return lines.select_related("action").order_by("action__code", "action_id", "position", "pk")


def scheme_labels(user):
    """The schemes of the programme the user works in: another programme's is neither written nor read."""
    return dict(FundingScheme.objects.visible_to(user).values_list("pk", "name"))


def line_state(line):
    """The values of a line's editable columns, as an import compares them."""
    return {name: getattr(line, FundingLine._meta.get_field(name).attname) for name in LINE_FIELDS}
