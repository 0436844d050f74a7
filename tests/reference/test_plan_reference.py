"""What each document does to the fiches, the links between periods and the avenant's balance, checked against
a table written by reading the documents (not the fixtures).

- C = 000_cc1099bc83ab0b98.txt, convention-cadre of 24 September 2018: Article 6.1 lists the diagnostic
  studies D.1 to D.6; Article 6.3 lists the actions matures AM.1 to AM.14 (Béthune), AM.15 to AM.23
  (Bruay-La-Buissière), AM.24 and AM.25 (CABBALR), detailed in Annexe 6.
- A = 001_4a2fc89b25bea6bb.txt, avenant n°2: Article 7.1 lists FA 1, FA 61, FA 48, FA 65, FA 51, FA 43, FA 64,
  FA 41, FA 59, FA 57, FA 58, FA 60, FA 53, FA 52, FA 42, FA 62, FA 63, FA 45, FA 54, FA 55, FA 56, FA 44 (by
  axe), detailed in Annexe 2. Neither document says it changes or abandons a named fiche: Annexe 1 announces
  tables of delivered / ongoing / abandoned actions that the text does not hold, and its Béthune balance
  counts « 5 actions […] abandonnées ou réorientées » without naming them.
- Neither document writes a link « FA x ← AM.y » with both codes: every link is read from the fiches' content
  and must be marked inferred, with its reason.
- A, Annexe 1, 2. Bilan qualitatif, Béthune: « 22 actions ont été réalisées depuis 2018, dont 14 ayant bénéficié
  d'un financement Action Cœur de Ville pour un montant total de 2,242 M€. 5 actions ont été abandonnées ou
  réorientées, et 11 restent à engager. »
"""

from decimal import Decimal

import pytest

from actions.models import Action, ActionDocument, ActionLink, ActionSnapshot, QualityNote
from conventions.models import BalanceItem, DocumentArticle

DIAGNOSTIC = [f"D.{n}" for n in range(1, 7)]
MATURE = [f"AM.{n}" for n in range(1, 26)]
PLAN_2023 = [
    "FA 1",
    "FA 61",
    "FA 48",
    "FA 65",
    "FA 51",
    "FA 43",
    "FA 64",
    "FA 41",
    "FA 59",
    "FA 57",
    "FA 58",
    "FA 60",
    "FA 53",
    "FA 52",
    "FA 42",
    "FA 62",
    "FA 63",
    "FA 45",
    "FA 54",
    "FA 55",
    "FA 56",
    "FA 44",
]

# (document, kind, reference must mention) → fiches, as the documents list them.
STATED = {
    (None, "introduced", "Article 6.1"): set(DIAGNOSTIC),
    (None, "introduced", "Article 6.3"): set(MATURE),
    ("avenant-2", "introduced", "Article 7.1"): set(PLAN_2023),
}

# AM / D → FA, each inferred from the fiches' content (see the module docstring).
LINKS = {
    ("AM.7", "FA 45"): "takes_over",  # the mise en lumière of the Beffroi, phase 3 of AM.7, back in 2024-2026
    ("D.1", "FA 1"): "continues",  # pre-operational OPAH-RU study → suivi-animation of the OPAH-RU
    ("AM.25", "FA 1"): "continues",
    ("AM.17", "FA 54"): "continues",  # the public spaces' maîtrise d'œuvre study → its works
    ("AM.17", "FA 55"): "continues",
    ("AM.17", "FA 56"): "continues",
    ("AM.21", "FA 56"): "continues",  # first works in rue Hermant → the whole street
}

BALANCE = {
    "delivered": Decimal("22"),
    "delivered_funded": Decimal("14"),
    "funded_amount": Decimal("2242000"),
    "abandoned": Decimal("5"),
    "to_start": Decimal("11"),
}


def test_each_document_introduces_the_fiches_it_lists_and_nothing_else(reference_data):
    relations = list(ActionDocument.objects.select_related("action", "amendment"))
    found = {}
    for relation in relations:
        key = next(
            (
                key
                for key in STATED
                if key[0] == getattr(relation.amendment, "key", None)
                and key[1] == relation.kind
                and key[2] in relation.reference
            ),
            None,
        )
        assert key is not None, f"{relation.action.code}: {relation.kind} in {relation.reference}, not in the documents"
        found.setdefault(key, set()).add(relation.action.code)
    assert found == STATED
    assert not [relation for relation in relations if relation.kind in ("changed", "abandoned")]


