"""The permission matrix: every URL of the project × every role × read / write → the expected status.

Generated from the URL configuration: a URL that is added without its row here fails
`test_every_url_is_in_the_matrix`. Statuses: 302 = sent to the login page, 401 = API without
credentials, 403 = visible but not allowed, 404 = not visible at all (no enumeration by id),
200/201/302 on success, 400 = allowed, and the (empty) submitted data was refused by validation.

The objects are those of the reference programme: FA 42 is a Béthune fiche funded by the Banque des
Territoires (not by the Région); AM.7 is a Béthune fiche already delivered.
"""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from actions.models import Action, ActionValidation, ProgressUpdate
from conventions.models import (
    Amendment,
    Axis,
    CommitteeMeeting,
    Convention,
    Organisation,
    PriorityNeighbourhood,
    SubAxis,
)
from evaluation.models import (
    Criterion,
    EndOfActionReport,
    Indicator,
    IndicatorValue,
    ResultIndicatorLink,
    SemesterReport,
)
from exchange.models import WorkbookImport
from exchange.services import national_submission_create
from financing.models import FundingLine
from jobs.models import Job, JobStatus
from tests.conftest import personae_made_once

# Each test in a savepoint of the module's transaction, rolled back after it.
pytestmark = pytest.mark.django_db

PERSONAE = [
    "anonymous",
    "admin_user",
    "coordinator",
    "referent_bethune",
    "partner_bdt",
    "partner_region",
    "committee_member",
    "outsider",
]

