"""Preparing the next avenant: the draft gathers the fiches created or changed since the last signed document, with
their diffs; its annex exports as PDF, one page per fiche; marking it signed freezes them. Only the coordination
edits a draft; every reader of the programme sees it, a partner when it is named to sign it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions.documents import gather_since_signed
from actions.models import Action, ActionDocument, ActionSnapshot
from actions.services import action_save, amendment_draft_save, amendment_sign, snapshot_take
from conventions.models import Amendment
from tests import factories as f
from tests.evaluation.pdf import page_count, pdf_text


@pytest.fixture
def plan(bethune, bdt, region, coordinator):
    """A convention whose avenant n°2 is signed with three fiches frozen, then: one fiche changed, one abandoned,
    one left alone, and a new one created since; a draft avenant n°3 named to be signed by the Banque."""
    convention = f.ConventionFactory(key="acv-plan")
    signed = f.AmendmentFactory(convention=convention, number=2, signed_on=datetime.date(2024, 3, 1))
    fiches = {}
    for code in ("FA 80", "FA 81", "FA 82"):
        fiches[code] = f.ActionFactory(convention=convention, amendment=signed, code=code, territory=bethune)
        f.FundingLineFactory(action=fiches[code], funder=bdt, amount=Decimal("10000.00"), status="granted")
        snapshot_take(action=fiches[code], convention=convention, amendment=signed, origin="signature")
    f.FundingLineFactory(action=fiches["FA 80"], funder=region, amount=Decimal("5000.00"), status="planned")
    action_save(action=fiches["FA 80"], data={"cost_amount": Decimal("150000.00")}, user=coordinator)
    action_save(action=fiches["FA 81"], data={"status": "planned"}, user=coordinator)
    from actions.filters import current_semester
    from actions.services import progress_update_create

    year, semester = current_semester()
    progress_update_create(
        action=fiches["FA 81"],
        data={
            "year": year,
            "semester": semester,
            "status": "abandoned",
            "percent_done": 0,
            "status_reason": "Projet privé retiré",
            "decided_by": "Comité de projet du 12 juin",
        },
        user=coordinator,
    )
    fiches["FA 83"] = f.ActionFactory(convention=convention, code="FA 83", territory=bethune)
    draft = amendment_draft_save(
        amendment=None,
        data={"convention": convention, "number": 3, "title": "Avenant n°3", "note": ""},
        signatories=[bdt, bethune],
        user=coordinator,
    )
    return convention, draft, fiches


def test_the_draft_gathers_what_changed_since_the_last_signed_document(plan, coordinator):
    _convention, draft, _fiches = plan
    gathered = {entry.action.code: entry for entry in gather_since_signed(draft, Action.objects.all(), coordinator)}
    assert {code: entry.kind for code, entry in gathered.items()} == {
        "FA 80": "changed",
        "FA 81": "abandoned",
        "FA 83": "introduced",
    }
    changes = gathered["FA 80"].diff
    assert [(change.label, change.before, change.after) for change in changes.fields] == [
        ("Coût", "100\u202f000\xa0€\xa0TTC", "150\u202f000\xa0€\xa0TTC")
    ]
    assert [(row.kind, row.title) for row in changes.funding_lines] == [
        ("added", "Région Hauts-de-France – 5\u202f000\xa0€")
    ]


def test_a_partner_sees_a_draft_it_is_named_to_sign_without_other_funders_negotiations(
    client, plan, partner_bdt, partner_region
):
    _convention, draft, _fiches = plan
    url = reverse("actions:amendment_detail", args=[draft.pk])
    client.force_login(partner_region)
    assert client.get(url).status_code == 404
    client.force_login(partner_bdt)
    body = client.get(url).content.decode()
    assert "FA 81" in body and "FA 83" not in body  # FA 83 has no line of the Banque: it does not see it
    # FA 80 moved in its cost (shown) and by a planned line of the Région (not shown, nor hinted at).
    assert "150\u202f000" in body
    assert "Région" not in body


def test_signing_freezes_what_the_avenant_carries(plan, coordinator, bdt):
    convention, draft, fiches = plan
    fiches["FA 83"].title = "Nouvelle fiche"
    amendment_sign(amendment=draft, signed_on=datetime.date(2026, 2, 1), signatories=[bdt], user=coordinator)
    draft.refresh_from_db()
    assert draft.is_signed and draft.signed_on == datetime.date(2026, 2, 1)
    assert list(draft.signatories.values_list("organisation__key", flat=True)) == ["bdt"]
    kinds = dict(ActionDocument.objects.filter(amendment=draft).values_list("action__code", "reference"))
    assert set(kinds) == {"FA 80", "FA 81", "FA 83"}
    assert set(ActionSnapshot.objects.filter(amendment=draft).values_list("action__code", flat=True)) == set(kinds)
    frozen = ActionSnapshot.objects.get(amendment=draft, action__code="FA 80").data
    assert frozen["fields"]["cost_amount"] == "150000.00"
    assert sorted(line["funder"][1] for line in frozen["funding_lines"]) == [
        "Banque des Territoires",
        "Région Hauts-de-France",
    ]
    # The next draft starts from there: nothing has changed since.
    following = amendment_draft_save(
        amendment=None, data={"convention": convention, "number": 4, "title": "Avenant n°4"}, user=coordinator
    )
    assert gather_since_signed(following, Action.objects.all(), coordinator) == []


@pytest.mark.parametrize(
    ("signed_on", "signatories", "field", "message"),
    [
        (None, True, "signed_on", "Indiquez la date de signature."),
        (datetime.date.today() + datetime.timedelta(days=2), True, "signed_on", "ne peut pas être dans le futur"),
        (datetime.date(2017, 1, 1), True, "signed_on", "ne précède pas la convention"),
        (datetime.date(2026, 2, 1), False, "signatories", "Cochez au moins un signataire."),
    ],
)
def test_a_signature_is_checked_and_nothing_is_frozen_when_refused(
    plan, coordinator, bdt, signed_on, signatories, field, message
):
    _convention, draft, _fiches = plan
    with pytest.raises(ValidationError) as error:
        amendment_sign(amendment=draft, signed_on=signed_on, signatories=[bdt] if signatories else [], user=coordinator)
    assert message in " ".join(error.value.message_dict[field])
    draft.refresh_from_db()
    assert not draft.is_signed
    assert not ActionSnapshot.objects.filter(amendment=draft).exists()


def test_only_the_coordination_prepares_and_signs_and_a_signed_avenant_stays_as_signed(
    plan, coordinator, referent_bethune, bdt
):
    _convention, draft, _fiches = plan
    with pytest.raises(PermissionDenied):
        amendment_draft_save(amendment=draft, data={"title": "Autre"}, user=referent_bethune)
    with pytest.raises(PermissionDenied):
        amendment_sign(amendment=draft, signed_on=datetime.date(2026, 2, 1), signatories=[bdt], user=referent_bethune)
    amendment_sign(amendment=draft, signed_on=datetime.date(2026, 2, 1), signatories=[bdt], user=coordinator)
    with pytest.raises(ValidationError, match="signé"):
        amendment_draft_save(amendment=draft, data={"title": "Autre"}, user=coordinator)


def test_the_draft_form_says_what_is_missing_and_refuses_a_number_taken(client, plan, coordinator):
    convention, _draft, _fiches = plan
    client.force_login(coordinator)
    response = client.post(reverse("actions:amendment_create"), {"convention": convention.pk, "number": "3"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez l&#x27;intitulé de l&#x27;avenant." in body
    response = client.post(
        reverse("actions:amendment_create"), {"convention": convention.pk, "number": "3", "title": "Doublon"}
    )
    assert "Cette convention a déjà un avenant de ce numéro." in response.content.decode()
    assert Amendment.objects.filter(convention=convention, number=3).count() == 1


def test_the_annex_has_one_page_per_carried_fiche_and_a_partner_reads_only_its_lines(
    client, plan, coordinator, partner_bdt
):
    _convention, draft, _fiches = plan
    url = reverse("evaluation:amendment_annex_pdf", args=[draft.pk])
    client.force_login(coordinator)
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    # The list names the three fiches; the two the avenant carries get a page each (FA 81 is abandoned).
    assert page_count(response.content) == 1 + 2
    for code in ("FA 80", "FA 81", "FA 83"):
        assert code in text
    assert "abandonnée" in text
    assert "Région Hauts-de-France" in text
    client.force_login(partner_bdt)
    text = pdf_text(client.get(url).content)
    assert "FA 80" in text and "FA 83" not in text
    assert "Région Hauts-de-France" not in text
