"""The semester report, the fiche PDF (Annexe 6) and the end-of-action report: figures in the right sections,
the semester's own progress, reports kept as presented, access per persona, bounded queries, valid PDFs."""

import datetime
import functools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from conventions.models import Axis, Convention
from evaluation.models import EndOfActionReport, SemesterReport
from evaluation.reports import action_pdf, semester_report_context, semester_report_pdf
from financing.models import FundingLine
from tests.evaluation.pdf import first_page_png, page_count, pdf_text, section
from tests.factories import (
    ActionFactory,
    AxisFactory,
    CommitteeMeetingFactory,
    ConventionFactory,
    FundingLineFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProgressUpdateFactory,
    QualityNoteFactory,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEMESTER_URL = "/rapports/semestriel/"
SEMESTER = {"year": "2026", "semester": "2"}
API_URL = "/api/v1/reports/semester/"


def report_of(client, data=SEMESTER):
    """Ask for the semester report as a person does (the form posts, the page of its job follows), and take the
    file the finished job offers."""
    response = client.post(SEMESTER_URL, data)
    assert response.status_code == 302, response.content.decode()[:500]
    job_page = client.get(response.url)
    assert "Télécharger rapport-semestriel-" in job_page.content.decode()
    download = client.get(response.url + "fichier/")
    assert download["Content-Type"] == "application/pdf"
    return b"".join(download.streaming_content)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def fa54():
    return Action.objects.get(code="FA 54")


def _acv_fiches():
    """The reference programme's fiches: the Contrat de Ville's projects, in the same database, are not in its
    semester report."""
    return Action.objects.filter(convention__programme__code="acv")


def axis_section(text, number, next_number):
    axis = Axis.objects.get(programme__code="acv", number=number)
    following = Axis.objects.get(programme__code="acv", number=next_number)
    return section(text, f"{axis.short_label} –", f"{following.short_label} –")


# --- Figures in the right sections ---------------------------------------------------------------------


@functools.cache
def reference_report():
    """The S2 2026 report of the reference programme as loaded. Several tests only read it: it is drawn once per
    test process (a render takes seconds). A test that changes data first must draw its own report."""
    return semester_report_pdf(_acv_fiches(), year=2026, semester=2)


def test_fa54_cost_and_cabbalr_funding_are_in_axis_4_section(reference_data):
    text = pdf_text(reference_report())

    axis_4 = axis_section(text, "4", "5")
    assert "FA 54 – Place Nature" in axis_4
    fiche = section(axis_4, "FA 54 – Place Nature", "FA 55")
    assert "1 712 934 € TTC" in fiche
    assert "Communauté d'Agglomération de Béthune-Bruay" in fiche
    assert "225 000 €" in fiche
    assert "FA 54" not in axis_section(text, "3", "4")


def test_summary_totals_equal_the_dashboard_rollups(reference_data, client, coordinator):
    client.force_login(coordinator)
    dashboard = client.get("/").context
    text = pdf_text(reference_report())
    summary = section(text, "1. Synthèse du programme", "2. Ce qui a changé ce semestre")

    from actions.templatetags.acv_format import euros_round, percent

    def plain(value):
        return pdf_text_like(value)

    assert f"Fiches suivies {dashboard['total']}" in summary
    expected = {column["basis"]: column["total"] for column in dashboard["funding_bases"]}
    for row in dashboard["comparable"]["by_basis"]:
        label = row["basis"] or "Sans base"
        cells = [expected[row["basis"]], row["cost"], row["acquired"]]
        shown = " ".join([label, *(euros_round(cell) for cell in cells)])
        assert plain(f"{shown} {percent(row['acquired_share'])} {percent(row['planned_share'])}") in summary
    for row in dashboard["cost"]["by_basis"]:
        assert plain(euros_round(row["low"])) in summary
    for row in dashboard["funding_rows"]:
        amounts = " ".join(euros_round(amount) for amount in row["amounts"])
        assert plain(f"{row['label'].capitalize()} {amounts}") in summary
    for row in dashboard["statuses"]:
        assert f"{row['label'].capitalize()} {row['count']}" in summary


def pdf_text_like(value):
    return " ".join(str(value).replace("\u00a0", " ").replace("\u202f", " ").split())


def test_progress_update_shows_in_its_semester_only(reference_data):
    ProgressUpdateFactory(
        action=fa54(),
        year=2026,
        semester=2,
        percent_done=40,
        achievements="Débétonisation du parvis achevée",
        difficulties="Retard de livraison des arbres",
        next_steps="Plantations de l'automne",
    )
    # FA 54, the fiche after it and one fiche of axe 5 are enough to frame FA 54's section, and draw in a second
    # what the whole programme's report draws in ten.
    fiches = _acv_fiches().filter(
        pk__in=[fa54().pk, Action.objects.get(code="FA 55").pk, _acv_fiches().filter(axes__number="5").first().pk]
    )
    s2 = pdf_text(semester_report_pdf(fiches, year=2026, semester=2))
    s1 = pdf_text(semester_report_pdf(fiches, year=2026, semester=1))

    fiche = section(axis_section(s2, "4", "5"), "FA 54 – Place Nature", "FA 55")
    for words in ("Débétonisation du parvis achevée", "Retard de livraison des arbres", "Plantations de l'automne"):
        assert words in fiche
    assert "40 % réalisé" in fiche
    assert "Débétonisation du parvis achevée" not in s1
    # FA 54 has its S2 update: it is not listed among the fiches without one, but is for S1.
    assert "FA 54" not in section(s2, "5. Fiches sans état d'avancement ce semestre", "6. Notes")
    assert "FA 54" in section(s1, "5. Fiches sans état d'avancement ce semestre", "6. Notes")


def test_late_fiches_notes_and_next_milestone(db):
    today = datetime.date(2026, 11, 20)
    late = ActionFactory(code="FA 900", title="Halle couverte", end_on=datetime.date(2025, 1, 1), end_precision="year")
    late.end_until = datetime.date(2025, 12, 31)
    late.save()
    MilestoneFactory(
        action=late, label="Dépôt du permis", planned_on=datetime.date(2026, 3, 1), planned_precision="month"
    )
    MilestoneFactory(action=late, label="Pose de la charpente", planned_on=datetime.date(2027, 3, 1))
    QualityNoteFactory(action=late, field="budget", description="Deux montants différents selon la source.")
    text = pdf_text(semester_report_pdf(_acv_fiches(), year=2026, semester=2, today=today))

    assert "FA 900" in section(text, "4. Fiches en retard", "5. Fiches sans")
    assert "Prochain jalon : Dépôt du permis (mars 2026)" in text
    assert "Deux montants différents selon la source." in section(text, "6. Notes de qualité")


def test_what_changed_comes_from_the_history(db):
    """A fiche recorded before the semester, then started and re-budgeted during it, and a funding line granted."""
    action = ActionFactory(code="FA 901", status="planned", cost_amount=Decimal("100000"))
    line = FundingLineFactory(action=action, amount=Decimal("20000"), status="requested")
    before_semester = timezone.make_aware(datetime.datetime(2026, 3, 1, 12))
    Action.history.filter(id=action.pk).update(history_date=before_semester)
    FundingLine.history.filter(id=line.pk).update(history_date=before_semester)

    action.status = "in_progress"
    action.cost_amount = Decimal("150000")
    action.save()
    line.status = "granted"
    line.save()

    context = semester_report_context(_acv_fiches(), year=2026, semester=2)
    changes = context["changes"]
    assert changes.started == [action]
    assert [move.after for move in changes.cost_moves] == ["150\u202f000\u00a0€\u00a0TTC"]
    assert [(move.before, move.after) for move in changes.funding_moves] == [
        ("20\u202f000\u00a0€ (sollicité)", "20\u202f000\u00a0€ (accordé)")
    ]
    text = pdf_text(semester_report_pdf(_acv_fiches(), year=2026, semester=2))
    changed = section(text, "2. Ce qui a changé ce semestre", "3. Avancement par axe")
    assert "Fiches lancées 1" in changed
    assert "FA 901" in changed and "À lancer En cours" in changed
    assert "100 000 € TTC 150 000 € TTC" in changed
    # Nothing was recorded in S2 2025: that report, built from the history as it stood, shows no move.
    earlier = semester_report_context(_acv_fiches(), year=2025, semester=2)["changes"]
    assert not (earlier.new or earlier.status_moves or earlier.cost_moves or earlier.funding_moves)


def test_query_count_does_not_grow_with_fiches(db):
    axis = AxisFactory(number="1")

    def fiches(n):
        for _ in range(n):
            action = ActionFactory(axes=[axis])
            FundingLineFactory(action=action)
            MilestoneFactory(action=action)
            ProgressUpdateFactory(action=action)
            QualityNoteFactory(action=action)

    fiches(2)
    with CaptureQueriesContext(connection) as few:
        semester_report_context(_acv_fiches(), year=2026, semester=2)
    fiches(20)
    with CaptureQueriesContext(connection) as many:
        semester_report_context(_acv_fiches(), year=2026, semester=2)
    assert len(many) == len(few)


def test_every_pdf_is_valid_and_renders(reference_data, tmp_path):
    action = Action.objects.for_detail().get(code="FA 54")
    lines = FundingLine.objects.filter(action=action).select_related("funder", "scheme", "operation")
    for content in (
        reference_report(),
        action_pdf(action, lines),
    ):
        assert content.startswith(b"%PDF-")
        assert first_page_png(content, tmp_path).startswith(PNG_SIGNATURE)


# --- The fiche in the layout of Annexe 6 ---------------------------------------------------------------


def test_fiche_pdf_follows_annexe_6(reference_data, client, coordinator):
    client.force_login(coordinator)
    response = client.get(f"/fiches/{fa54().pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="fiche-FA-54.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for words in (
        "Nom de l'action FA 54 – Place Nature",
        "Axe de rattachement",
        "Description générale",
        "Objectifs",
        "Intervenants",
        "Budget global 1 712 934 € TTC",
        "PLAN DE FINANCEMENT",
        "Indicateurs d'avancement Rendu de l'étude de maitrise d'œuvre",
        "Indicateurs de résultat Livraison des différents aménagements",
        "CONTENU DE L'ACTION",
        "SIGNATURES",
    ):
        assert words in text, words
    assert "225 000 €" in section(text, "PLAN DE FINANCEMENT", "CONTENU DE L'ACTION")
    assert "Commune, maître d'ouvrage Ville de Bruay-La-Buissière" in section(text, "SIGNATURES")
    assert "Cofinanceur Communauté d'Agglomération" in section(text, "SIGNATURES")


def test_partner_fiche_pdf_shows_only_the_lines_it_may_see(db, client, partner_bdt, bdt):
    other = OrganisationFactory(key="autre-financeur", name="Fonds secret", kind="etat")
    action = ActionFactory(code="FA 902")
    FundingLineFactory(action=action, funder=bdt, amount=Decimal("50000"), status="requested")
    FundingLineFactory(action=action, funder=other, amount=Decimal("77777"), status="requested")
    client.force_login(partner_bdt)

    text = pdf_text(client.get(f"/fiches/{action.pk}/pdf/").content)
    assert "50 000 €" in text
    assert "Fonds secret" not in text and "77 777" not in text


# --- Reports kept with a meeting -----------------------------------------------------------------------


def test_report_kept_with_a_meeting_does_not_change_when_a_fiche_does(reference_data, client, coordinator, media):
    meeting = CommitteeMeetingFactory(
        convention=Convention.objects.get(key="acv-2018"), held_on=datetime.date(2026, 12, 10)
    )
    client.force_login(coordinator)
    response = client.post(f"/comites/{meeting.pk}/rapport/", {"year": "2026", "semester": "2"}, follow=True)
    assert "Rapport semestriel S2 2026 produit et conservé avec la réunion." in response.content.decode()
    report = SemesterReport.objects.get(meeting=meeting)
    stored = report.pdf.read()
    assert report.generated_by == coordinator
    assert "1 712 934 € TTC" in pdf_text(stored)

    action = fa54()
    action.cost_amount = Decimal("2000000")
    action.cost_text = ""
    action.save()

    kept = client.get(f"/rapports/{report.pk}/pdf/")
    assert b"".join(kept.streaming_content) == stored
    # A report drawn now reads the new cost (of that fiche alone: a whole report takes seconds to draw).
    assert "2 000 000" in pdf_text(semester_report_pdf(Action.objects.filter(pk=action.pk), year=2026, semester=2))
    page = client.get(f"/comites/{meeting.pk}/").content.decode()
    assert f"/rapports/{report.pk}/pdf/" in page and "Rapport semestriel S2 2026" in page


def test_presenting_with_a_bad_semester_stores_nothing(db, client, coordinator, media):
    meeting = CommitteeMeetingFactory()
    client.force_login(coordinator)
    response = client.post(f"/comites/{meeting.pk}/rapport/", {"year": "2026", "semester": "3"}, follow=True)
    assert "Le semestre vaut 1 ou 2." in response.content.decode()
    assert not SemesterReport.objects.exists()


# --- The reports page and the API ----------------------------------------------------------------------


def test_reports_page_offers_the_current_semester_and_the_stored_reports(db, client, committee_member):
    client.force_login(committee_member)
    page = client.get("/rapports/").content.decode()
    assert "Produire le rapport semestriel (PDF)" in page
    assert 'href="/rapports/"' in page  # in the navigation


def test_reports_page_refuses_a_bad_semester_in_french(db, client, coordinator):
    client.force_login(coordinator)
    response = client.post(SEMESTER_URL, {"year": "deux", "semester": "5"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "L&#x27;année s&#x27;écrit en chiffres" in body and "Le semestre vaut 1 ou 2." in body


def test_api_starts_the_report_and_its_job_gives_the_pdf(db, client, committee_member):
    client.force_login(committee_member)
    response = client.post(API_URL, {"year": 2026, "semester": 2}, content_type="application/json")
    assert response.status_code == 202
    job = client.get(response["Location"]).json()
    assert job["finished"] is True and job["status"] == "done"
    assert job["result_name"] == "rapport-semestriel-2026-S2.pdf"
    download = client.get(job["file_url"])
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "data",
    [{"year": 2026, "semester": 3}, {"year": "abc", "semester": 1}, {"semester": 1}, {"year": 1850, "semester": 1}],
)
def test_api_refuses_a_bad_semester_in_json(db, client, coordinator, data):
    client.force_login(coordinator)
    response = client.post(API_URL, data, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not client.get("/api/v1/jobs/").json()["results"]


def test_api_semester_report_by_token(db, client, coordinator):
    from accounts.services import api_token_create

    key = api_token_create(user=coordinator)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    response = client.post(API_URL, {"year": 2026, "semester": 2}, content_type="application/json", **headers)
    assert response.status_code == 202
    job = client.get(response["Location"], **headers).json()
    assert job["status"] == "done"
    # A machine takes the file with its token, as it asked for the report (no session, no sign-in page).
    download = client.get(job["file_url"], **headers)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")


def test_the_report_of_one_convention_holds_only_its_fiches(db, client, coordinator):
    kept = ActionFactory(code="FA 801")
    ActionFactory(code="FA 802", convention=ConventionFactory(key="acv-autre-ville", title="Convention d'Auchel"))
    client.force_login(coordinator)
    text = pdf_text(report_of(client, {**SEMESTER, "convention": kept.convention_id}))
    assert "FA 801" in text and "FA 802" not in text


def test_a_member_who_lost_the_role_before_the_work_ran_gets_no_report(settings, db, client, committee_member):
    from jobs.models import Job

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    client.force_login(committee_member)
    response = client.post(SEMESTER_URL, SEMESTER)
    job = Job.objects.get()
    assert response.url == job.get_absolute_url() and job.status == "queued"
    profile = committee_member.profiles.get()
    profile.role = "partner"
    profile.organisation = OrganisationFactory()
    profile.save()
    from evaluation.tasks import build_semester_report
    from jobs.runner import JobFailure

    with pytest.raises(JobFailure):
        build_semester_report.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and "réservé à la coordination" in job.error_message
    assert not job.result_file


# --- Access, persona by persona ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/rapports/", "/fiches/1/pdf/", "/fiches/1/bilan/", "/fiches/1/bilan/pdf/"])
def test_anonymous_is_sent_to_login(db, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/connexion/")


def test_anonymous_api_call_gets_401(db, client):
    assert client.post(API_URL, {"year": 2026, "semester": 2}, content_type="application/json").status_code == 401


@pytest.mark.parametrize("persona", ["outsider", "partner_bdt", "referent_bethune"])
def test_only_coordination_and_comite_get_the_semester_report(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/rapports/").status_code == 403
    assert client.post(SEMESTER_URL, SEMESTER).status_code == 403
    assert client.post(API_URL, {"year": 2026, "semester": 2}, content_type="application/json").status_code == 403
    assert 'href="/rapports/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "committee_member", "admin_user"])
def test_coordination_and_comite_get_the_semester_report(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/rapports/").status_code == 200
    assert report_of(client).startswith(b"%PDF-")


@pytest.fixture
def bethune_fiche(bethune):
    return ActionFactory(code="FA 903", territory=bethune, status="delivered")


@pytest.fixture
def bruay_fiche(bruay, bdt):
    action = ActionFactory(code="FA 904", territory=bruay, status="delivered")
    FundingLineFactory(action=action, funder=bdt)
    return action


@pytest.fixture
def hidden_fiche(bruay):
    return ActionFactory(code="FA 905", territory=bruay)


@pytest.mark.parametrize(
    ("persona", "fiche", "expected"),
    [
        ("coordinator", "bruay_fiche", 200),
        ("committee_member", "bruay_fiche", 200),
        ("referent_bethune", "bethune_fiche", 200),
        ("referent_bethune", "bruay_fiche", 403),
        ("partner_bdt", "bruay_fiche", 200),
        ("partner_bdt", "hidden_fiche", 404),
        ("partner_region", "bruay_fiche", 404),
        ("outsider", "bethune_fiche", 403),
    ],
)
def test_fiche_pdf_access(client, request, persona, fiche, expected):
    action = request.getfixturevalue(fiche)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/fiches/{action.pk}/pdf/")
    assert response.status_code == expected
    page = client.get(f"/fiches/{action.pk}/")
    if page.status_code == 200:
        # The fiche page offers the PDF link exactly when the export is allowed.
        assert (f'href="/fiches/{action.pk}/pdf/"' in page.content.decode()) == (expected == 200)


# --- End-of-action report ------------------------------------------------------------------------------


def test_referent_writes_the_end_of_action_report_of_its_delivered_fiche(
    client, referent_bethune, bethune_fiche, tmp_path
):
    client.force_login(referent_bethune)
    url = f"/fiches/{bethune_fiche.pk}/bilan/"
    assert f'href="{url}"' in client.get(bethune_fiche.get_absolute_url()).content.decode()
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "implementation": "Travaux menés en deux tranches.",
            "results": "La halle accueille le marché deux fois par semaine.",
            "sustainability": "Entretien confié aux services techniques.",
            "final_cost": "98 500,50",
        },
    )
    assert response.status_code == 302
    report = EndOfActionReport.objects.get(action=bethune_fiche)
    assert report.final_cost == Decimal("98500.50") and report.author == referent_bethune

    pdf = client.get(f"{url}pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Bilan de fin d'action – FA 903" in text
    assert "La halle accueille le marché deux fois par semaine." in section(
        text, "2. Résultats obtenus", "3. Pérennité"
    )
    assert "98 500,50 €" in text
    assert page_count(pdf.content) >= 2
    assert first_page_png(pdf.content, tmp_path).startswith(PNG_SIGNATURE)


def test_end_of_action_report_refuses_empty_fields_in_french(client, coordinator, bethune_fiche):
    client.force_login(coordinator)
    response = client.post(f"/fiches/{bethune_fiche.pk}/bilan/", {"final_cost": "-5"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Décrivez comment l&#x27;action a été menée." in body
    assert "Le montant doit être positif ou nul." in body
    assert not EndOfActionReport.objects.exists()


@pytest.mark.parametrize(
    ("persona", "fiche", "expected"),
    [
        ("referent_bethune", "bruay_fiche", 403),  # visible, not its own
        ("committee_member", "bethune_fiche", 403),  # reads, does not write
        ("partner_bdt", "bruay_fiche", 403),
        ("partner_bdt", "bethune_fiche", 404),
        ("outsider", "bethune_fiche", 403),
        ("coordinator", "hidden_fiche", 403),  # not delivered yet
    ],
)
def test_end_of_action_report_access(client, request, persona, fiche, expected):
    action = request.getfixturevalue(fiche)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/fiches/{action.pk}/bilan/").status_code == expected


def test_end_of_action_pdf_is_404_before_it_is_written(client, coordinator, bethune_fiche):
    client.force_login(coordinator)
    assert client.get(f"/fiches/{bethune_fiche.pk}/bilan/pdf/").status_code == 404
