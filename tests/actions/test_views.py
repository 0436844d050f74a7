"""Pages and forms of the coordinator's workspace, for each persona."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from actions.models import Action, Milestone, ProgressUpdate
from financing.models import FundingLine
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def square(bruay, bdt):
    """FA 54 in Bruay, with one partner line of the Banque des Territoires."""
    action = f.ActionFactory(
        code="FA 54",
        title="Place Nature",
        territory=bruay,
        cost_amount=Decimal("1712934"),
        cost_basis="TTC",
        axes=[f.AxisFactory(number="4")],
    )
    f.FundingLineFactory(action=action, funder=bdt, amount=Decimal("225000"))
    return action


@pytest.fixture
def bethune_fiche(bethune):
    return f.ActionFactory(code="FA 41", title="Plan de mobilité", territory=bethune, axes=[f.AxisFactory(number="3")])


def fiche_url(action, name="action_detail"):
    return reverse(f"actions:{name}", args=[action.pk])


def form_data(client, action):
    """What the edit page would post back untouched: every field of the form and its formsets."""
    response = client.get(fiche_url(action, "action_update"))
    assert response.status_code == 200
    data = {}
    context = response.context
    formsets = (context["operations_formset"], context["funding_formset"], context["results_formset"])
    for form in [context["form"], *(row for formset in formsets for row in formset)]:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if isinstance(value, list):
                data[field.html_name] = [str(v) for v in value]
            elif value is True:
                data[field.html_name] = "on"
            else:
                data[field.html_name] = str(value)
    for formset in formsets:
        for field in formset.management_form:
            data[field.html_name] = str(field.value())
    data["version"] = str(context["version"])
    return data


# --- Login and layout -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/fiches/", "/fiches/nouvelle/", "/fiches/1/", "/fiches/1/modifier/", "/fiches/ligne-vide/funding/"]
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_is_french(client):
    response = client.get(reverse("login"))
    content = response.content.decode()
    assert '<html lang="fr">' in content
    assert "Connexion" in content and "Mot de passe" in content


def test_wrong_password_is_refused_in_french(client, coordinator):
    response = client.post(reverse("login"), {"username": "coordinateur", "password": "non"})
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()


def test_login_then_logout(client, coordinator):
    response = client.post(reverse("login"), {"username": "coordinateur", "password": "mot-de-passe-de-test"})
    assert response.status_code == 302 and response.url == "/"
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_layout_shows_user_role_organisation_and_landmarks(client, coordinator):
    client.force_login(coordinator)
    content = client.get("/").content.decode()
    assert 'href="#contenu"' in content and 'id="contenu"' in content
    assert "<nav" in content and "<main" in content and "<header" in content
    assert "Coordinateur" in content
    assert escape(coordinator.profiles.get().organisation.name) in content
    assert "style=" not in content and "<script>" not in content


# --- Dashboard --------------------------------------------------------------------------------


def test_dashboard_figures_link_to_the_filtered_list(client, coordinator, square, bethune_fiche):
    axis = f.AxisFactory(number="4")
    square.axes.add(axis)
    client.force_login(coordinator)
    response = client.get("/")
    content = response.content.decode()
    assert response.status_code == 200
    assert f"/fiches/?territory={square.territory_id}" in content
    assert "/fiches/?status=unknown" in content
    assert "/fiches/?funding_status=planned" in content
    assert f"/fiches/?axis={axis.pk}" in content
    assert "<svg" in content and "Axe 4" in content
    assert "/fiches/?late=1" in content and "/fiches/?no_update=1" in content and "/fiches/?open_notes=1" in content


def test_dashboard_lists_late_fiches_and_open_notes(client, coordinator, bruay):
    late = f.ActionFactory(
        # Sorted first among late fiches and notes even when the reference programme is loaded.
        code="0.9",
        title="Fibre noire",
        territory=bruay,
        end_on=datetime.date(2009, 6, 1),
        end_precision="month",
        end_until=datetime.date(2009, 6, 30),
    )
    f.QualityNoteFactory(action=late, description="Le budget diffère entre deux documents.")
    client.force_login(coordinator)
    content = client.get("/").content.decode()
    assert "0.9 – Fibre noire" in content and "fin prévue juin 2009" in content
    assert "Le budget diffère entre deux documents." in content


# --- List -------------------------------------------------------------------------------------


def test_list_filters_sorts_and_totals(client, coordinator, square, bethune_fiche, bruay):
    client.force_login(coordinator)
    response = client.get("/fiches/", {"territory": bruay.pk, "convention": square.convention_id, "ordering": "-cost"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "FA 54" in content and "Plan de mobilité" not in content
    assert "1 fiche" in content
    assert "13,1\u00a0%" in content  # 225 000 / 1 712 934
    assert 'aria-sort="descending"' in content


def test_list_paginates(client, coordinator, bruay):
    for n in range(30):
        action = f.ActionFactory(code=f"X.{n:02}", territory=bruay)
    client.force_login(coordinator)
    only_these = {"convention": action.convention_id}
    first = client.get("/fiches/", {"ordering": "code", **only_these})
    assert len(first.context["actions"]) == 25 and "Page suivante" in first.content.decode()
    second = client.get("/fiches/", {"ordering": "code", "page": 2, **only_these})
    assert len(second.context["actions"]) == 5


def test_list_answers_htmx_with_the_results_only(client, coordinator, square):
    client.force_login(coordinator)
    response = client.get("/fiches/", {"q": "Place"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "<html" not in content and 'id="results"' in content and "FA 54" in content


def test_invalid_filter_shows_an_error_and_no_rows(client, coordinator, square):
    client.force_login(coordinator)
    response = client.get("/fiches/", {"year": "deux mille"})
    assert response.context["count"] == 0
    assert "Saisissez un nombre" in response.content.decode()


# --- Access -----------------------------------------------------------------------------------


def test_partner_sees_only_the_fiches_it_funds(client, partner_bdt, partner_region, square, bethune_fiche):
    client.force_login(partner_bdt)
    assert client.get(fiche_url(square)).status_code == 200
    assert client.get(fiche_url(bethune_fiche)).status_code == 404
    assert "Plan de mobilité" not in client.get("/fiches/").content.decode()
    client.force_login(partner_region)
    assert client.get(fiche_url(square)).status_code == 404


def test_outsider_is_told_it_has_no_role_and_sees_nothing(client, outsider, square):
    client.force_login(outsider)
    for url in (fiche_url(square), "/fiches/", "/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Votre compte n&#x27;a de rôle sur aucun programme" in response.content.decode()
        assert square.title not in response.content.decode()


def test_reader_gets_403_on_writes(client, committee_member, square):
    client.force_login(committee_member)
    assert client.get(fiche_url(square)).status_code == 200
    assert "Modifier la fiche" not in client.get(fiche_url(square)).content.decode()
    assert client.get(fiche_url(square, "action_update")).status_code == 403
    assert client.post(fiche_url(square, "action_update"), {}).status_code == 403
    assert client.get(reverse("actions:action_create")).status_code == 403
    assert client.post(fiche_url(square, "progress_create"), {}).status_code == 403


def test_referent_edits_only_the_fiches_of_its_organisation(client, referent_bethune, square, bethune_fiche):
    client.force_login(referent_bethune)
    assert client.get(fiche_url(bethune_fiche, "action_update")).status_code == 200
    assert client.get(fiche_url(square, "action_update")).status_code == 403
    assert "Modifier la fiche" in client.get(fiche_url(bethune_fiche)).content.decode()


# --- Fiche page -------------------------------------------------------------------------------


def test_fiche_page_shows_everything_in_french(client, coordinator, square, bdt):
    f.OperationFactory(action=square, name="Phase 1 : travaux", cost_kind="unknown")
    f.FundingLineFactory(action=square, funder=bdt, amount=None)
    f.MilestoneFactory(action=square, label="Rendu de l'étude", planned_on=datetime.date(2024, 4, 1))
    f.ResultIndicatorFactory(
        action=square, label="Surface désimperméabilisée", target_value=2000, unit="m²", target_text="2 000 m²"
    )
    f.ProgressUpdateFactory(action=square, achievements="Marché notifié")
    f.QualityNoteFactory(action=square, values=[{"source": "Annexe 2", "value": "1 712 934 €"}])
    Action.objects.filter(pk=square.pk).update(
        start_on=datetime.date(2024, 4, 1), start_precision="quarter", start_until=datetime.date(2024, 6, 30)
    )
    client.force_login(coordinator)
    content = client.get(fiche_url(square)).content.decode()
    for text in (
        "1\u202f712\u202f934\u00a0€\u00a0TTC",
        "T2 2024",
        "Phase 1 : travaux",
        "à déterminer",
        "Rendu de l&#x27;étude",
        "Surface désimperméabilisée",
        "2\u202f000\u00a0m²",
        "Marché notifié",
        "Annexe 2",
        "1 ligne(s) de financement sans montant connu",
        "Reste à la charge du maître d'ouvrage",
        "1\u202f487\u202f934\u00a0€",
        "Historique des modifications",
    ):
        assert text in content, text


def test_fiche_page_warns_when_funding_exceeds_cost(client, coordinator, square, region):
    f.FundingLineFactory(action=square, funder=region, amount=Decimal("2000000"))
    client.force_login(coordinator)
    assert "dépassent le coût de la fiche" in client.get(fiche_url(square)).content.decode()


def test_history_timeline_merges_fiche_operation_and_funding_changes(client, coordinator, square):
    line = square.funding_lines.get()
    line._history_user = coordinator
    line.status = "granted"
    line.save()
    square._history_user = coordinator
    square.title = "Place Nature – nouvel intitulé"
    square.save()
    client.force_login(coordinator)
    response = client.get(fiche_url(square))
    timeline = response.context["timeline"]
    assert timeline[0].subject == "Fiche" and timeline[0].changes[0].new == "Place Nature – nouvel intitulé"
    assert timeline[1].subject == "Financement Banque des Territoires"
    assert (timeline[1].changes[0].label, timeline[1].changes[0].old, timeline[1].changes[0].new) == (
        "état",
        "prévu",
        "accordé",
    )


# --- Create and edit --------------------------------------------------------------------------


def test_coordinator_creates_a_fiche_with_an_operation_and_a_funding_line(client, coordinator, bruay, bdt):
    convention = f.ConventionFactory()
    client.force_login(coordinator)
    assert client.get(reverse("actions:action_create")).status_code == 200
    data = {
        "convention": convention.pk,
        "code": "FA 99",
        "axes": [f.AxisFactory(number="2").pk],
        "title": "Nouvelle halle",
        "kind": "fiche",
        "project_type": "travaux",
        "territory": bruay.pk,
        "status": "planned",
        "cost_kind": "exact",
        "cost_amount": "300 000,00",
        "cost_basis": "HT",
        "start_precision": "unknown",
        "end_precision": "unknown",
        "operations-TOTAL_FORMS": "1",
        "operations-INITIAL_FORMS": "0",
        "operations-0-name": "Travaux",
        "operations-0-cost_kind": "unknown",
        "operations-0-start_precision": "unknown",
        "operations-0-end_precision": "unknown",
        "funding-TOTAL_FORMS": "1",
        "funding-INITIAL_FORMS": "0",
        "funding-0-funder": bdt.pk,
        "funding-0-amount": "100000",
        "funding-0-status": "requested",
        "results-TOTAL_FORMS": "0",
        "results-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("actions:action_create"), data)
    action = Action.objects.get(code="FA 99")
    assert response.status_code == 302 and response.url == action.get_absolute_url()
    assert action.cost_amount == Decimal("300000") and action.version == 1
    assert action.operations.get().name == "Travaux"
    assert action.funding_lines.get().amount == Decimal("100000")
    assert {h.history_user for h in action.history.all()} == {coordinator}
    assert "Fiche FA 99 enregistrée." in client.get(response.url).content.decode()


def test_invalid_fiche_shows_french_errors_next_to_fields_and_saves_nothing(client, coordinator, square):
    client.force_login(coordinator)
    data = form_data(client, square)
    data.update({"cost_kind": "range", "cost_min": "50000", "cost_max": "10000", "code": ""})
    data["funding-0-amount"] = "-5"
    response = client.post(fiche_url(square, "action_update"), data)
    content = response.content.decode()
    assert response.status_code == 400
    assert "La borne haute doit être supérieure à la borne basse." in content
    assert "Ce champ est obligatoire." in content
    assert "Le montant doit être positif ou nul." in content
    assert "La fiche action n'a pas été enregistrée" in html.unescape(content)
    square.refresh_from_db()
    assert square.cost_amount == Decimal("1712934") and square.version == 1


def test_duplicate_code_is_refused_by_the_model_constraint(client, coordinator, square, bethune_fiche):
    client.force_login(coordinator)
    data = form_data(client, bethune_fiche)
    data["code"] = "FA 54"
    response = client.post(fiche_url(bethune_fiche, "action_update"), data)
    assert "Une fiche de cette convention porte déjà ce code." in response.content.decode()


def test_edit_changes_cost_adds_a_line_and_records_who(client, coordinator, square, region):
    client.force_login(coordinator)
    data = form_data(client, square)
    data["cost_amount"] = "2 000 000"
    data["funding-TOTAL_FORMS"] = "2"
    data.update({"funding-1-funder": str(region.pk), "funding-1-amount": "275000", "funding-1-status": "granted"})
    response = client.post(fiche_url(square, "action_update"), data)
    assert response.status_code == 302
    square.refresh_from_db()
    assert square.cost_amount == Decimal("2000000") and square.version == 2
    assert square.funding_lines.count() == 2
    assert FundingLine.history.get(action_id=square.pk, funder=region).history_user == coordinator
    page = client.get(fiche_url(square)).content.decode()
    assert "500\u202f000\u00a0€" in page and "25,0\u00a0%" in page


def test_deleting_a_funding_line_from_the_form(client, coordinator, square):
    client.force_login(coordinator)
    data = form_data(client, square)
    data["funding-0-DELETE"] = "on"
    assert client.post(fiche_url(square, "action_update"), data).status_code == 302
    assert not square.funding_lines.exists()
    assert FundingLine.history.filter(action_id=square.pk, history_type="-").exists()


def test_empty_row_endpoint_returns_the_next_row_and_bumps_the_counter(client, coordinator, square):
    client.force_login(coordinator)
    response = client.get(
        reverse("actions:formset_row", args=["funding"]), {"funding-TOTAL_FORMS": "3", "action": square.pk}
    )
    content = response.content.decode()
    assert 'name="funding-3-funder"' in content
    assert 'name="funding-TOTAL_FORMS" value="4"' in content and 'hx-swap-oob="true"' in content
    assert client.get(reverse("actions:formset_row", args=["nope"])).status_code == 404


# --- No lost update ---------------------------------------------------------------------------


def test_second_save_from_the_same_version_is_refused_and_both_edits_are_kept(
    client, coordinator, referent_bethune, bethune_fiche
):
    client.force_login(coordinator)
    first = form_data(client, bethune_fiche)
    second = dict(first)
    first["title"] = "Plan de mobilité durable"
    assert client.post(fiche_url(bethune_fiche, "action_update"), first).status_code == 302

    client.force_login(referent_bethune)
    second["title"] = "Plan de mobilité active"
    response = client.post(fiche_url(bethune_fiche, "action_update"), second)
    content = response.content.decode()
    assert response.status_code == 409
    assert "Quelqu&#x27;un a enregistré cette fiche pendant que vous la modifiiez" in content
    assert response.context["conflict"]["changes"] == [
        {"label": "intitulé", "theirs": "Plan de mobilité durable", "yours": "Plan de mobilité active"}
    ]
    assert 'value="Plan de mobilité active"' in content  # the user's input is kept
    assert 'name="version" value="2"' in content
    bethune_fiche.refresh_from_db()
    assert bethune_fiche.title == "Plan de mobilité durable"

    # Re-applying from the conflict page, knowingly, goes through.
    second["version"] = "2"
    assert client.post(fiche_url(bethune_fiche, "action_update"), second).status_code == 302
    titles = [h.title for h in bethune_fiche.history.order_by("history_date")]
    assert titles[-2:] == ["Plan de mobilité durable", "Plan de mobilité active"]


# --- Progress and milestones ------------------------------------------------------------------


def test_progress_update_is_recorded_with_its_author(client, coordinator, square):
    client.force_login(coordinator)
    data = {"year": "2026", "semester": "2", "status": "in_progress", "percent_done": "40", "achievements": "OS"}
    response = client.post(fiche_url(square, "progress_create"), data)
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(action=square)
    assert update.author == coordinator and update.percent_done == 40
    square.refresh_from_db()
    assert square.status == "in_progress" and square.version == 2
    assert "État d&#x27;avancement S2 2026 enregistré." in client.get(fiche_url(square)).content.decode()


def test_progress_update_errors_are_french(client, coordinator, square):
    f.ProgressUpdateFactory(action=square, year=2026, semester=2)
    client.force_login(coordinator)
    data = {"year": "2026", "semester": "2", "status": "in_progress", "percent_done": "140"}
    response = client.post(fiche_url(square, "progress_create"), data)
    content = response.content.decode()
    assert response.status_code == 400
    assert "Cette fiche a déjà un état d&#x27;avancement pour ce semestre." in content
    assert "L&#x27;avancement est compris entre 0 et 100" in content


def test_milestone_marked_achieved_with_htmx_and_plain_post(client, coordinator, square):
    milestone = f.MilestoneFactory(action=square, label="Rendu")
    other = f.MilestoneFactory(action=square, label="Travaux")
    client.force_login(coordinator)
    url = reverse("actions:milestone_achieve", args=[square.pk, milestone.pk])
    response = client.post(url, {f"m{milestone.pk}-achieved_on": "2026-03-02"}, HTTP_HX_REQUEST="true")
    assert "atteint le 2 mars 2026" in response.content.decode()
    assert Milestone.objects.get(pk=milestone.pk).achieved_on == datetime.date(2026, 3, 2)
    url = reverse("actions:milestone_achieve", args=[square.pk, other.pk])
    assert client.post(url, {f"m{other.pk}-achieved_on": "pas une date"}).status_code == 302
    assert Milestone.objects.get(pk=other.pk).achieved_on is None


# --- Query counts -----------------------------------------------------------------------------


def _programme(size, bruay, funders):
    axis = f.AxisFactory(number="4")
    for n in range(size):
        action = f.ActionFactory(code=f"Q.{n}", territory=bruay, axes=[axis])
        f.OperationFactory(action=action)
        f.MilestoneFactory(action=action)
        f.QualityNoteFactory(action=action)
        for funder in funders:
            f.FundingLineFactory(action=action, funder=funder)
    return axis


@pytest.mark.parametrize("size", [2, 30])
def test_list_and_dashboard_queries_do_not_grow_with_rows(
    client, coordinator, bruay, bdt, region, size, django_assert_max_num_queries
):
    _programme(size, bruay, [bdt, region, bruay])
    client.force_login(coordinator)
    with django_assert_max_num_queries(20):
        client.get("/fiches/", {"ordering": "-share"})
    with django_assert_max_num_queries(22):
        client.get("/")


@pytest.mark.parametrize("size", [2, 30])
def test_fiche_page_queries_do_not_grow_with_lines_or_history(
    client, coordinator, bruay, bdt, region, size, django_assert_max_num_queries
):
    action = f.ActionFactory(code="Q.1", territory=bruay)
    for n in range(size):
        f.OperationFactory(action=action, name=f"Op {n}")
        line = f.FundingLineFactory(action=action, funder=bdt if n % 2 else region)
        line.status = "granted"
        line.save()
        f.MilestoneFactory(action=action)
        f.ProgressUpdateFactory(action=action, year=2000 + n)
    client.force_login(coordinator)
    # 30, + the plan's life: documents, links, snapshots, the partners' word, comité decisions (5).
    with django_assert_max_num_queries(35):
        response = client.get(fiche_url(action))
    assert response.status_code == 200
