"""The reference programme as a whole: the avenant's plan, the counts, the sums, the contradictions.

Expected values written from the source documents (not the fixtures):
- C = /work/shared/seeds/000_cc1099bc83ab0b98.txt (convention-cadre 2018, Article 6 and Annexe 6);
- A = /work/shared/seeds/001_4a2fc89b25bea6bb.txt (avenant n°2, Article 7.1 and Annexe 2).
"""

import re
import unicodedata
from decimal import Decimal

import pytest

from actions.models import Action

D = Decimal

# Avenant n°2, Article 7.1 "Plan d'action global" (A 554-642): (code, commune / maître d'ouvrage, sous-axe, line).
ARTICLE_7_1 = [
    ("FA 1", "cabbalr", "1.2", 562),
    ("FA 61", "cabbalr", "1.6", 566),
    ("FA 48", "bethune", "2.2", 572),
    ("FA 65", "bethune", "2.2", 575),
    ("FA 51", "bruay", "2.4", 579),
    ("FA 43", "bethune", "2.5", 583),
    ("FA 64", "bethune", "2.5", 585),
    ("FA 41", "bethune", "3.1", 591),
    ("FA 59", "cabbalr", "3.3", 595),
    ("FA 57", "cabbalr", "3.4", 599),
    ("FA 58", "cabbalr", "3.4", 601),
    ("FA 60", "cabbalr", "3.4", 603),
    ("FA 53", "bruay", "3.6", 607),
    ("FA 52", "bruay", "4.1", 614),
    ("FA 42", "bethune", "4.2", 618),
    ("FA 62", "bethune", "4.2", 620),
    ("FA 63", "bethune", "4.2", 623),
    ("FA 45", "bethune", "4.3", 627),
    ("FA 54", "bruay", "4.4", 631),
    ("FA 55", "bruay", "4.4", 633),
    ("FA 56", "bruay", "4.4", 636),
    ("FA 44", "bethune", "5.2", 642),
]
PLAN_CODES = {code for code, *_ in ARTICLE_7_1}
# Numbers that Article 7.1 does not use: the numbering has gaps, and they must stay gaps.
ABSENT_FA_NUMBERS = [2, 3, 40, 46, 47, 49, 50, 66]


def test_article_7_1_has_22_lines():
    assert len(ARTICLE_7_1) == len(PLAN_CODES) == 22


@pytest.mark.parametrize(("code", "owner", "sub_axis", "line"), ARTICLE_7_1, ids=[row[0] for row in ARTICLE_7_1])
def test_article_7_1_line_is_a_fiche_of_the_avenant(reference_data, code, owner, sub_axis, line):
    action = Action.objects.select_related("amendment", "sub_axis", "project_owner").filter(code=code).first()
    assert action is not None, f"{code} (avenant n°2 Article 7.1, line {line}) is missing"
    assert action.kind == "fiche"
    assert action.amendment is not None
    assert action.amendment.key == "avenant-2"
    assert action.sub_axis is not None, f"{code}: sous-axe {sub_axis} (line {line}) missing"
    assert action.sub_axis.code == sub_axis
    assert action.project_owner is not None
    assert action.project_owner.key == owner
    # the axe of the sous-axe is one of the fiche's axes
    assert sub_axis.split(".")[0] in {axis.number for axis in action.axes.all()}


