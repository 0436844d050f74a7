"""A comité meeting's decisions name the fiches they concern, and each fiche shows the decisions about it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions.models import CommitteeDecision
from actions.services import committee_decisions_save
from tests import factories as f


@pytest.fixture
def meeting(bethune, bdt):
    convention = f.ConventionFactory(key="acv-comites")
    fiche = f.ActionFactory(convention=convention, code="FA 120", title="Halles du marché", territory=bethune)
    f.FundingLineFactory(action=fiche, funder=bdt, status="granted")
    other = f.ActionFactory(convention=convention, code="FA 121", territory=bethune)
    return f.CommitteeMeetingFactory(convention=convention, title="Comité de juin"), fiche, other


def _post(fiche, text, index=0, **extra):
    return {f"decisions-{index}-action": fiche.pk if fiche else "", f"decisions-{index}-text": text, **extra}


def _management(total):
    return {"decisions-TOTAL_FORMS": str(total), "decisions-INITIAL_FORMS": "0"}


def test_the_coordination_names_the_fiches_a_decision_concerns(client, meeting, coordinator):
    meeting_, fiche, _other = meeting
    client.force_login(coordinator)
    url = reverse("actions:meeting_decisions", args=[meeting_.pk])
    response = client.post(url, {**_management(1), **_post(fiche, "Le comité valide le plan de financement.")})
    assert response.status_code == 302
    assert list(CommitteeDecision.objects.values_list("action__code", "text")) == [
        ("FA 120", "Le comité valide le plan de financement.")
    ]
    assert "Le comité valide le plan de financement." in client.get(meeting_.get_absolute_url()).content.decode()


def test_the_fiche_shows_the_decisions_to_those_who_read_the_meetings(
    client, meeting, coordinator, committee_member, partner_bdt
):
    meeting_, fiche, _other = meeting
    committee_decisions_save(
        meeting=meeting_, rows=[{"action": fiche, "text": "Report des travaux à 2027."}], user=coordinator
    )
    client.force_login(committee_member)
    body = client.get(fiche.get_absolute_url()).content.decode()
    assert "Décisions des comités" in body and "Report des travaux à 2027." in body
    # A partner reads the fiche it funds, not the comités' deliberations.
    client.force_login(partner_bdt)
    body = client.get(fiche.get_absolute_url()).content.decode()
    assert "Report des travaux à 2027." not in body


def test_a_row_without_its_decision_is_refused_next_to_the_field(client, meeting, coordinator):
    meeting_, fiche, _other = meeting
    client.force_login(coordinator)
    response = client.post(
        reverse("actions:meeting_decisions", args=[meeting_.pk]), {**_management(1), **_post(fiche, "  ")}
    )
    assert response.status_code == 400
    assert "Écrivez la décision." in response.content.decode()
    assert not CommitteeDecision.objects.exists()


def test_only_who_prepares_the_comites_records_decisions_and_a_row_of_another_meeting_is_refused(
    meeting, coordinator, referent_bethune
):
    meeting_, fiche, other = meeting
    with pytest.raises(PermissionDenied):
        committee_decisions_save(meeting=meeting_, rows=[{"action": fiche, "text": "x"}], user=referent_bethune)
    elsewhere = f.CommitteeMeetingFactory(convention=meeting_.convention)
    decision = CommitteeDecision.objects.create(meeting=elsewhere, action=other, text="Ailleurs")
    with pytest.raises(ValidationError, match="n'appartient pas à cette réunion"):
        committee_decisions_save(
            meeting=meeting_, rows=[{"id": decision.pk, "action": fiche, "text": "x"}], user=coordinator
        )
    assert CommitteeDecision.objects.get(pk=decision.pk).text == "Ailleurs"


def test_a_decision_is_changed_or_removed_from_the_same_page(meeting, coordinator):
    meeting_, fiche, other = meeting
    [decision] = committee_decisions_save(
        meeting=meeting_, rows=[{"action": fiche, "text": "Première"}], user=coordinator
    )
    committee_decisions_save(
        meeting=meeting_,
        rows=[{"id": decision.pk, "action": other, "text": "Corrigée"}, {"action": fiche, "text": "Seconde"}],
        user=coordinator,
    )
    assert sorted(CommitteeDecision.objects.values_list("action__code", "text")) == [
        ("FA 120", "Seconde"),
        ("FA 121", "Corrigée"),
    ]
    committee_decisions_save(meeting=meeting_, rows=[{"id": decision.pk, "delete": True}], user=coordinator)
    assert list(CommitteeDecision.objects.values_list("text", flat=True)) == ["Seconde"]
