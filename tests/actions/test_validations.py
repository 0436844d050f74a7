"""Partners' validation of fiches (avenant n°2, Article 4): who may give its word, what each reader gets, and a
change of cost or funding marking the word « à renouveler »."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions.models import ActionValidation
from actions.services import action_save, validation_record
from financing.models import FundingLine
from financing.services import funding_line_create, funding_line_delete, funding_line_update
from tests import factories as f


@pytest.fixture
def fiche(bethune, bdt, region):
    """A Béthune fiche funded by the Banque des Territoires and the Région, the Banque a named partner too."""
    action = f.ActionFactory(code="FA 90", territory=bethune, cost_amount=Decimal("100000.00"))
    action.partners.add(bdt)
    f.FundingLineFactory(action=action, funder=bdt, amount=Decimal("30000.00"), status="planned", basis="TTC")
    f.FundingLineFactory(action=action, funder=region, amount=Decimal("20000.00"), status="requested", basis="TTC")
    f.FundingLineFactory(action=action, funder=bethune, amount=Decimal("50000.00"), status="planned", basis="TTC")
    return action


def test_each_partner_that_funds_the_fiche_gives_its_word(fiche, partner_bdt, partner_region):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    validation_record(action=fiche, user=partner_region, decision="reservations", comment="Montant à confirmer en CP.")
    words = {v.organisation.key: (v.decision, v.comment) for v in ActionValidation.objects.filter(action=fiche)}
    assert words == {"bdt": ("validated", ""), "region": ("reservations", "Montant à confirmer en CP.")}
    assert ActionValidation.objects.get(action=fiche, organisation__key="bdt").action_version == fiche.version


def test_reservations_say_what_they_are(fiche, partner_region):
    with pytest.raises(ValidationError) as error:
        validation_record(action=fiche, user=partner_region, decision="reservations", comment="  ")
    assert error.value.message_dict == {"comment": ["Dites vos réserves : le commentaire est requis."]}
    assert not ActionValidation.objects.exists()


def test_a_partner_validates_only_a_fiche_it_pilots_or_funds(fiche, bethune, region, partner_region):
    # The Région sees this other fiche (its only line was refused) but neither pilots nor funds it.
    other = f.ActionFactory(code="FA 91", territory=bethune)
    f.FundingLineFactory(action=other, funder=region, status="refused")
    with pytest.raises(PermissionDenied, match="pilotent, financent ou cofinancent"):
        validation_record(action=other, user=partner_region, decision="validated")
    # Nor does the commune (maître d'ouvrage) count among those asked: the fiche is its own.
    assert not ActionValidation.objects.filter(action=other).exists()


def test_the_commune_that_carries_the_fiche_is_not_asked(fiche, referent_bethune):
    with pytest.raises(PermissionDenied):
        validation_record(action=fiche, user=referent_bethune, decision="validated")


def test_a_cost_change_marks_every_validation_to_renew(fiche, partner_bdt, partner_region, coordinator):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    validation_record(action=fiche, user=partner_region, decision="validated")
    action_save(action=fiche, data={"cost_amount": Decimal("120000.00")}, user=coordinator)
    renewed = ActionValidation.objects.filter(action=fiche)
    assert all(validation.to_renew for validation in renewed)
    assert {validation.renewal_reason for validation in renewed} == {
        "Coût modifié : 100\u202f000\xa0€\xa0TTC → 120\u202f000\xa0€\xa0TTC."
    }
    # The word stays in the history as it was given, then marked.
    history = ActionValidation.history.filter(organisation__key="bdt").order_by("history_id")
    assert [row.to_renew for row in history] == [False, True]


def test_a_change_that_is_not_the_cost_keeps_the_validations(fiche, partner_bdt, coordinator):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    action_save(action=fiche, data={"title": "Nouvel intitulé", "cost_text": "100 000 € TTC"}, user=coordinator)
    assert not ActionValidation.objects.get(action=fiche).to_renew


def test_a_funding_change_marks_the_validations_to_renew_but_a_line_moving_on_does_not(
    fiche, partner_bdt, partner_region, coordinator, region
):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    line = FundingLine.objects.get(action=fiche, funder=region)

    # The Région grants its line: the plan the partners agreed to is unchanged.
    line = funding_line_update(
        line=line, changes={"status": "granted"}, years=None, user=partner_region, expected_version=None
    )
    assert not ActionValidation.objects.get(organisation__key="bdt").to_renew

    # The amount changes: to renew, saying which line and what.
    funding_line_update(
        line=line, changes={"amount": Decimal("25000.00")}, years=None, user=coordinator, expected_version=None
    )
    validation = ActionValidation.objects.get(organisation__key="bdt")
    assert validation.to_renew
    assert validation.renewal_reason == "Ligne de financement Région Hauts-de-France modifiée (montant (€))."


@pytest.mark.parametrize("change", ["added", "removed", "refused"])
def test_a_line_added_removed_or_refused_marks_the_validations_to_renew(
    fiche, partner_bdt, coordinator, region, change
):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    line = FundingLine.objects.get(action=fiche, funder=region)
    if change == "added":
        funding_line_create(
            data={"action": fiche, "funder": f.OrganisationFactory(kind="etat"), "amount": Decimal("5000.00")},
            years=None,
            user=coordinator,
        )
    elif change == "removed":
        funding_line_delete(line=line, user=coordinator)
    else:
        funding_line_update(
            line=line, changes={"status": "refused"}, years=None, user=coordinator, expected_version=None
        )
    assert ActionValidation.objects.get(organisation__key="bdt").to_renew


def test_giving_its_word_again_clears_to_renew(fiche, partner_bdt, coordinator):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    action_save(action=fiche, data={"cost_amount": Decimal("90000.00")}, user=coordinator)
    validation = validation_record(action=fiche, user=partner_bdt, decision="validated")
    assert not validation.to_renew and validation.renewal_reason == ""
    assert ActionValidation.objects.count() == 1


# --- What each reader gets ------------------------------------------------------------------------------


def test_the_fiche_shows_who_has_validated_and_who_has_not(client, fiche, partner_bdt, coordinator):
    validation_record(action=fiche, user=partner_bdt, decision="validated")
    client.force_login(coordinator)
    body = client.get(fiche.get_absolute_url()).content.decode()
    assert "Avis des partenaires : 1 sur 2 validée et à jour" in body
    assert "Région Hauts-de-France" in body and "pas encore d'avis" in body


def test_a_partner_reads_its_own_word_not_the_others(client, fiche, partner_bdt, partner_region):
    validation_record(action=fiche, user=partner_region, decision="reservations", comment="Réserve confidentielle")
    client.force_login(partner_bdt)
    body = client.get(fiche.get_absolute_url()).content.decode()
    assert "Réserve confidentielle" not in body
    assert "Votre avis" in body
    api = client.get(reverse("api:action-validation-list")).json()
    assert api["results"] == []
    client.force_login(partner_region)
    api = client.get(reverse("api:action-validation-list")).json()
    assert [row["comment"] for row in api["results"]] == ["Réserve confidentielle"]


def test_a_partner_gives_its_word_from_its_portal_and_comes_back_to_it(client, fiche, partner_bdt):
    client.force_login(partner_bdt)
    portal = client.get(reverse("financing:partner_portal")).content.decode()
    assert "FA 90" in portal and "pas encore d'avis" in portal
    response = client.post(
        reverse("actions:action_validation", args=[fiche.pk]),
        {"decision": "validated", "comment": "", "next": reverse("financing:partner_portal")},
    )
    assert response.status_code == 302 and response.url == reverse("financing:partner_portal")
    portal = client.get(reverse("financing:partner_portal")).content.decode()
    assert "validée" in portal
    assert ActionValidation.objects.get(action=fiche).decided_by == partner_bdt


def test_the_form_refuses_reservations_without_a_comment_and_says_why(client, fiche, partner_region):
    client.force_login(partner_region)
    response = client.post(
        reverse("actions:action_validation", args=[fiche.pk]), {"decision": "reservations"}, follow=True
    )
    assert "Dites vos réserves : le commentaire est requis." in response.content.decode()
    assert not ActionValidation.objects.exists()


def test_the_api_records_a_word_and_refuses_a_fiche_the_partner_does_not_fund(client, fiche, bethune, partner_bdt):
    client.force_login(partner_bdt)
    url = reverse("api:action-validation-list")
    response = client.post(url, {"action": fiche.pk, "decision": "validated"}, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["organisation"]["key"] == "bdt"
    unseen = f.ActionFactory(code="FA 92", territory=bethune)
    response = client.post(url, {"action": unseen.pk, "decision": "validated"}, content_type="application/json")
    assert response.status_code == 404
    named = f.ActionFactory(code="FA 93", territory=bethune)
    f.FundingLineFactory(action=named, funder=partner_bdt.profiles.get().organisation, status="refused")
    response = client.post(url, {"action": named.pk, "decision": "validated"}, content_type="application/json")
    assert response.status_code == 403
    assert "pilotent, financent ou cofinancent" in response.json()["detail"]


def test_the_validations_endpoint_runs_the_same_queries_for_few_and_many_rows(client, coordinator, bethune):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count, tag):
        for n in range(count):
            partner = f.OrganisationFactory(key=f"partenaire-{tag}-{n}", kind="agence")
            fiche = f.ActionFactory(code=f"{tag}.{n}", territory=f.OrganisationFactory(key=f"commune-{tag}-{n}"))
            ActionValidation.objects.create(
                action=fiche, organisation=partner, decision="validated", decided_at="2026-03-01T10:00:00Z"
            )

    client.force_login(coordinator)
    counts = []
    for count, tag in ((2, "P"), (7, "Q")):
        add(count, tag)
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(reverse("api:action-validation-list")).json()["results"]
        counts.append(len(queries))
    assert len(rows) == 9
    assert counts[0] == counts[1], counts