def test_the_fiches_of_the_avenant_are_those_of_its_article_7_1(reference_data):
    assert set(Action.objects.filter(amendment__key="avenant-2").values_list("code", flat=True)) == set(PLAN_2023)
    assert len(PLAN_2023) == 22


def test_links_between_periods_are_those_read_from_the_fiches_and_marked_inferred(reference_data):
    links = {
        (link.earlier.code, link.later.code): link for link in ActionLink.objects.select_related("earlier", "later")
    }
    assert {pair: link.kind for pair, link in links.items()} == LINKS
    for pair, link in links.items():
        assert link.inferred, f"{pair}: no document writes this link with its codes"
        assert len(link.reason) > 80, f"{pair}: an inferred link says why"
        assert link.reference == ""


def test_every_fiche_a_document_carries_is_frozen_as_that_document_signed_it(reference_data):
    carried = set(
        ActionDocument.objects.filter(kind__in=("introduced", "changed")).values_list(
            "action_id", "convention_id", "amendment_id"
        )
    )
    frozen = set(ActionSnapshot.objects.values_list("action_id", "convention_id", "amendment_id"))
    assert frozen == carried
    snapshot = ActionSnapshot.objects.get(action__code="FA 54", amendment__key="avenant-2")
    assert snapshot.origin == "reference"
    assert snapshot.data["fields"]["cost_amount"] == "1712934.00"  # « Coût total 1 712 934 € TTC »
    assert [line["funder"][1] for line in snapshot.data["funding_lines"]] == [
        line.funder.name for line in Action.objects.get(code="FA 54").funding_lines.order_by("position", "pk")
    ]


def test_the_balance_is_stored_as_the_avenant_writes_it(reference_data):
    items = {item.measure: item for item in BalanceItem.objects.filter(amendment__key="avenant-2")}
    assert {measure: item.stated_value for measure, item in items.items()} == BALANCE
    assert all(item.territory.key == "bethune" for item in items.values())
    assert "2,242 M€" in items["funded_amount"].stated_text
    assert "11 restent à engager" in items["to_start"].stated_text


def test_each_figure_the_fiches_do_not_give_back_is_an_open_quality_note_of_the_avenant(reference_data):
    notes = {
        note.balance_item.measure: note
        for note in QualityNote.objects.filter(amendment__key="avenant-2").select_related("balance_item")
    }
    # Of the Béthune fiches of the 2018 convention, the documents give only AM.7 as delivered (its bilan) and
    # none as abandoned or still to start: every figure of the balance differs.
    assert set(notes) == set(BALANCE)
    assert all(note.is_open and note.action_id is None for note in notes.values())
    assert "22 selon le document, 1 d'après les fiches" in notes["delivered"].description
    assert "AM.7" in notes["delivered"].values[1]["value"]
    assert notes["delivered"].values[0]["value"].startswith("Parmi les projets identifiés, 22 actions")


def test_the_articles_that_matter_are_summarised_for_both_documents(reference_data):
    references = set(DocumentArticle.objects.values_list("amendment__key", "reference"))
    for wanted in [(None, "Article 5"), (None, "Article 8"), ("avenant-2", "Article 3"), ("avenant-2", "Annexe 1")]:
        assert wanted in references
    article = DocumentArticle.objects.get(amendment__key="avenant-2", reference="Article 4")
    assert "la pilotent, la financent ou la cofinancent" in article.summary


@pytest.mark.parametrize("code", ["FA 45", "FA 1", "AM.17"])
def test_a_link_shows_on_both_fiches(reference_data, client, coordinator, code):
    client.force_login(coordinator)
    fiche = Action.objects.get(code=code)
    page = client.get(fiche.get_absolute_url()).content.decode()
    others = {
        link.earlier.code if link.later_id == fiche.pk else link.later.code
        for link in ActionLink.objects.filter(pk__in=ActionLink.objects.filter(earlier=fiche).values("pk"))
        | ActionLink.objects.filter(later=fiche)
    }
    assert others
    for other in others:
        assert other in page
    assert "lien déduit" in page
