"""The pages of the convention and its avenants: what each role receives (documents, fiches, balance), and the
balance's differences recorded as quality notes."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from actions.models import Action, QualityNote
from actions.services import balance_notes_record
from conventions.models import Amendment, BalanceItem, Convention
from tests import factories as f


def _codes_linked(body):
    """The fiche codes the page links to (a link to a fiche page carries its code as text)."""
    return set(re.findall(r'href="/fiches/\d+/">([^<]+)</a>', body))


@pytest.fixture
def documents(reference_data):
    return {
        "convention": Convention.objects.get(key="acv-2018"),
        "avenant": Amendment.objects.get(key="avenant-2"),
    }


def test_a_partner_lists_only_the_documents_it_signed(client, reference_data, partner_bdt, partner_region):
    client.force_login(partner_bdt)
    body = client.get(reverse("actions:document_list")).content.decode()
    # The Banque des Territoires signed the convention and avenant n°2, not avenant n°1 (whose text is not there).
    assert "Convention cadre pluriannuelle Action Cœur de Ville" in body
    assert "Avenant n°2" in body
    assert "Avenant n°1" not in body
    client.force_login(partner_region)
    body = client.get(reverse("actions:document_list")).content.decode()
    assert "Avenant n°2" not in body
    assert "Vous ne lisez aucun document" in body


def test_a_partner_that_did_not_sign_the_document_does_not_read_it(client, documents, partner_region):
    client.force_login(partner_region)
    for url in (
        reverse("actions:convention_detail", args=[documents["convention"].pk]),
        reverse("actions:amendment_detail", args=[documents["avenant"].pk]),
        reverse("evaluation:amendment_annex_pdf", args=[documents["avenant"].pk]),
    ):
        assert client.get(url).status_code == 404


def test_the_avenant_lists_its_fiches_and_links_those_the_reader_sees(client, documents, partner_bdt, coordinator):
    url = reverse("actions:amendment_detail", args=[documents["avenant"].pk])
    client.force_login(coordinator)
    body = client.get(url).content.decode()
    assert len(_codes_linked(body) & {f"FA {n}" for n in range(1, 66)}) == 22
    client.force_login(partner_bdt)
    body = client.get(url).content.decode()
    seen = set(Action.objects.visible_to(partner_bdt).filter(amendment__key="avenant-2").values_list("code", flat=True))
    # The list is the avenant's own text (Article 7.1): every fiche is named; only those the partner sees link.
    for code in ("FA 1", "FA 45", "FA 61", "FA 65"):
        assert f">{code}<" in body
    assert _codes_linked(body) == seen
    assert "FA 42" in seen and "FA 45" not in seen


def test_the_parties_are_shown_with_their_role_and_representative(client, documents, committee_member):
    client.force_login(committee_member)
    body = client.get(reverse("actions:convention_detail", args=[documents["convention"].pk])).content.decode()
    assert "Gaëlle VELAY" in body and "Directrice Régionale" in body
    assert "Partenaire local" in body  # the Agence d'Urbanisme de l'Artois in 2018
    assert "24 septembre 2018" in body
    assert "Article 5 – Durée, évolution et fonctionnement général de la convention" in body


def test_the_roles_that_read_everything_get_the_balance_next_to_the_fiches_figures(client, documents, coordinator):
    client.force_login(coordinator)
    body = client.get(reverse("actions:amendment_detail", args=[documents["avenant"].pk])).content.decode()
    assert "Selon les fiches" in body
    assert "2\u202f242\u202f000,00\xa0€" in body or "2 242 000" in body.replace("\u202f", " ").replace("\xa0", " ")
    assert "Notes de qualité du bilan" in body
    assert "22 selon le document, 1 d&#x27;après les fiches" in body


def test_a_signatory_partner_reads_the_balance_as_written_but_not_the_fiches_figures(client, documents, partner_bdt):
    client.force_login(partner_bdt)
    body = client.get(reverse("actions:amendment_detail", args=[documents["avenant"].pk])).content.decode()
    assert "2,242 M€" in body  # the document's sentence
    assert "Selon les fiches" not in body
    assert "Notes de qualité" not in body
    assert "AM.7" not in body  # the fiche the computed figure names


# --- The balance's notes, on a programme built by hand -------------------------------------------------


@pytest.fixture
def balance(db, bethune, bdt):
    convention = f.ConventionFactory(key="acv-bilan")
    avenant = f.AmendmentFactory(convention=convention, number=2)
    fiches = [
        f.ActionFactory(convention=convention, code=f"AM.{n}", territory=bethune, status=status)
        for n, status in enumerate(["delivered", "delivered", "planned", "unknown"], start=1)
    ]
    f.FundingLineFactory(action=fiches[0], funder=bdt, amount=Decimal("30000.00"), status="granted")
    # Introduced by the avenant itself: outside the period its balance reviews.
    f.ActionFactory(convention=convention, amendment=avenant, code="FA 1", territory=bethune, status="delivered")
    items = {
        measure: BalanceItem.objects.create(
            convention=convention,
            amendment=avenant,
            territory=bethune,
            measure=measure,
            stated_value=Decimal(value),
            stated_text=f"{value} (tel qu'écrit)",
            source="Annexe 1",
        )
        for measure, value in (
            ("delivered", "3"),
            ("delivered_funded", "1"),
            ("funded_amount", "30000"),
            ("to_start", "1"),
        )
    }
    return avenant, fiches, items


def test_only_the_figures_that_differ_become_notes_and_a_second_run_writes_nothing(balance):
    avenant, _fiches, _items = balance
    written = balance_notes_record(amendment=avenant)
    # 2 delivered among the fiches of the period (not FA 1, brought by the avenant) against 3 written; the funded
    # one, its amount and the one to start agree.
    assert [(note.balance_item.measure, created) for note, created in written] == [("delivered", True)]
    note = QualityNote.objects.get(amendment=avenant)
    assert "3 selon le document, 2 d'après les fiches" in note.description
    assert "AM.1, AM.2" in note.values[1]["value"]
    assert balance_notes_record(amendment=avenant) == []


def test_a_note_is_closed_when_the_fiches_give_the_figure_back(balance):
    avenant, fiches, items = balance
    balance_notes_record(amendment=avenant)
    Action.objects.filter(pk=fiches[3].pk).update(status="delivered")  # a third delivered fiche, as written
    assert balance_notes_record(amendment=avenant) == []
    note = QualityNote.objects.get(amendment=avenant, balance_item=items["delivered"])
    assert not note.is_open
    assert "désormais" in note.resolution


def test_an_amount_is_never_compared_across_ht_and_ttc(balance, region):
    avenant, fiches, _items = balance
    f.FundingLineFactory(action=fiches[1], funder=region, amount=Decimal("1000.00"), status="paid", basis="HT")
    written = {note.balance_item.measure: note for note, _created in balance_notes_record(amendment=avenant)}
    assert "HT et TTC ne s'additionnent pas" in written["funded_amount"].description


def test_the_coordination_records_the_notes_from_the_page(client, balance, coordinator, referent_bethune):
    avenant, _fiches, _items = balance
    url = reverse("actions:balance_notes", args=[avenant.pk])
    client.force_login(referent_bethune)
    assert client.post(url).status_code == 403
    assert not QualityNote.objects.filter(amendment=avenant).exists()
    client.force_login(coordinator)
    response = client.post(url, follow=True)
    assert QualityNote.objects.filter(amendment=avenant, is_open=True).count() == 1
    assert "1 note(s) de qualité créée(s) ou mise(s) à jour." in response.content.decode()


def test_a_document_page_runs_the_same_queries_for_few_and_many_fiches(client, coordinator, django_assert_num_queries):
    """The avenant's page lists its fiches in a fixed number of queries (no query per fiche, per link…)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actions.models import ActionDocument

    convention = f.ConventionFactory(key="acv-pages")
    avenant = f.AmendmentFactory(convention=convention, number=2)
    url = reverse("actions:amendment_detail", args=[avenant.pk])
    client.force_login(coordinator)

    def add(count, tag):
        commune = f.OrganisationFactory(key=f"commune-{tag}", kind="commune")
        for n in range(count):
            fiche = f.ActionFactory(convention=convention, amendment=avenant, code=f"{tag}.{n}", territory=commune)
            ActionDocument.objects.create(
                action=fiche, convention=convention, amendment=avenant, kind="introduced", reference="Article 7.1"
            )
            f.SignatoryFactory(
                convention=convention, amendment=avenant, organisation=f.OrganisationFactory(key=f"signe-{tag}-{n}")
            )

    counts = []
    for count, tag in ((2, "P"), (7, "Q")):
        add(count, tag)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url).content.decode()
        counts.append(len(queries))
    assert body.count('href="/fiches/') >= 9
    assert counts[0] == counts[1], counts


def test_dates_of_the_document_are_written_the_french_way(client, documents, coordinator):
    client.force_login(coordinator)
    body = client.get(reverse("actions:amendment_detail", args=[documents["avenant"].pk])).content.decode()
    assert "du 1 janvier 2024 au 31 décembre 2026" in body
    assert "date laissée en blanc par le document" in body
    assert datetime.date(2024, 1, 1).isoformat() not in body
