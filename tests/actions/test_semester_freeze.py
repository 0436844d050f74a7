"""A semester's états d'avancement are frozen once its report was presented to the comité: only the coordination
adds to or corrects them, with a reason kept in the history; the fiche's status does not move with a correction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions.models import ProgressUpdate
from actions.services import progress_update_correct, progress_update_create
from conventions.models import PresentedSemester
from conventions.services import semester_mark_presented
from evaluation.services import semester_report_present
from tests import factories as f

PAST = {"year": 2026, "semester": 1}


@pytest.fixture
def fiche(bethune):
    return f.ActionFactory(code="FA 150", territory=bethune, status="in_progress")


@pytest.fixture
def presented(fiche):
    meeting = f.CommitteeMeetingFactory(convention=fiche.convention, title="Comité de juillet")
    return semester_mark_presented(meeting=meeting, **PAST)


def _data(**extra):
    return {**PAST, "status": "in_progress", "percent_done": 40, "achievements": "Études rendues.", **extra}


def test_presenting_the_report_freezes_its_semester(fiche, coordinator):
    meeting = f.CommitteeMeetingFactory(convention=fiche.convention)
    from actions.models import Action

    semester_report_present(
        meeting=meeting, fiches=Action.objects.filter(pk=fiche.pk), year=2026, semester=1, user=coordinator
    )
    assert list(PresentedSemester.objects.values_list("year", "semester", "meeting")) == [(2026, 1, meeting.pk)]
    # Presented again at a later comité: the first presentation is the one that froze it.
    semester_mark_presented(meeting=f.CommitteeMeetingFactory(convention=fiche.convention), year=2026, semester=1)
    assert PresentedSemester.objects.get().meeting == meeting


def test_a_referent_may_no_longer_write_a_frozen_semester(fiche, presented, referent_bethune):
    with pytest.raises(ValidationError) as error:
        progress_update_create(action=fiche, data=_data(), user=referent_bethune)
    message = error.value.message_dict["semester"][0]
    assert "Le rapport de S1 2026 a été présenté au comité de projet du 15/06/2026" in message
    assert "seule la coordination les corrige, motif à l'appui" in message
    assert not ProgressUpdate.objects.exists()


def test_the_coordination_writes_a_frozen_semester_with_a_reason_kept_in_the_history(fiche, presented, coordinator):
    with pytest.raises(ValidationError) as error:
        progress_update_create(action=fiche, data=_data(), user=coordinator)
    assert "indiquez le motif de cette correction" in error.value.message_dict["correction_reason"][0]
    update = progress_update_create(
        action=fiche, data=_data(), user=coordinator, correction_reason="Oubli lors de la préparation du comité"
    )
    record = update.history.get()
    assert record.history_change_reason == (
        "Correction après présentation du rapport : Oubli lors de la préparation du comité"
    )
    assert record.history_user == coordinator


def test_a_semester_not_presented_is_written_as_before(fiche, presented, referent_bethune):
    update = progress_update_create(action=fiche, data=_data(year=2025, semester=2), user=referent_bethune)
    assert update.history.get().history_change_reason is None


def test_a_correction_needs_the_coordination_and_a_reason_and_leaves_the_status(
    fiche, presented, coordinator, referent_bethune
):
    update = ProgressUpdate.objects.create(action=fiche, author=referent_bethune, **_data())
    with pytest.raises(PermissionDenied):
        progress_update_correct(update=update, data={"percent_done": 60}, reason="Erreur", user=referent_bethune)
    with pytest.raises(ValidationError) as error:
        progress_update_correct(update=update, data={"percent_done": 60}, reason="  ", user=coordinator)
    assert error.value.message_dict == {"reason": ["Indiquez le motif de la correction."]}
    progress_update_correct(
        update=update,
        data={"percent_done": 60, "status": "suspended", "year": 2020},
        reason="Chiffre du maître d'ouvrage corrigé",
        user=coordinator,
    )
    update.refresh_from_db()
    assert (update.year, update.percent_done, update.status) == (2026, 60, "suspended")
    fiche.refresh_from_db()
    assert fiche.status == "in_progress"  # a correction completes the record, never moves the fiche
    assert update.history.latest().history_change_reason == (
        "Correction après présentation du rapport : Chiffre du maître d'ouvrage corrigé"
    )


def test_the_fiche_shows_the_frozen_semester_and_its_corrections(client, fiche, presented, coordinator):
    update = progress_update_create(action=fiche, data=_data(), user=coordinator, correction_reason="Oubli")
    client.force_login(coordinator)
    body = client.get(fiche.get_absolute_url()).content.decode()
    assert "semestre figé" in body and "Comité de projet du 15/06/2026".lower() in body.lower()
    assert "Correction après présentation du rapport : Oubli" in body
    assert reverse("actions:progress_correct", args=[fiche.pk, update.pk]) in body


def test_the_correction_page_takes_the_reason_and_says_when_it_lacks(client, fiche, presented, coordinator):
    update = ProgressUpdate.objects.create(action=fiche, **_data())
    url = reverse("actions:progress_correct", args=[fiche.pk, update.pk])
    client.force_login(coordinator)
    assert "le semestre est figé" in client.get(url).content.decode()
    fields = {"status": "in_progress", "percent_done": "70", "achievements": "", "difficulties": "", "next_steps": ""}
    response = client.post(url, fields)
    assert response.status_code == 400 and "Indiquez le motif de la correction." in response.content.decode()
    response = client.post(url, {**fields, "reason": "Avancement réel constaté sur place"})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.percent_done == 70


def test_the_api_refuses_a_frozen_semester_to_a_referent(client, fiche, presented, referent_bethune):
    client.force_login(referent_bethune)
    response = client.post(
        reverse("api:action-progress-updates", args=[fiche.pk]), _data(), content_type="application/json"
    )
    assert response.status_code == 400
    assert "figés" in response.json()["fields"]["semester"][0]