def _fa_number(code):
    match = re.fullmatch(r"\s*F\.?\s*A\.?\s*0*(\d+)\s*", code, flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


def test_no_fa_code_outside_article_7_1(reference_data):
    fa_codes = {code for code in Action.objects.values_list("code", flat=True) if _fa_number(code) is not None}
    assert fa_codes == PLAN_CODES


@pytest.mark.parametrize("number", ABSENT_FA_NUMBERS)
def test_gaps_in_the_numbering_stay_gaps(reference_data, number):
    assert not [code for code in Action.objects.values_list("code", flat=True) if _fa_number(code) == number]


def test_every_fiche_of_the_avenant_got_its_number(reference_data):
    codes = set(Action.objects.filter(amendment__key="avenant-2").values_list("code", flat=True))
    assert codes == PLAN_CODES


def test_counts_by_kind(reference_data):
    assert Action.objects.filter(convention__programme__code="acv", kind="diagnostic").count() == 6
    assert Action.objects.filter(convention__programme__code="acv", kind="mature").count() == 25
    assert Action.objects.filter(convention__programme__code="acv", kind="fiche").count() == 22
    assert Action.objects.filter(convention__programme__code="acv").count() == 53


# --- sums --------------------------------------------------------------------------------------------------


def _low(item):
    return item.cost_amount if item.cost_amount is not None else item.cost_min


def _high(item):
    return item.cost_amount if item.cost_amount is not None else item.cost_max


def sum_mismatches(action):
    """Where a fiche's operations or funding lines do not add up to its cost: ["operations", "funding"].

    Only a one-off cost that is a number (exact or estimated) can be compared; a range only bounds it.
    Operations: when every operation has a cost, the cost must lie between the sums of their low and
    high figures; when some are unknown, the known ones must not exceed it.
    Funding (refused lines left out): the known amounts must not exceed the cost; and when the plan is
    complete (the maître d'ouvrage's own share is a line, or the shares add up to 100 %) and every amount
    is known, they must add up to the cost.
    """
    if action.cost_per_year:
        return []
    low, high = _low(action), _high(action)
    if low is None:
        return []
    found = []

    operations = [op for op in action.operations.all() if not op.cost_per_year]
    known = [op for op in operations if op.cost_kind != "unknown"]
    if known:
        ops_low = sum((_low(op) for op in known), D(0))
        ops_high = sum((_high(op) for op in known), D(0))
        if len(known) == len(operations):
            if ops_high < low or ops_low > high:
                found.append("operations")
        elif ops_low > high:
            found.append("operations")

    lines = [line for line in action.funding_lines.all() if line.status != "refused"]
    if lines:
        total = sum((line.amount for line in lines if line.amount is not None), D(0))
        every_amount_known = all(line.amount is not None for line in lines)
        shares = [line.share for line in lines if line.share is not None]
        complete = any(line.funder_id == action.project_owner_id for line in lines) or (shares and sum(shares) == 100)
        if total > high or (complete and every_amount_known and action.cost_amount is not None and total != low):
            found.append("funding")
    return found


def _actions():
    return Action.objects.prefetch_related("operations", "funding_lines", "quality_notes").order_by("code")


def test_every_sum_mismatch_is_flagged(reference_data):
    unflagged = []
    for action in _actions():
        mismatches = sum_mismatches(action)
        if mismatches and not any(note.is_open for note in action.quality_notes.all()):
            unflagged.append((action.code, mismatches))
    assert not unflagged, f"sums that disagree with the cost and carry no open quality note: {unflagged}"


# The mismatches the documents themselves contain.
EXPECTED_MISMATCHES = [
    # C 606-607: cost 7 927 732,94 € TTC; funders 2 283 824 + 1 082 444 + 2 026 450 + 1 723 250 = 7 115 968 €
    # (34 % + 15 % + 28 % + 23 % = 100 %).
    ("AM.3", "funding"),
    # C 659, 668-669: budget 764 000 € TTC; operations 740 000 + 29 000 = 769 000 €.
    ("AM.5", "operations"),
]


@pytest.mark.parametrize(("code", "kind"), EXPECTED_MISMATCHES, ids=[f"{c}-{k}" for c, k in EXPECTED_MISMATCHES])
def test_known_mismatch_is_there_and_flagged(reference_data, code, kind):
    action = _actions().get(code=code)
    assert kind in sum_mismatches(action), f"{code}: the documents' {kind} do not add up to the cost"
    assert any(note.is_open for note in action.quality_notes.all()), f"{code}: no open quality note"


# --- contradictions the product must show ------------------------------------------------------------------


def _flatten(value):
    if isinstance(value, dict):
        return " ".join(_flatten(item) for item in value.values())
    if isinstance(value, list | tuple):
        return " ".join(_flatten(item) for item in value)
    return "" if value is None else str(value)


def note_text(note):
    """A note's field, description and values as one lower-case text with single spaces."""
    text = f"{note.field} {note.description} {_flatten(note.values)}"
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    return re.sub(r"\s+", " ", text).casefold()


def figures(note):
    """The note without spaces and with ",00" / ".00" dropped: "7 115 968,00 €" → "7115968€"."""
    return re.sub(r"(\d)[.,]00(?!\d)", r"\1", note_text(note).replace(" ", ""))


def mentions_all(*parts):
    return lambda note: all(part in figures(note) for part in parts)


def mentions_any(*parts):
    return lambda note: any(part in figures(note) for part in parts)


def about_axes(*numbers):
    """A note whose values name each of these axes ("Axe 4", "Axe 4.2 – …")."""
    return lambda note: all(re.search(rf"\baxe\s*{n}\b", note_text(note)) for n in numbers)


CONTRADICTIONS = [
    # C 384 (table) 80 000 vs C 1003 (fiche) 40 000 € TTC.
    ("AM.18", "budget 80 000 (Article 6.3) vs 40 000 (Annexe 6)", mentions_all("80000", "40000")),
    # C 394 (table) 50 000 €/an vs C 1158 (fiche) 40 000 € (TTC) per year.
    ("AM.24", "budget 50 000 €/an (Article 6.3) vs 40 000 (Annexe 6)", mentions_all("50000", "40000")),
    # C 394: financeur ANAH only; C 1159 / 1165: CABBALR (50 %) ANAH (50 %).
    ("AM.24", "funders ANAH (Article 6.3) vs CABBALR 50 % + ANAH 50 % (Annexe 6)", mentions_all("anah", "cabbalr")),
    # C 606-607: four funders adding up to 7 115 968 € for a cost of 7 927 732,94 €.
    (
        "AM.3",
        "funders add up to 7 115 968, not 7 927 732,94",
        lambda note: (
            mentions_all("7927732")(note)
            and (mentions_all("7115968")(note) or mentions_all("2283824", "1082444", "2026450", "1723250")(note))
        ),
    ),
    # A 620 (Article 7.1): axe 4, sous-axe 4.2; A 1895-1897 (fiche): Axe 2, "2.4 – Requalification…".
    ("FA 62", "axe 4 (Article 7.1) vs axe 2 (Annexe 2)", about_axes("2", "4")),
    # C 395: the AM.25 row is printed "AM.25 AM 26 Etudes pré-opérationnelles OPAH-RU".
    ("AM.25", "code printed AM 26 in the AM.25 row", mentions_any("am26", "am.26")),
    # A 2953-2960: FA 60's objectives are word for word FA 59's (A 2866-2873, the parking-relais).
    (
        "FA 60",
        "objectives copied from FA 59",
        lambda note: "objecti" in note_text(note) and any(s in figures(note) for s in ("fa59", "parking")),
    ),
]

# Further disagreements between the documents found while writing this suite (same rule: shown, not picked).
FURTHER_CONTRADICTIONS = [
    # C 668-669: operations 740 000 + 29 000 = 769 000 vs budget 764 000 (C 659).
    (
        "AM.5",
        "operations add up to 769 000, budget 764 000",
        lambda note: (
            mentions_all("764000")(note) and (mentions_all("769000")(note) or mentions_all("740000", "29000")(note))
        ),
    ),
    # C 366: table names DSIL; C 660 / 668: fiche names "FSIL 2018".
    ("AM.5", "DSIL (Article 6.3) vs FSIL (Annexe 6)", mentions_all("dsil", "fsil")),
    # A 642: Article 7.1 files it under axe 5 (5.2); A 1702: fiche "Axe 4 – Aménager durablement…".
    ("FA 44", "axe 5 (Article 7.1) vs axe 4 (Annexe 2)", about_axes("4", "5")),
    # A 585: Article 7.1 sous-axe 2.5; A 2077: fiche "2.6 – Développement économique, artisanal et industriel".
    ("FA 64", "sous-axe 2.5 (Article 7.1) vs 2.6 (Annexe 2)", mentions_all("2.5", "2.6")),
    # A 614: Article 7.1 sous-axe 4.1; A 2313: fiche "4.3 – Réhabilitation et mise en valeur des patrimoines".
    ("FA 52", "sous-axe 4.1 (Article 7.1) vs 4.3 (Annexe 2)", mentions_all("4.1", "4.3")),
    # A 620: Article 7.1 sous-axe 4.2; A 1897: fiche "2.4 – Requalification de l'espace public".
    ("FA 62", "sous-axe 4.2 (Article 7.1) vs 2.4 (Annexe 2)", mentions_all("4.2", "2.4")),
]


def _check_contradiction(code, what, matches):
    action = Action.objects.prefetch_related("quality_notes").get(code=code)
    notes = list(action.quality_notes.all())
    assert any(matches(note) for note in notes), (
        f"{code}: no quality note shows « {what} »; notes: {[(n.field, n.description, n.values) for n in notes]}"
    )


@pytest.mark.parametrize(("code", "what", "matches"), CONTRADICTIONS, ids=[f"{c}: {w}" for c, w, _ in CONTRADICTIONS])
def test_contradiction_is_shown(reference_data, code, what, matches):
    _check_contradiction(code, what, matches)


@pytest.mark.parametrize(
    ("code", "what", "matches"), FURTHER_CONTRADICTIONS, ids=[f"{c}: {w}" for c, w, _ in FURTHER_CONTRADICTIONS]
)
def test_further_contradiction_is_shown(reference_data, code, what, matches):
    _check_contradiction(code, what, matches)


def test_fa_62_keeps_both_axes(reference_data):
    action = Action.objects.get(code="FA 62")
    assert {axis.number for axis in action.axes.all()} >= {"2", "4"}


def test_fa_44_keeps_both_axes(reference_data):
    action = Action.objects.get(code="FA 44")
    assert {axis.number for axis in action.axes.all()} >= {"4", "5"}
