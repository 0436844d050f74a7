"""The national table of ACV actions (avenant n°2, Article 4: updated at least once a semester).

No public column list of the national table was found; its rows are built on stable identifiers (the city's ACV
identifier and INSEE code, the maître d'ouvrage's SIRET, our fiche number) and on the shared project schema the
French local-project tools agreed on (« Les communs »: a phase Idée / Étude / Opération, a status, the programme),
so that it can be mapped to whatever the platform asks.

Which fiches: those **validated by their partners** — every organisation that pilots, funds or co-funds the fiche
(actions.documents.expected_validators) has given a current « validée » (not « à renouveler ») — **and carried by a
signed document** (the convention once signed, or a signed avenant, that introduced or changed it). A fiche with
no such partner (carried by its maître d'ouvrage alone) has nobody to validate it: the signed document that
carries it is then its validation, and it is in the table.

Phase (« Les communs »): Étude for a study (type étude, or an étude de diagnostic); Opération once works are under
way or done (en cours, réalisée, suspendue) or for works and acquisitions; Idée otherwise (à lancer or non
renseigné, animation, ingénierie or action not started). The status column keeps our own state.

Files: XLSX (amounts as numbers with the € format, dates as dates) and CSV — UTF-8 with a byte-order mark (so
that spreadsheets open it with its accents), `;` between fields, amounts with a decimal point and ISO dates
(YYYY-MM-DD): machine-readable, whatever the reader's locale.
"""

import csv
import datetime
import io
from decimal import Decimal

from django.db.models import Q

from acv.workbooks import DATE, EURO, TEXT, Column, SheetSpec, new_workbook, workbook_bytes, write_sheet

PHASE_IDEA, PHASE_STUDY, PHASE_OPERATION = "Idée", "Étude", "Opération"
SHEET = "Tableau national"


def phase_of(action):
    """The « Les communs » phase of a fiche (see the module's docstring)."""
    if action.project_type == "etude" or action.kind == "diagnostic":
        return PHASE_STUDY
    if action.status in ("in_progress", "delivered", "suspended") or action.project_type in ("travaux", "acquisition"):
        return PHASE_OPERATION
    return PHASE_IDEA


def national_fiches(programme):
    """The fiches of this programme in the national table (see the module's docstring), in code order."""
    from actions.documents import expected_validators
    from actions.models import Action, ActionDocument, ActionValidation
    from actions.plan_models import CARRIED_KINDS

    carried = ActionDocument.objects.filter(kind__in=CARRIED_KINDS).filter(
        Q(amendment__isnull=True, convention__signed_on__isnull=False) | Q(amendment__status="signed")
    )
    candidates = Action.objects.filter(convention__programme=programme, pk__in=carried.values("action_id"))
    ids = list(candidates.values_list("pk", flat=True))
    expected = expected_validators(ids)
    validated = {}
    for action_id, organisation_id in ActionValidation.objects.filter(
        action_id__in=ids, decision="validated", to_renew=False
    ).values_list("action_id", "organisation_id"):
        validated.setdefault(action_id, set()).add(organisation_id)
    chosen = [pk for pk in ids if expected.get(pk, set()) <= validated.get(pk, set())]
    return Action.objects.filter(pk__in=chosen).order_by("convention__starts_on", "code", "pk")


def _costs(action):
    low = action.cost_amount if action.cost_amount is not None else action.cost_min
    return (low if action.cost_basis == "HT" else None, low if action.cost_basis == "TTC" else None)


def national_rows(programme):
    """{fiche id (str): {column header: value}} — the table's rows, in a fixed number of queries."""
    from actions.models import ProgressUpdate
    from financing.models import FundingLine, FundingStatus

    fiches = list(
        national_fiches(programme)
        .select_related("territory", "project_owner", "convention__programme", "sub_axis")
        .prefetch_related("axes")
    )
    ids = [fiche.pk for fiche in fiches]
    funding = {}
    labels = dict(FundingStatus.choices)
    for line in (
        FundingLine.objects.filter(action_id__in=ids)
        .exclude(status="refused")
        .select_related("funder")
        .order_by("action_id", "position", "pk")
    ):
        funding.setdefault(line.action_id, []).append(line)
    latest = {}
    for update in ProgressUpdate.objects.filter(action_id__in=ids).order_by("action_id", "year", "semester", "pk"):
        latest[update.action_id] = update
    rows = {}
    for fiche in fiches:
        lines = funding.get(fiche.pk, [])
        by_state = {status: Decimal("0") for status in ("planned", "requested", "granted", "paid")}
        for line in lines:
            by_state[line.status] += line.amount or Decimal("0")
        ht, ttc = _costs(fiche)
        update = latest.get(fiche.pk)
        territory, owner = fiche.territory, fiche.project_owner
        rows[str(fiche.pk)] = {
            "N° de la fiche": fiche.pk,
            "Identifiant ACV de la ville": territory.acv_identifier,
            "Code INSEE": territory.insee_code,
            "Ville": territory.name,
            "Maître d'ouvrage": owner.name if owner else "",
            "SIRET du maître d'ouvrage": owner.siret if owner else "",
            "Programme": fiche.convention.programme.name,
            "Code": fiche.code,
            "Intitulé": fiche.title,
            "Axe(s)": ", ".join(axis.number for axis in fiche.axes.all()),
            "Sous-axe": fiche.sub_axis.code if fiche.sub_axis else "",
            "Phase": phase_of(fiche),
            "État": str(fiche.get_status_display()),
            "Début": fiche.start_display if fiche.start_on else "",
            "Date de début": fiche.start_on,
            "Fin": fiche.end_display if fiche.end_on else "",
            "Date de fin": fiche.end_until or fiche.end_on,
            "Coût HT (€)": ht,
            "Coût TTC (€)": ttc,
            "Coût tel qu'écrit": str(fiche.cost_display),
            "Financements": " ; ".join(
                f"{line.funder.name} : {_euros(line.amount)} {labels[line.status]}" for line in lines
            ),
            "Prévu (€)": by_state["planned"],
            "Sollicité (€)": by_state["requested"],
            "Accordé (€)": by_state["granted"],
            "Versé (€)": by_state["paid"],
            "Dernier état d'avancement": _progress(update),
        }
    return rows


