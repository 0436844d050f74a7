"""The life of a fiche: which status may follow which, with the motive and the decision where required, and
which semester a progress update may be for. « Today » is fixed at 2 December 2026 (S2 2026); the factory's
convention covers 2018-2026."""

import datetime
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from actions.models import STATUS_TRANSITIONS, STATUS_TRANSITIONS_WITH_REASON, ActionStatus, ProgressUpdate
from actions.services import action_save, progress_update_create
from tests import factories as f

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture
def fiche(db, bethune):
    return f.ActionFactory(code="FA 45", territory=bethune, status="in_progress")


def _update(fiche, user, *, year=2026, semester=2, status="in_progress", **extra):
    data = {"year": year, "semester": semester, "status": status, "percent_done": 10, **extra}
    return progress_update_create(action=fiche, data=data, user=user, today=TODAY)


@pytest.mark.parametrize(("old", "new"), list(product(ActionStatus.values, ActionStatus.values)))
def test_every_transition_is_allowed_or_refused_with_a_reason(bethune, coordinator, old, new):
    fiche = f.ActionFactory(territory=bethune, status=old)
    allowed = old == new or new in STATUS_TRANSITIONS[old]
    needs_reason = (old, new) in STATUS_TRANSITIONS_WITH_REASON and old != new
    if not allowed:
        with pytest.raises(ValidationError, match="ne passe pas à"):
            _update(fiche, coordinator, status=new, status_reason="motif", decided_by="comité du 12/06/2026")
        assert not ProgressUpdate.objects.exists()
        fiche.refresh_from_db()
        assert fiche.status == old
        return
    if needs_reason:
        with pytest.raises(ValidationError) as refused:
            _update(fiche, coordinator, status=new)
        assert "status_reason" in refused.value.message_dict
        assert not ProgressUpdate.objects.exists()
    _update(fiche, coordinator, status=new, status_reason="motif", decided_by="comité du 12/06/2026")
    fiche.refresh_from_db()
    assert fiche.status == new


def test_abandoning_needs_the_decision_that_made_it(fiche, coordinator):
    with pytest.raises(ValidationError) as refused:
        _update(fiche, coordinator, status="abandoned", status_reason="Projet repris par le Département")
    assert refused.value.message_dict == {
        "decided_by": ["Indiquez la décision qui acte l'abandon (comité, avenant ou délibération)."]
    }
    _update(
        fiche,
        coordinator,
        status="abandoned",
        status_reason="Projet repris par le Département",
        decided_by="Comité de projet du 12/06/2026",
    )
    fiche.refresh_from_db()
    assert fiche.status == "abandoned"


@pytest.mark.parametrize(
    ("year", "semester", "field", "message"),
    [
        (2027, 1, "semester", "S1 2027 n'a pas commencé"),  # after the current semester
        (2031, 1, "semester", "S1 2031 n'a pas commencé"),  # the audit's probe
        (2017, 2, "year", "2017 est hors de la période du programme (2018–2026)"),  # before the convention
    ],
)
def test_future_and_out_of_period_semesters_are_refused(fiche, coordinator, year, semester, field, message):
    with pytest.raises(ValidationError) as refused:
        _update(fiche, coordinator, year=year, semester=semester)
    assert message in refused.value.message_dict[field][0]
    assert not ProgressUpdate.objects.exists()


def test_a_past_semester_never_changes_the_current_status(fiche, coordinator):
    # The audit: a back-dated « abandonnée » turned an « en cours » fiche into an abandoned one.
    update = _update(fiche, coordinator, year=2019, semester=1, status="abandoned")
    fiche.refresh_from_db()
    assert update.status == "abandoned" and fiche.status == "in_progress" and fiche.version == 1
    # The current semester's update does change it, along the workflow.
    _update(fiche, coordinator, status="delivered")
    fiche.refresh_from_db()
    assert fiche.status == "delivered" and fiche.version == 2


def test_the_fiche_form_follows_the_workflow_and_sends_reasons_to_a_progress_update(fiche, coordinator):
    with pytest.raises(ValidationError, match="se fait par un état d'avancement"):
        action_save(action=fiche, data={"status": "abandoned"}, user=coordinator, expected_version=1)
    with pytest.raises(ValidationError, match="ne passe pas à « à lancer »"):
        action_save(action=fiche, data={"status": "planned"}, user=coordinator, expected_version=1)
    saved = action_save(action=fiche, data={"status": "suspended"}, user=coordinator, expected_version=1)
    assert saved.status == "suspended"


def test_the_page_and_the_api_answer_in_french(client, fiche, coordinator):
    client.force_login(coordinator)
    url = f"/fiches/{fiche.pk}/avancement/"
    response = client.post(url, {"year": "2031", "semester": "1", "status": "in_progress", "percent_done": "0"})
    assert response.status_code == 400
    assert "S1 2031 n&#x27;a pas commencé" in response.content.decode()
    api = APIClient()
    api.force_login(coordinator)
    endpoint = f"/api/v1/actions/{fiche.pk}/progress-updates/"
    response = api.post(endpoint, {"year": 2017, "semester": 2, "status": "in_progress"}, format="json")
    assert response.status_code == 400
    assert "hors de la période du programme" in str(response.json()["fields"]["year"])
    response = api.post(endpoint, {"year": 2026, "semester": 2, "status": "abandoned"}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"status_reason", "decided_by"}
    assert not ProgressUpdate.objects.exists()