# url name: (objects needed for its arguments, {method: "statuses in the order of PERSONAE"})
MATRIX = {
    # pages
    "login": (None, {"GET": "200 302 302 302 302 302 302 302"}),
    "logout": (None, {"POST": "302 302 302 302 302 302 302 302"}),
    "password_change": (None, {"GET": "302 200 200 200 200 200 200 200", "POST": "302 200 200 200 200 200 200 200"}),
    "password_change_done": (None, {"GET": "302 200 200 200 200 200 200 200"}),
    # The déclaration d'accessibilité is public: anyone may read it and find how to report a problem.
    "accessibility_statement": (None, {"GET": "200 200 200 200 200 200 200 200"}),
    # The health check answers anyone (load balancers probe without credentials) and names no row.
    "health": (None, {"GET": "200 200 200 200 200 200 200 200"}),
    # Staff accounts signed in go on to the admin's index; the others are told they may not enter.
    "admin_login": (None, {"GET": "200 302 302 200 200 200 200 200"}),
    # Second factor: nobody has a device yet, so the verification page sends to the set-up page.
    "accounts:second_factor_setup": (
        None,
        {"GET": "302 200 200 200 200 200 200 200", "POST": "302 400 400 400 400 400 400 400"},
    ),
    "accounts:second_factor_verify": (None, {"GET": "302 302 302 302 302 302 302 302"}),
    # The programme switcher: a programme where the persona has a role (here none is named: refused).
    "programme_switch": (None, {"POST": "302 403 403 403 403 403 403 403"}),
    "actions:dashboard": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "actions:action_list": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    # The suggestions of a long filter: whoever reads the list, among the choices its filter offers them.
    "actions:filter_choices": ("filter_name", {"GET": "302 200 200 200 200 200 200 403"}),
    "actions:action_create": (
        None,
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "actions:action_detail": ("fiche", {"GET": "302 200 200 200 200 404 200 403"}),
    "actions:action_update": (
        "fiche",
        {"GET": "302 200 200 200 403 404 403 403", "POST": "302 400 400 400 403 404 403 403"},
    ),
    "actions:progress_create": ("fiche", {"POST": "302 400 400 400 403 404 403 403"}),
    # An empty form is refused with a message on the fiche page.
    "actions:milestone_achieve": ("milestone", {"POST": "302 302 302 302 403 404 403 403"}),
    "actions:formset_row": ("row", {"GET": "302 200 200 200 403 403 403 403"}),
    "actions:formset_row_remove": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    # A fiche as signed or on a date: read with the fiche (what a partner gets of it is cut, see
    # tests/actions/test_snapshots.py).
    "actions:action_versions": ("fiche", {"GET": "302 200 200 200 200 404 200 403"}),
    # A partner's word on a fiche it pilots or funds: FA 42 is funded by the Banque des Territoires only; the
    # others are refused before the form is read (an empty form sends back to the fiche with a message).
    "actions:action_validation": ("fiche", {"POST": "302 403 403 403 302 404 403 403"}),
    # Correcting a recorded état d'avancement: the coordination only (an empty form is refused with messages).
    "actions:progress_correct": (
        "progress",
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    # The documents: read by the roles that read the programme, and by a partner that signed them (the Région
    # signed neither the convention nor avenant n°2).
    "actions:document_list": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "actions:convention_detail": ("convention", {"GET": "302 200 200 200 200 404 200 403"}),
    "actions:amendment_detail": ("amendment", {"GET": "302 200 200 200 200 404 200 403"}),
    "evaluation:amendment_annex_pdf": ("amendment", {"GET": "302 200 200 200 200 404 200 403"}),
    # The next avenant: prepared and signed by the coordination only.
    "actions:amendment_create": (
        None,
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "actions:amendment_update": (
        "draft",
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "actions:amendment_sign": (
        "draft",
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "actions:balance_notes": ("amendment", {"POST": "302 302 302 403 403 403 403 403"}),
    # The comité decisions that name fiches: prepared with the meetings.
    "actions:meeting_decisions": (
        "meeting",
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "conventions:meeting_list": (None, {"GET": "302 200 200 200 403 403 200 403"}),
    "conventions:meeting_create": (
        None,
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "conventions:meeting_detail": ("meeting", {"GET": "302 200 200 200 403 403 200 403"}),
    "conventions:meeting_update": (
        "meeting",
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 400 400 403 403 403 403 403"},
    ),
    "evaluation:report_index": (None, {"GET": "302 200 200 403 403 403 200 403"}),
    # The annual report, for a programme that reports every year: ACV does not (sent back with a message).
    "evaluation:annual_report_start": (None, {"POST": "302 302 302 403 403 403 302 403"}),
    # The programmes side by side: for who coordinates two of them (the administrator; the coordinator of ACV
    # alone does not).
    "evaluation:cross_programme": (None, {"GET": "302 200 403 403 403 403 403 403"}),
    # The semester report is asked for (POST) and built in the background: an empty form is refused (400).
    "evaluation:semester_report_start": (None, {"POST": "302 400 400 403 403 403 400 403"}),
    "evaluation:stored_report_pdf": ("report", {"GET": "302 200 200 403 403 403 200 403"}),
    # An empty form is refused with a message on the meeting page.
    "evaluation:report_present": ("meeting_report", {"POST": "302 302 302 403 403 403 403 403"}),
    "evaluation:action_pdf": ("fiche", {"GET": "302 200 200 200 200 404 200 403"}),
    "evaluation:end_of_action_report": (
        "delivered",
        {"GET": "302 200 200 200 404 404 403 403", "POST": "302 400 400 400 404 404 403 403"},
    ),
    "evaluation:end_of_action_pdf": ("delivered", {"GET": "302 200 200 200 404 404 200 403"}),
    # The evaluation grid and its indicators: read by every role; filled in by the coordination, cell by cell.
    "evaluation:grid": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "evaluation:grid_export": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "evaluation:indicator_detail": ("indicator", {"GET": "302 200 200 200 200 200 200 403"}),
    # Which fiche indicators feed the indicator: drawn (an empty form is refused on the page) and removed by the
    # coordination.
    "evaluation:indicator_link_create": ("indicator", {"POST": "302 400 400 403 403 403 403 403"}),
    "evaluation:indicator_link_delete": ("indicator_link", {"POST": "302 302 302 403 403 403 403 403"}),
    # Removing a value: a confirmation page, then the POST that removes it (and goes back), for the coordination.
    "evaluation:indicator_value_delete": (
        "indicator_value",
        {"GET": "302 200 200 403 403 403 403 403", "POST": "302 302 302 403 403 403 403 403"},
    ),
    # A cell is named in the query string: without one, the coordination meets a 404; the others a 403 first.
    "evaluation:grid_cell": (
        None,
        {"GET": "302 404 404 403 403 403 403 403", "POST": "302 404 404 403 403 403 403 403"},
    ),
    # Background jobs: each person follows its own and takes its file; nobody else reaches them (404).
    "jobs:job_list": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "jobs:job_detail": ("job", {"GET": "302 404 200 404 404 404 404 403"}),
    "jobs:job_file": ("job", {"GET": "302 404 200 404 404 404 404 403"}),
    # Workbooks: every role takes out what it reads; the comité does not import (an empty form is refused).
    "exchange:exchange": (None, {"GET": "302 200 200 200 200 200 200 403", "POST": "302 400 400 400 400 400 403 403"}),
    "exchange:fiche_list_export": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "exchange:kind_export": ("kind", {"GET": "302 200 200 200 200 200 200 403"}),
    "exchange:programme_export": (None, {"POST": "302 302 302 302 302 302 302 403"}),
    # An import is its author's only; this one changes nothing, so there is nothing to confirm (403).
    "exchange:import_detail": ("import", {"GET": "302 404 200 404 404 404 404 403"}),
    "exchange:import_confirm": ("import", {"POST": "302 404 403 404 404 404 404 403"}),
    # The national table: the coordination and the comité read it; the coordination files it (a job).
    "exchange:national_table": (None, {"GET": "302 200 200 403 403 403 200 403"}),
    "exchange:national_preview": ("csv", {"GET": "302 200 200 403 403 403 200 403"}),
    "exchange:national_submit": (None, {"POST": "302 302 302 403 403 403 403 403"}),
    "exchange:national_file": ("submission", {"GET": "302 200 200 403 403 403 200 403"}),
    "financing:partner_portal": (None, {"GET": "302 403 403 403 200 200 403 403"}),
    "financing:funding_export": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "financing:envelope_list": (None, {"GET": "302 200 200 200 200 200 200 403"}),
    "financing:funding_line_decision": (
        "bdt_line",
        {"GET": "302 200 200 200 200 404 403 403", "POST": "302 400 400 400 400 404 403 403"},
    ),
    # Recording a versement: from the line's page (GET goes back to it); an empty form is refused.
    "financing:payment_create": (
        "bdt_line",
        {"GET": "302 302 302 302 302 404 403 403", "POST": "302 400 400 400 400 404 403 403"},
    ),
    # A versement's document: to those who may read the payment (its funder, the roles that read every line).
    "financing:payment_document": ("payment", {"GET": "302 200 200 200 200 404 200 403"}),
    # Cancelling a versement: without a reason nothing is cancelled and the line's page says why.
    "financing:payment_cancel": ("payment", {"POST": "302 302 302 302 302 404 403 403"}),
    # API (read for every endpoint; writes per endpoint and field are in tests/api/test_access.py)
    # The API's root lists the endpoints and links to the docs, open like the schema and the docs.
    "api:root": (None, {"GET": "200 200 200 200 200 200 200 200"}),
    "api:token": (None, {"POST": "401 201 201 201 201 201 201 201", "DELETE": "401 204 204 204 204 204 204 204"}),
    "api:aggregates": (None, {"GET": "401 200 200 200 200 200 200 403"}),
    "api:action-list": (None, {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"}),
    "api:action-detail": (
        "fiche",
        {
            "GET": "401 200 200 200 200 404 200 403",
            "PATCH": "401 200 200 200 403 404 403 403",
            "PUT": "401 400 400 400 403 404 403 403",
        },
    ),
    "api:action-progress-updates": ("fiche", {"POST": "401 400 400 400 403 404 403 403"}),
    # Validations: every one for the roles that read the programme, its own for a partner; recorded by whoever
    # speaks for an organisation (the fiche it names is then checked: tests/actions/test_validations.py).
    "api:action-validation-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 403 400 400 400 400 403 403"},
    ),
    "api:action-validation-detail": ("validation", {"GET": "401 200 200 200 200 404 200 403"}),
    "api:funding-line-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 400 403 403 403 403"},
    ),
    "api:funding-line-detail": (
        "bdt_line",
        {
            "GET": "401 200 200 200 200 404 200 403",
            "PATCH": "401 200 200 200 200 404 403 403",
            "PUT": "401 400 400 400 400 404 403 403",
        },
    ),
    "api:funding-line-payments": (
        "bdt_line",
        {"GET": "401 200 200 200 200 404 200 403", "POST": "401 400 400 400 400 404 403 403"},
    ),
    "api:funding-line-payment-cancel": ("line_payment", {"POST": "401 400 400 400 400 404 403 403"}),
    "api:organisation-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"},
    ),
    "api:organisation-detail": (
        "organisation",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:convention-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"},
    ),
    "api:convention-detail": (
        "convention",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:amendment-list": (None, {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"}),
    "api:amendment-detail": (
        "amendment",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:axis-list": (None, {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"}),
    "api:axis-detail": (
        "axis",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:sub-axis-list": (None, {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"}),
    "api:sub-axis-detail": (
        "sub_axis",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:priority-neighbourhood-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"},
    ),
    "api:priority-neighbourhood-detail": (
        "neighbourhood",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:committee-meeting-list": (None, {"GET": "401 200 200 200 200 200 200 403"}),
    # Meetings are for the roles that read the whole programme, through the API as on the pages.
    "api:committee-meeting-detail": ("meeting", {"GET": "401 200 200 200 404 404 200 403"}),
    "api:criterion-list": (None, {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"}),
    "api:criterion-detail": (
        "criterion",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:indicator-list": (None, {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"}),
    "api:indicator-detail": (
        "indicator",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
        },
    ),
    "api:indicator-value-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"},
    ),
    "api:indicator-value-detail": (
        "indicator_value",
        {
            "GET": "401 200 200 200 200 200 200 403",
            "PATCH": "401 200 200 403 403 403 403 403",
            "PUT": "401 400 400 403 403 403 403 403",
            "DELETE": "401 204 204 403 403 403 403 403",
        },
    ),
    "api:result-indicator-link-list": (
        None,
        {"GET": "401 200 200 200 200 200 200 403", "POST": "401 400 400 403 403 403 403 403"},
    ),
    # A link is read with its fiche (FA 42: not the Région's).
    "api:result-indicator-link-detail": (
        "result_indicator_link",
        {"GET": "401 200 200 200 200 404 200 403", "DELETE": "401 204 204 403 403 404 403 403"},
    ),
    "api:evaluation-grid": (None, {"GET": "401 200 200 200 200 200 200 403"}),
    "api:semester-report": (None, {"POST": "401 400 400 403 403 403 400 403"}),
    "api:job-list": (None, {"GET": "401 200 200 200 200 200 200 403"}),
    "api:job-detail": ("job", {"GET": "401 404 200 404 404 404 404 403"}),
    "api:job-file": ("job", {"GET": "401 404 200 404 404 404 404 403"}),
    "api:schema": (None, {"GET": "200 200 200 200 200 200 200 200"}),
    "api:docs": (None, {"GET": "200 200 200 200 200 200 200 200"}),
}