def _euros(amount):
    from acv.values import format_euros

    return format_euros(amount)


def _progress(update):
    if update is None:
        return ""
    text = update.achievements or update.next_steps or str(update.get_status_display())
    return f"S{update.semester} {update.year} : {text}"


COLUMNS = [
    ("N° de la fiche", TEXT),
    ("Identifiant ACV de la ville", TEXT),
    ("Code INSEE", TEXT),
    ("Ville", TEXT),
    ("Maître d'ouvrage", TEXT),
    ("SIRET du maître d'ouvrage", TEXT),
    ("Programme", TEXT),
    ("Code", TEXT),
    ("Intitulé", TEXT),
    ("Axe(s)", TEXT),
    ("Sous-axe", TEXT),
    ("Phase", TEXT),
    ("État", TEXT),
    ("Début", TEXT),
    ("Date de début", DATE),
    ("Fin", TEXT),
    ("Date de fin", DATE),
    ("Coût HT (€)", EURO),
    ("Coût TTC (€)", EURO),
    ("Coût tel qu'écrit", TEXT),
    ("Financements", TEXT),
    ("Prévu (€)", EURO),
    ("Sollicité (€)", EURO),
    ("Accordé (€)", EURO),
    ("Versé (€)", EURO),
    ("Dernier état d'avancement", TEXT),
]


def table_xlsx(rows):
    spec = SheetSpec(
        SHEET, [Column(header, header, (lambda row, header=header: row[header]), kind) for header, kind in COLUMNS]
    )
    book = new_workbook()
    write_sheet(book, spec, rows.values())
    return workbook_bytes(book)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def table_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _kind in COLUMNS])
    for row in rows.values():
        writer.writerow([_csv_value(row[header]) for header, _kind in COLUMNS])
    return "\ufeff".encode() + buffer.getvalue().encode()


def comparable(rows):
    """Rows as stored with a submission (JSON): every value as its CSV text."""
    return {key: {header: _csv_value(value) for header, value in row.items()} for key, row in rows.items()}


def table_diff(previous, current):
    """Fiches added, removed and changed (with each field's old and new value) between two stored tables."""
    previous = previous or {}
    added = [current[key]["Code"] for key in current if key not in previous]
    removed = [previous[key]["Code"] for key in previous if key not in current]
    changed = []
    for key, row in current.items():
        before = previous.get(key)
        if before is None:
            continue
        fields = [
            [header, before.get(header, ""), value] for header, value in row.items() if before.get(header, "") != value
        ]
        if fields:
            changed.append({"code": row["Code"], "fields": fields})
    return {"added": sorted(added), "removed": sorted(removed), "changed": changed}


def semester_of(day):
    return day.year, 1 if day.month <= 6 else 2


def semesters_between(first, last):
    """Every (year, semester) from `first` to `last` included."""
    year, semester = first
    result = []
    while (year, semester) <= last:
        result.append((year, semester))
        year, semester = (year, 2) if semester == 1 else (year + 1, 1)
    return result


def obligation_start(programme):
    """The first semester a table is due: the start of the period set by the latest signed avenant (the one asking
    for the table; its signature date when the documents give no period), else the convention's signature."""
    from django.db.models import F

    from conventions.models import Amendment, Convention

    amendment = (
        Amendment.objects.filter(convention__programme=programme, status="signed")
        .exclude(covers_from__isnull=True, signed_on__isnull=True)
        .order_by(F("covers_from").desc(nulls_last=True), F("signed_on").desc(nulls_last=True))
        .first()
    )
    if amendment is not None:
        return semester_of(amendment.covers_from or amendment.signed_on)
    convention = Convention.objects.filter(programme=programme, signed_on__isnull=False).order_by("signed_on").first()
    return semester_of(convention.signed_on) if convention else None


def semester_statuses(programme, submissions, today):
    """[(year, semester, status, submissions of it)], latest first: « fait » when a table was filed for it,
    « à faire » for the current one without, « en retard » for a past one without."""
    start = obligation_start(programme)
    current = semester_of(today)
    if start is None:
        start = current
    by_semester = {}
    for submission in submissions:
        by_semester.setdefault((submission.year, submission.semester), []).append(submission)
    result = []
    for year, semester in reversed(semesters_between(start, current)):
        filed = by_semester.get((year, semester), [])
        status = "done" if filed else ("due" if (year, semester) == current else "late")
        result.append({"year": year, "semester": semester, "status": status, "submissions": filed})
    return result
