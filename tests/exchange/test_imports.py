"""Import as a guided, all-or-nothing step: preview, then every row written or none, by the services' rules."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from actions.models import Action
from exchange.exports import fiche_list_xlsx, funding_workbook_xlsx
from exchange.models import ImportStatus, WorkbookImport
from financing.models import FundingLine
from tests.exchange.conftest import edited, fingerprint, row_of, upload


def _import(client, user, kind, content):
    client.force_login(user)
    response = upload(client, kind, content)
    assert response.status_code == 200, response.content[:500]
    return WorkbookImport.objects.get(requested_by=user), response


def test_coordinator_changes_a_fiche_sees_the_preview_then_confirms(client, coordinator, small_programme):
    content = fiche_list_xlsx(coordinator)
    row = row_of(content, "Fiches", "Code", "FA 1")
    changed = edited(content, "Fiches", {(row, "Intitulé"): "Place du marché rénovée", (row, "Coût (€)"): "1 234,56 €"})
    before = fingerprint()
    record, response = _import(client, coordinator, "fiches", changed)
    assert record.status == ImportStatus.ANALYSED
    assert record.problems == []
    assert record.counts == {"created": 0, "updated": 1, "unchanged": 6}
    [change] = record.preview["rows"]
    assert change["label"] == "FA 1"
    assert ["Intitulé", "Place du marché", "Place du marché rénovée"] in change["changes"]
    assert ["Coût (€)", "100\u202f000\u00a0€", "1\u202f234,56\u00a0€"] in change["changes"]
    page = response.content.decode()
    assert "Confirmer l'import" in page and "Place du marché rénovée" in page
    assert fingerprint() == before, "nothing is written before the confirmation"

    response = client.post(reverse("exchange:import_confirm", args=[record.pk]), follow=True)
    record.refresh_from_db()
    assert record.status == ImportStatus.CONFIRMED
    fiche = Action.objects.get(code="FA 1")
    assert (fiche.title, fiche.cost_amount, fiche.version) == ("Place du marché rénovée", Decimal("1234.56"), 2)
    assert fiche.history.first().history_user == coordinator


def test_one_bad_row_among_500_changes_nothing_and_names_row_and_column(client, coordinator, small_programme):
    book = Workbook()
    sheet = book.active
    sheet.title = "Fiches"
    sheet.append(["N° interne", "Version", "Convention", "Code", "Intitulé", "Commune", "Coût (€)"])
    fiche = small_programme["fiches"][0]
    convention, commune = fiche.convention.key, fiche.territory.name
    for number in range(500):
        cost = "beaucoup" if number == 321 else 1000 + number
        sheet.append([None, None, convention, f"FB {number}", f"Fiche importée {number}", commune, cost])
    buffer = io.BytesIO()
    book.save(buffer)
    before = fingerprint()
    record, response = _import(client, coordinator, "fiches", buffer.getvalue())
    assert record.problems == [
        {"sheet": "Fiches", "row": 323, "column": "Coût (€)", "message": "nombre attendu, trouvé « beaucoup »"}
    ]
    assert not record.can_confirm
    assert "Confirmer l'import" not in response.content.decode()
    assert fingerprint() == before


def test_a_write_refused_at_confirmation_rolls_every_row_back(client, coordinator, small_programme):
    content = fiche_list_xlsx(coordinator)
    first, second = row_of(content, "Fiches", "Code", "FA 1"), row_of(content, "Fiches", "Code", "FA 3")
    # Two fiches may not share a code within a convention: the preview cannot see it (a database rule), the
    # confirmation does — and the other fiche's change is undone with it.
    changed = edited(content, "Fiches", {(first, "Intitulé"): "Nouveau titre", (second, "Code"): "FA 2"})
    record, _response = _import(client, coordinator, "fiches", changed)
    assert record.can_confirm, record.problems
    before = fingerprint()
    client.post(reverse("exchange:import_confirm", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED
    assert record.errors and record.errors[0]["row"] == second
    assert fingerprint() == before
    assert Action.objects.get(code="FA 1").title == "Place du marché"


def test_a_row_changed_since_the_export_is_a_conflict(client, coordinator, small_programme):
    content = fiche_list_xlsx(coordinator)
    fiche = small_programme["fiches"][0]
    Action.objects.filter(pk=fiche.pk).update(version=5)
    row = row_of(content, "Fiches", "Code", "FA 1")
    record, _response = _import(client, coordinator, "fiches", edited(content, "Fiches", {(row, "Intitulé"): "X"}))
    [problem] = record.problems
    assert problem["row"] == row and "modifiée depuis l'export (version 5" in problem["message"]


def test_referent_imports_only_the_fiches_it_may_edit(client, referent_bethune, small_programme):
    content = fiche_list_xlsx(referent_bethune)
    own, other = row_of(content, "Fiches", "Code", "FA 1"), row_of(content, "Fiches", "Code", "FA 3")
    changed = edited(content, "Fiches", {(own, "Intitulé"): "Par le référent", (other, "Intitulé"): "Pas à lui"})
    before = fingerprint()
    record, _response = _import(client, referent_bethune, "fiches", changed)
    assert [(problem["row"], problem["message"]) for problem in record.problems] == [
        (other, "vous ne pouvez pas modifier la fiche FA 3")
    ]
    assert fingerprint() == before


def test_partner_changes_its_own_line_but_cannot_reach_another_funders_by_editing_ids(
    client, partner_bdt, small_programme
):
    lines = small_programme["lines"]
    content = funding_workbook_xlsx(partner_bdt)
    own = row_of(content, "Financements", "N° interne", lines["bdt"].pk)
    # The partner's file shows the Région's settled line (not its negotiation): retargeting its own row at the
    # Région's lines, visible or not, is « ligne inconnue », whichever it is.
    for target in (lines["region"].pk, lines["region_granted"].pk, 999_999):
        hacked = edited(content, "Financements", {(own, "N° interne"): target, (own, "État"): "sollicité"})
        WorkbookImport.objects.all().delete()
        before = fingerprint()
        record, _response = _import(client, partner_bdt, "financements", hacked)
        assert [(problem["row"], problem["message"]) for problem in record.problems] == [
            (own, f"ligne de financement inconnue (n° interne {target})")
        ], target
        assert fingerprint() == before

    WorkbookImport.objects.all().delete()
    amount = edited(content, "Financements", {(own, "Montant (€)"): 99})
    record, _response = _import(client, partner_bdt, "financements", amount)
    assert [problem["column"] for problem in record.problems] == ["Montant (€)"]

    WorkbookImport.objects.all().delete()
    state = edited(content, "Financements", {(own, "État"): "sollicité", (own, "Référence de la décision"): "D-1"})
    record, _response = _import(client, partner_bdt, "financements", state)
    assert record.can_confirm, record.problems
    client.post(reverse("exchange:import_confirm", args=[record.pk]))
    line = FundingLine.objects.get(pk=lines["bdt"].pk)
    assert (line.status, line.decision_reference) == ("requested", "D-1")
    assert line.history.first().history_user == partner_bdt


@pytest.mark.parametrize("persona", ["committee_member", "partner_bdt"])
def test_who_may_not_import_fiches_is_refused(client, persona, request, small_programme):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = upload(client, "fiches", fiche_list_xlsx(user))
    assert response.status_code in (400, 403)
    assert not WorkbookImport.objects.exists()


def test_coordinator_changes_a_grid_value_and_adds_one(client, coordinator, db):
    from evaluation.models import IndicatorValue
    from exchange.exports import grid_values_xlsx
    from tests import factories as f

    value = f.IndicatorValueFactory(value=Decimal("12"))
    content = grid_values_xlsx(coordinator)
    row = row_of(content, "Valeurs", "N° interne", value.pk)
    new_period = "2019" if value.period.label != "2019" else "2020"
    changed = edited(
        content,
        "Valeurs",
        {
            (row, "Valeur"): "13,5",
            (row + 1, "N° de l'indicateur"): value.indicator_id,
            (row + 1, "Territoire"): value.territory.name if value.territory else None,
            (row + 1, "Quartier prioritaire"): value.neighbourhood.key if value.neighbourhood else None,
            (row + 1, "Période"): new_period,
            (row + 1, "Série"): "mesuré",
            (row + 1, "Valeur"): 7,
        },
    )
    record, _response = _import(client, coordinator, "grille", changed)
    assert record.problems == [] and record.counts == {"created": 1, "updated": 1, "unchanged": 0}
    client.post(reverse("exchange:import_confirm", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == ImportStatus.CONFIRMED, record.errors
    value.refresh_from_db()
    assert value.value == Decimal("13.5") and value.history.first().history_user == coordinator
    assert IndicatorValue.objects.count() == 2