QUERY = {
    "api:action-list": "?code=FA+42",
}


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin checks is_staff and model permissions itself (tests/test_admin.py)
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.name.endswith("-root"):
            if pattern.name.endswith(".format") or "format" in str(pattern.pattern):
                continue  # DRF's suffix variants of the same views
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_in_the_matrix():
    assert set(_url_names(get_resolver().url_patterns)) ^ set(MATRIX) == set()


def _payment(line):
    from financing.models import Payment

    payment = Payment(funding_line=line, paid_on="2026-03-02", amount=1000)
    payment.document.save("avis.pdf", ContentFile(b"%PDF-1.4\n%avis de versement\n"), save=True)
    return payment


# The personae and the objects every URL is tried on, made once for the module in its transaction
# (tests/conftest.py, module_transaction): each call is rolled back, and each test's savepoint after it.
admin_user, coordinator, referent_bethune, partner_bdt, partner_region, committee_member, outsider = personae_made_once(
    *PERSONAE[1:]
)


@pytest.fixture(scope="module")
def personae(request):
    """{persona: user}, every one made before the module's first test."""
    return {persona: request.getfixturevalue(persona) for persona in PERSONAE[1:]}


@pytest.fixture(scope="module")
def objects(module_transaction, coordinator):
    fiche = Action.objects.get(code="FA 42")
    meeting = CommitteeMeeting.objects.create(convention=fiche.convention, held_on="2026-06-15")
    report = SemesterReport(convention=fiche.convention, meeting=meeting, year=2026, semester=1)
    report.pdf.save("rapport.pdf", ContentFile(b"%PDF-1.4\n%rapport tel que presente\n"), save=True)
    indicator = Indicator.objects.first()
    delivered = Action.objects.get(code="AM.7")
    bdt_line = FundingLine.objects.get(action=fiche, funder__key="bdt")
    payment = _payment(bdt_line)
    EndOfActionReport.objects.create(
        action=delivered,
        implementation="Travaux en 15 mois.",
        results="Beffroi rénové.",
        sustainability="Entretien par la ville.",
    )
    job = Job.objects.create(kind="essai", title="Export", requested_by=coordinator, status=JobStatus.DONE)
    job.result_file.save("export.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    job.result_name = "export.xlsx"
    job.save()
    link = ResultIndicatorLink.objects.create(result_indicator=fiche.result_indicators.first(), indicator=indicator)
    draft = Amendment.objects.create(
        key="avenant-3", convention=fiche.convention, number=3, title="Avenant n°3", status="draft"
    )
    validation = ActionValidation.objects.create(
        action=fiche, organisation=Organisation.objects.get(key="bdt"), decision="validated", decided_at=timezone.now()
    )
    progress = ProgressUpdate.objects.create(action=fiche, year=2025, semester=2, status="in_progress")
    workbook_import = WorkbookImport.objects.create(
        kind="fiches", requested_by=coordinator, filename="fiches.xlsx", status="analysed", preview={"counts": {}}
    )
    submission = national_submission_create(
        programme=fiche.convention.programme, year=2026, semester=1, user=coordinator
    )
    return {
        "import": {"pk": workbook_import.pk},
        "csv": {"fmt": "csv"},
        "submission": {"pk": submission.pk, "fmt": "xlsx"},
        "kind": {"kind": "financements"},
        "progress": {"pk": fiche.pk, "update_pk": progress.pk},
        "draft": {"pk": draft.pk},
        "validation": {"pk": validation.pk},
        "job": {"pk": job.pk},
        "fiche": {"pk": fiche.pk},
        "indicator_link": {"pk": indicator.pk, "link_pk": link.pk},
        "result_indicator_link": {"pk": link.pk},
        "milestone": {"pk": fiche.pk, "milestone_pk": fiche.milestones.first().pk},
        "row": {"kind": "funding"},
        "filter_name": {"name": "territory"},
        "meeting": {"pk": meeting.pk},
        "meeting_report": {"meeting_pk": meeting.pk},
        "report": {"pk": report.pk},
        "delivered": {"pk": delivered.pk},
        "bdt_line": {"pk": bdt_line.pk},
        "payment": {"pk": payment.pk},
        "line_payment": {"pk": bdt_line.pk, "payment_pk": payment.pk},
        "organisation": {"pk": Organisation.objects.get(key="bethune").pk},
        "convention": {"pk": Convention.objects.get(key="acv-2018").pk},
        "amendment": {"pk": Amendment.objects.get(key="avenant-2").pk},
        "axis": {"pk": Axis.objects.get(number="4").pk},
        "sub_axis": {"pk": SubAxis.objects.get(code="4.4").pk},
        "neighbourhood": {"pk": PriorityNeighbourhood.objects.get(key="qpv-bethune-mont-liebaut").pk},
        "criterion": {"pk": Criterion.objects.first().pk},
        "indicator": {"pk": indicator.pk},
        "indicator_value": {
            "pk": IndicatorValue.objects.create(
                indicator=indicator, territory=fiche.territory, period="2025", value=12
            ).pk
        },
    }


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Pages and endpoints anyone may reach, signed in or not: what they answer to other methods is checked below
# only for the absence of a server error.
OPEN = {
    "login",
    "health",
    "accessibility_statement",
    "logout",
    "password_change",
    "password_change_done",
    "admin_login",
    "accounts:second_factor_setup",
    "accounts:second_factor_verify",
    "api:token",
    "api:root",
    "api:schema",
    "api:docs",
}


def _expected(name, method):
    """The statuses of one method of one URL, in the order of PERSONAE, or None when the matrix gives none."""
    statuses = MATRIX[name][1].get(method)
    return [int(status) for status in statuses.split()] if statuses else None


def _signed_in_as(client, user, signed):
    """The client signed in as `user` (None: anonymous) for the next call. Each call is rolled back, the session's
    row with it, so the session of the previous call is as the sign-in left it — unless the answer gave the client
    another cookie (a sign-out, a new session): only then sign in again. `signed` is what _signed_in_as returned
    for the previous call (None at first); signing in for every call made a fifth of the matrix's time."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    current = (user, cookie.value if cookie else None)
    if signed == current:
        return signed
    client.logout()
    if user is not None:
        client.force_login(user)
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return (user, cookie.value if cookie else None)


def _call(client, method, url):
    # Each call meets the objects as the fixture made them: what one persona removes or changes is rolled back
    # before the next one tries (a DELETE that succeeded would otherwise leave the others a 404).
    with transaction.atomic():
        if method in ("PUT", "PATCH", "POST") and url.startswith("/api/"):
            response = getattr(client, method.lower())(url, data="{}", content_type="application/json")
        else:
            response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


# Every method the matrix does not list must be refused — by the login (302 / 401), by the missing role
# (403 for the outsider), by the access rules (403 / 404) or as not allowed (405) — and never served (2xx),
# never processed (400) nor crash (5xx).
REFUSED = {302, 401, 403, 404, 405, 429}


@pytest.mark.parametrize("name", list(MATRIX))
def test_every_method_of_every_url_for_every_persona(client, personae, objects, name):
    key = MATRIX[name][0]
    url = reverse(name, kwargs=objects[key] if key else None) + QUERY.get(name, "")
    failures, signed = [], None
    for index, persona in enumerate(PERSONAE):
        caches["default"].clear()  # the token endpoint's throttle counts per address: each persona starts afresh
        for method in METHODS:
            signed = _signed_in_as(client, personae.get(persona), signed)
            status = _call(client, method, url).status_code
            expected = _expected(name, method)
            if expected is not None:
                ok = status == expected[index]
                wanted = expected[index]
            elif name in OPEN:
                ok, wanted = status < 500, "< 500"
            elif persona == "anonymous":
                wanted = 401 if name.startswith("api:") else 302
                ok = status == wanted
            elif persona == "outsider":
                ok, wanted = status == 403, 403
            else:
                ok, wanted = status in REFUSED, "refused"
            if not ok:
                failures.append(f"{method} {url} as {persona}: {status}, expected {wanted}")
    assert failures == []


# -- The other programme ------------------------------------------------------------------------------------------
#
# The same URLs on the same ACV objects, tried by the Contrat de Ville's coordinator and partner, who have a role in
# the Contrat de Ville and none in ACV: every method of every URL that names an ACV row is refused (they cannot
# even tell it exists), whatever their role in their own programme. Shared rows (organisations, quartiers
# prioritaires), rows of no programme (a formset row, the persona's own jobs) and what names no row (a kind of
# workbook, a file format: each programme's own) are left to the matrix above.
SHARED = {"organisation", "neighbourhood", "row", "job", "kind", "csv", "filter_name"}


@pytest.fixture
def other_programme_personae(reference_data):
    from conventions.models import Programme
    from tests.factories import UserFactory, UserProfileFactory

    cdv = Programme.objects.get(code="cdv")
    personae = {}
    for username, role, key in (("coordinateur.cdv", "coordinator", "cabbalr"), ("partenaire.cdv", "partner", "bdt")):
        user = UserFactory(username=username, is_staff=role == "coordinator")
        UserProfileFactory(user=user, programme=cdv, role=role, organisation=Organisation.objects.get(key=key))
        personae[username] = user
    return personae


@pytest.mark.parametrize("name", [name for name, (key, _) in MATRIX.items() if key and key not in SHARED])
def test_acv_rows_are_refused_to_the_other_programme(client, objects, other_programme_personae, name):
    key = MATRIX[name][0]
    url = reverse(name, kwargs=objects[key]) + QUERY.get(name, "")
    failures, signed = [], None
    for username, user in other_programme_personae.items():
        for method in METHODS:
            signed = _signed_in_as(client, user, signed)
            status = _call(client, method, url).status_code
            if status not in REFUSED:
                failures.append(f"{method} {url} as {username}: {status}")
    assert failures == []
