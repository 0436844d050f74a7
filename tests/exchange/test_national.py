"""The national table: which fiches, what its files hold, the difference between submissions, who sees it."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actions.models import ActionDocument, ActionValidation
from exchange import national
from exchange.models import NationalSubmission
from exchange.services import national_submission_create
from tests import factories as f


@pytest.fixture
def table(bethune, bdt, region):
    bethune.insee_code, bethune.acv_identifier = "62119", "ACV-62119"
    bethune.save()
    convention = f.ConventionFactory()
    draft = f.AmendmentFactory(convention=convention, status="draft")

    def fiche(code, *, carried=True, document=None, **extra):
        action = f.ActionFactory(code=code, convention=convention, territory=bethune, project_owner=bethune, **extra)
        if carried:
            ActionDocument.objects.create(
                action=action, convention=convention, amendment=document, kind="introduced", reference="Annexe 2"
            )
        return action

    def validated(action, organisation, **extra):
        return ActionValidation.objects.create(
            action=action, organisation=organisation, decision="validated", decided_at=timezone.now(), **extra
        )

    fiches = {
        "validated": fiche("FA 1", project_type="travaux", cost_basis="HT"),
        "to_renew": fiche("FA 2"),
        "alone": fiche("FA 3", project_type="etude"),
        "not_carried": fiche("FA 4", carried=False),
        "draft_only": fiche("FA 5", carried=False),
        "reservations": fiche("FA 6"),
    }
    ActionDocument.objects.create(
        action=fiches["draft_only"], convention=convention, amendment=draft, kind="introduced", reference="Annexe"
    )
    for key in ("validated", "to_renew", "not_carried", "draft_only", "reservations"):
        f.FundingLineFactory(action=fiches[key], funder=bdt, amount=Decimal("22000"), status="granted")
    f.FundingLineFactory(action=fiches["validated"], funder=region, amount=Decimal("1000"), status="requested")
    validated(fiches["validated"], bdt)
    validated(fiches["validated"], region)
    validated(fiches["to_renew"], bdt, to_renew=True)
    validated(fiches["not_carried"], bdt)
    validated(fiches["draft_only"], bdt)
    ActionValidation.objects.create(
        action=fiches["reservations"],
        organisation=bdt,
        decision="reservations",
        comment="Montant",
        decided_at=timezone.now(),
    )
    return {"programme": convention.programme, "fiches": fiches}


def test_only_fiches_validated_by_their_partners_and_carried_by_a_signed_document(table):
    codes = list(national.national_fiches(table["programme"]).values_list("code", flat=True))
    # FA 3 has no partner to validate it: the signed convention carrying it is its validation.
    assert codes == ["FA 1", "FA 3"]


def test_the_files_hold_identifiers_phase_costs_apart_and_funding_by_funder_and_state(table, coordinator):
    submission = national_submission_create(programme=table["programme"], year=2026, semester=1, user=coordinator)
    rows = list(load_workbook(io.BytesIO(submission.xlsx.read()), read_only=True).active.iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 3
    assert first["Code INSEE"] == "62119" and first["Identifiant ACV de la ville"] == "ACV-62119"
    assert (first["Phase"], first["Coût HT (€)"], first["Coût TTC (€)"]) == ("Opération", 100000, None)
    assert (first["Accordé (€)"], first["Sollicité (€)"]) == (22000, 1000)
    assert "Banque des Territoires : 22\u202f000\u00a0€ accordé" in first["Financements"]
    assert dict(zip(header, rows[2], strict=True))["Phase"] == "Étude"
    csv = submission.csv.read()
    assert csv.startswith(b"\xef\xbb\xbf")
    lines = csv.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["N° de la fiche", "Identifiant ACV de la ville", "Code INSEE", "Ville"]
    assert ";100000.00;" in lines[1] and len(lines) == 3


def test_each_submission_keeps_its_difference_with_the_previous_one(table, coordinator, bdt):
    first = national_submission_create(programme=table["programme"], year=2026, semester=1, user=coordinator)
    assert first.diff == {"added": ["FA 1", "FA 3"], "removed": [], "changed": []}
    fiches = table["fiches"]
    old_title = fiches["validated"].title
    fiches["validated"].title = "Place rénovée"
    fiches["validated"].save()
    ActionValidation.objects.filter(action=fiches["to_renew"]).update(to_renew=False)
    fiches["alone"].documents.all().delete()
    second = national_submission_create(programme=table["programme"], year=2026, semester=2, user=coordinator)
    assert second.diff["added"] == ["FA 2"] and second.diff["removed"] == ["FA 3"]
    assert second.diff["changed"] == [{"code": "FA 1", "fields": [["Intitulé", old_title, "Place rénovée"]]}]


def test_semester_status_done_due_late(table, coordinator):
    amendment = f.AmendmentFactory(
        convention=table["fiches"]["validated"].convention, status="signed", covers_from=datetime.date(2025, 1, 1)
    )
    assert amendment.pk
    national_submission_create(programme=table["programme"], year=2025, semester=2, user=coordinator)
    submissions = NationalSubmission.objects.all()
    statuses = national.semester_statuses(table["programme"], submissions, datetime.date(2026, 4, 1))
    assert [(item["year"], item["semester"], item["status"]) for item in statuses] == [
        (2026, 1, "due"),
        (2025, 2, "done"),
        (2025, 1, "late"),
    ]


@pytest.mark.parametrize(
    ("persona", "status", "may_submit"),
    [
        ("coordinator", 200, True),
        ("committee_member", 200, False),
        ("referent_bethune", 403, False),
        ("partner_bdt", 403, False),
    ],
)
def test_the_page_by_role(client, table, request, persona, status, may_submit):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("exchange:national_table"))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "2 fiches" in page
        assert ("Déposer le tableau" in page) is may_submit


def test_the_coordinator_submits_as_a_job_and_the_comite_cannot(client, table, coordinator, committee_member):
    client.force_login(committee_member)
    assert client.post(reverse("exchange:national_submit")).status_code == 403
    client.force_login(coordinator)
    response = client.post(reverse("exchange:national_submit"))
    submission = NationalSubmission.objects.get()
    assert response.status_code == 302 and len(submission.rows) == 2
    client.force_login(committee_member)
    download = client.get(reverse("exchange:national_file", args=[submission.pk, "csv"]))
    assert b"".join(download.streaming_content) == submission.csv.open("rb").read()
