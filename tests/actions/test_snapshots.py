"""A fiche frozen as signed, compared with today field by field, and as it was on a date: on a fiche built by
hand, whose difference is written by hand below; and what a partner receives of them (no hidden line)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.services import action_save, snapshot_take
from actions.snapshots import FicheDiff, FieldChange, RowChange, diff, for_viewer, freeze, freeze_as_of
from financing.models import FundingLine
from financing.services import funding_line_create, funding_line_update
from tests import factories as f


@pytest.fixture
def signed(bethune, bdt, region, coordinator):
    """A Béthune fiche with two operations and two lines (the BDT's granted, the Région's planned with a
    remark), frozen as its avenant signed it."""
    convention = f.ConventionFactory(key="acv-signe")
    avenant = f.AmendmentFactory(convention=convention, number=2)
    fiche = f.ActionFactory(
        convention=convention, amendment=avenant, code="FA 70", title="Place du marché", territory=bethune
    )
    f.OperationFactory(action=fiche, name="Études", position=0)
    f.OperationFactory(action=fiche, name="Démolition", position=1)
    f.FundingLineFactory(
        action=fiche, funder=bdt, amount=Decimal("10000.00"), status="granted", basis="TTC", position=0
    )
    f.FundingLineFactory(
        action=fiche,
        funder=region,
        amount=Decimal("20000.00"),
        status="planned",
        basis="TTC",
        position=1,
        note="Dossier en commission régionale",
    )
    snapshot = snapshot_take(
        action=fiche, convention=convention, amendment=avenant, origin="signature", user=coordinator
    )
    return fiche, snapshot


def _change_after_signing(fiche, coordinator, bethune):
    """A changed amount, a new funding line, a removed operation."""
    bdt_line = FundingLine.objects.get(action=fiche, funder__key="bdt")
    funding_line_update(
        line=bdt_line, changes={"amount": Decimal("12500.00")}, years=None, user=coordinator, expected_version=None
    )
    funding_line_create(
        data={"action": fiche, "funder": bethune, "amount": Decimal("7500.00"), "status": "planned", "basis": "TTC"},
        years=None,
        user=coordinator,
    )
    demolition = fiche.operations.get(name="Démolition")
    action_save(action=fiche, data={}, user=coordinator, operations=[{"id": demolition.pk, "delete": True}])


def test_the_diff_of_a_hand_built_fiche_is_the_one_written_by_hand(signed, coordinator, bethune):
    fiche, snapshot = signed
    _change_after_signing(fiche, coordinator, bethune)
    expected = FicheDiff(
        fields=[],
        operations=[
            RowChange(
                "removed",
                "Démolition",
                [
                    FieldChange("reference", "Réf.", "—", "—"),
                    FieldChange("name", "Opération", "Démolition", "—"),
                    FieldChange("description", "Description", "—", "—"),
                    FieldChange("cost", "Coût", "à déterminer", "—"),
                    FieldChange("start", "Début", "à déterminer", "—"),
                    FieldChange("end", "Fin", "à déterminer", "—"),
                    FieldChange("funding_text", "Financement (texte)", "—", "—"),
                ],
            )
        ],
        funding_lines=[
            RowChange(
                "changed",
                "Banque des Territoires – 12\u202f500\xa0€ TTC",
                [FieldChange("amount", "Montant", "10\u202f000\xa0€ TTC", "12\u202f500\xa0€ TTC")],
            ),
            RowChange(
                "added",
                "Ville de Béthune – 7\u202f500\xa0€ TTC",
                [
                    FieldChange("funder", "Financeur", "—", "Ville de Béthune"),
                    FieldChange("scheme", "Dispositif", "—", "—"),
                    FieldChange("nature", "Nature", "—", "non précisée"),
                    FieldChange("operation", "Opération", "—", "—"),
                    FieldChange("status", "État", "—", "prévu"),
                    FieldChange("amount", "Montant", "—", "7\u202f500\xa0€ TTC"),
                    FieldChange("share", "Part", "—", "—"),
                    FieldChange("decision", "Décision", "—", "—"),
                ],
            ),
        ],
    )
    assert diff(snapshot.data, freeze(fiche)) == expected


def test_a_changed_field_of_the_fiche_is_shown_as_read(signed, coordinator):
    fiche, snapshot = signed
    action_save(
        action=fiche, data={"title": "Place du marché couvert", "cost_amount": Decimal("120000.00")}, user=coordinator
    )
    changes = diff(snapshot.data, freeze(fiche)).fields
    assert [(change.label, change.before, change.after) for change in changes] == [
        ("Intitulé", "Place du marché", "Place du marché couvert"),
        ("Coût", "100\u202f000\xa0€\xa0TTC", "120\u202f000\xa0€\xa0TTC"),
    ]


def test_the_history_gives_the_fiche_as_it_was_on_a_date(signed, coordinator, bethune):
    fiche, snapshot = signed
    before = timezone.now()
    _change_after_signing(fiche, coordinator, bethune)
    then = freeze_as_of(fiche, before)
    # On the day it was signed, the fiche was what the snapshot froze.
    assert diff(then, snapshot.data).is_empty
    assert [row["name"] for row in then["operations"]] == ["Études", "Démolition"]
    assert freeze_as_of(fiche, before - datetime.timedelta(days=365)) is None


def test_freezing_twice_for_a_document_keeps_the_first(signed, coordinator):
    fiche, snapshot = signed
    action_save(action=fiche, data={"title": "Autre"}, user=coordinator)
    again = snapshot_take(
        action=fiche, convention=snapshot.convention, amendment=snapshot.amendment, origin="signature"
    )
    assert again.pk == snapshot.pk and again.data["fields"]["title"] == "Place du marché"


# --- What a partner receives ------------------------------------------------------------------------------


def _lines(fiche, user):
    current = set(FundingLine.objects.filter(action=fiche).values_list("pk", flat=True))
    visible = set(FundingLine.objects.visible_to(user).filter(action=fiche).values_list("pk", flat=True))
    return {"current_lines": current, "visible_lines": visible}


def test_a_partner_reads_no_other_funders_negotiation_in_a_snapshot(signed, partner_bdt, partner_region):
    fiche, snapshot = signed
    seen = for_viewer(snapshot.data, partner_bdt, shows_funding_text=False, **_lines(fiche, partner_bdt))
    assert [line["funder"][1] for line in seen["funding_lines"]] == ["Banque des Territoires"]
    seen = for_viewer(snapshot.data, partner_region, shows_funding_text=False, **_lines(fiche, partner_region))
    # Its own line with its remark; the BDT's granted line without remarks.
    by_funder = {line["funder"][1]: line for line in seen["funding_lines"]}
    assert set(by_funder) == {"Banque des Territoires", "Région Hauts-de-France"}
    assert by_funder["Région Hauts-de-France"]["note"] == "Dossier en commission régionale"
    assert (
        by_funder["Banque des Territoires"]["note"] == "" and by_funder["Banque des Territoires"]["source_text"] == ""
    )


def test_a_line_settled_when_signed_but_refused_since_is_hidden_from_other_partners(
    signed, partner_region, coordinator
):
    fiche, snapshot = signed
    line = FundingLine.objects.get(action=fiche, funder__key="bdt")
    FundingLine.objects.filter(pk=line.pk).update(status="refused")  # a grant cancelled, as the workflow allows
    seen = for_viewer(snapshot.data, partner_region, shows_funding_text=False, **_lines(fiche, partner_region))
    assert [line["funder"][1] for line in seen["funding_lines"]] == ["Région Hauts-de-France"]
    now = for_viewer(freeze(fiche), partner_region, shows_funding_text=False, **_lines(fiche, partner_region))
    assert not [row for row in diff(seen, now).funding_lines if "Banque" in row.title]


def test_the_versions_page_shows_a_partner_no_hidden_line_nor_remark(client, signed, partner_bdt, coordinator, bethune):
    fiche, snapshot = signed
    _change_after_signing(fiche, coordinator, bethune)
    url = reverse("actions:action_versions", args=[fiche.pk]) + f"?document={snapshot.pk}"
    client.force_login(coordinator)
    body = client.get(url).content.decode()
    assert "Région Hauts-de-France" in body and "Ville de Béthune – 7" in body
    client.force_login(partner_bdt)
    body = client.get(url).content.decode()
    assert "Région Hauts-de-France" not in body  # planned when signed, planned today
    assert "Dossier en commission régionale" not in body
    assert "Ville de Béthune – 7" not in body  # the commune's own line, planned: a negotiation
    assert "10\u202f000\xa0€ TTC" in body and "12\u202f500\xa0€ TTC" in body  # its own line, changed


def test_the_versions_page_refuses_a_future_date_and_says_so(client, signed, coordinator):
    fiche, _snapshot = signed
    client.force_login(coordinator)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = client.get(reverse("actions:action_versions", args=[fiche.pk]), {"date": tomorrow.isoformat()})
    assert "Choisissez une date passée" in body.content.decode()
    body = client.get(reverse("actions:action_versions", args=[fiche.pk]), {"date": "hier"}).content.decode()
    assert "Saisissez une date valide" in body


def test_a_snapshot_of_another_fiche_is_not_found(client, signed, coordinator, bethune):
    _fiche, snapshot = signed
    other = f.ActionFactory(code="FA 71", territory=bethune)
    client.force_login(coordinator)
    url = reverse("actions:action_versions", args=[other.pk]) + f"?document={snapshot.pk}"
    assert client.get(url).status_code == 404
