"""The reference programme, fiche by fiche, checked against the source documents.

Every expected value below was written by reading the source documents, not the fixtures:

- C = /work/shared/seeds/000_cc1099bc83ab0b98.txt (convention-cadre of 24 September 2018):
  Article 6.1 table (D.1–D.6, lines 303-311, "Budget (€ TTC)"), Article 6.3 tables (AM.1–AM.25,
  lines 360-395, "Budget (€ TTC)" and "Partenaires Financeurs concernés"), Annexe 6 fiches
  (lines 545-1194).
- A = /work/shared/seeds/001_4a2fc89b25bea6bb.txt (avenant n°2): Article 7.1 (lines 554-642, the FA
  list by axe / sous-axe with the commune or maître d'ouvrage), Annexe 2 (lines 1497-3059, the FA
  fiches, matched to Article 7.1 by title).

Conventions applied:
- where the Article 6.3 table and the Annexe 6 fiche give different budgets, the cost is the fiche's
  figure and a quality note records both;
- a funder named without an amount is a funding line with amount None (unknown is not zero);
- a budget given as several parts with no printed total is "unknown" (its parts are operations);
- "Ville de X" in the "Partenaires Financeurs concernés" column is a funding line of that commune;
- ranges stay ranges; "35 à 40 000 €/an" is a per-year range;
- where Article 7.1 and the fiche's "Axe de rattachement" disagree, the fiche carries both axes;
  the sous-axe is the one of Article 7.1.
"""

import re
import unicodedata
from collections import Counter
from decimal import Decimal

import pytest

from actions.models import Action

D = Decimal


# --- how costs are written --------------------------------------------------------------------------


def exact(amount, basis, per_year=False):
    return {"kind": "exact", "amount": D(amount), "min": None, "max": None, "per_year": per_year, "basis": basis}


def estimated(amount, basis, per_year=False):
    return {"kind": "estimated", "amount": D(amount), "min": None, "max": None, "per_year": per_year, "basis": basis}


def span(low, high, basis, per_year=False):
    return {"kind": "range", "amount": None, "min": D(low), "max": D(high), "per_year": per_year, "basis": basis}


def unknown(basis=""):
    return {"kind": "unknown", "amount": None, "min": None, "max": None, "per_year": False, "basis": basis}


def fiche(code, title, kind, cost, axes, sub_axis, owner, territory, funders, schemes=(), notes=(), src=""):
    """One fiche as the documents write it.

    funders: {organisation key: Decimal amount or None}; schemes: scheme codes that must appear on
    its funding lines; notes: tuples of figures that one quality note's values must all mention.
    """
    return {
        "code": code,
        "title": title,
        "kind": kind,
        "cost": cost,
        "axes": set(axes),
        "sub_axis": sub_axis,
        "owner": owner,
        "territory": territory,
        "funders": funders,
        "schemes": set(schemes),
        "notes": list(notes),
        "src": src,
    }


# --- the table ----------------------------------------------------------------------------------------

DIAGNOSTICS = [
    # Article 6.1 gives no "Axe de rattachement" and no financeur for the diagnostic studies.
    fiche(
        "D.1",
        "OPAH-RU sur les secteurs de Béthune et Bruay",
        "diagnostic",
        estimated("150000", "TTC"),  # "Estimation à 150 000"
        [],
        None,
        "cabbalr",  # the OPAH-RU study is the CABBALR's (AM.25, C 1173-1188)
        "cabbalr",  # both communes
        {},
        src="C 304",
    ),
    fiche(
        "D.2",
        "stratégie commerciale",
        "diagnostic",
        span("150000", "200000", "TTC"),  # "Estimation entre 150 000 et 200 000 à affiner"
        [],
        None,
        "bethune",
        "bethune",  # "du cœur de ville de Béthune"
        {},
        src="C 305",
    ),
    fiche(
        "D.3",
        "observatoire du commerce",
        "diagnostic",
        span("80000", "100000", "TTC"),  # "Estimation entre 80 000 et 100 000"
        [],
        None,
        "aula",  # "(portage AULA)"
        "cabbalr",  # "observatoire du commerce de la CABBALR"
        {},
        src="C 306",
    ),
    fiche(
        "D.4",
        "accessibilité et mobilité",
        "diagnostic",
        span("200000", "300000", "TTC"),  # "Estimation entre 200 000 et 300 000 à affiner"
        [],
        None,
        "cabbalr",
        "cabbalr",  # "aux cœurs de ville de Béthune et Bruay-La-Buissière"
        {},
        src="C 307",
    ),
    fiche(
        "D.5",
        "perception du territoire",
        "diagnostic",
        exact("100000", "TTC"),  # "100 000"
        [],
        None,
        "cabbalr",  # coordinated with the SCoT studies of the CABBALR
        "cabbalr",
        {},
        src="C 308",
    ),
    fiche(
        "D.6",
        "friches béthunoises",
        "diagnostic",
        span("50000", "70000", "TTC"),  # "50 000 à 70 000 €"
        [],
        None,
        "bethune",  # "stratégie communale"
        "bethune",
        {},
        src="C 310",
    ),
]

MATURE_BETHUNE = [
    fiche(
        "AM.1",
        "centre Olympie",
        "mature",
        estimated("26300", "TTC"),  # fiche: "26 300€ TTC (estimation)"
        ["5"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 361, 549-555",
    ),
    fiche(
        "AM.2",
        "salle polyvalente communale",
        "mature",
        exact("50000", "TTC"),
        ["4", "5"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 362, 574-580",
    ),
    fiche(
        "AM.3",
        "passerelle piétonne SNCF",
        "mature",
        exact("7927732.94", "TTC"),
        ["3", "4"],
        None,
        "bethune",
        "bethune",
        # fiche "Modalité de financement" (C 607): Ville 2 283 824, Etat 1 082 444, CABBALR 2 026 450,
        # Région 1 723 250 (the table, C 364, names the same four).
        {"bethune": D("2283824"), "etat": D("1082444"), "cabbalr": D("2026450"), "region": D("1723250")},
        src="C 364, 600-617",
    ),
    fiche(
        "AM.4",
        "patinoire",
        "mature",
        unknown("TTC"),  # "119 910€ (AMO) 40 000 à 50 000€ (chargé de mission)": two parts, no total
        ["2", "5"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 365, 627-643",
    ),
    fiche(
        "AM.5",
        "médiathèque Elie Wiesel",
        "mature",
        exact("764000", "TTC"),
        ["4", "5"],
        None,
        "bethune",
        "bethune",
        # table (C 366): Ville de Béthune, DSIL, DRAC; fiche (C 660): 170 483,75 € du FSIL 2018, 272 774 € DRAC
        {"bethune": None, "etat": D("170483.75"), "drac": D("272774")},
        schemes={"FSIL", "DRAC"},
        src="C 366, 653-669",
    ),
    fiche(
        "AM.6",
        "sortie de contrat de DSP",
        "mature",
        span("30000", "50000", "TTC"),  # "Entre 30 000 et 50 000€ TTC (estimation)"
        ["3"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 367, 679-695",
    ),
    fiche(
        "AM.7",
        "Beffroi",
        "mature",
        exact("1262667.60", "TTC"),
        ["4"],
        None,
        "bethune",
        "bethune",
        {"bethune": None, "drac": None},  # "DRAC (40%) : à confirmer"
        schemes={"DRAC"},
        src="C 368, 706-726",
    ),
    fiche(
        "AM.8",
        "accessibilité PMR du patrimoine remarquable",
        "mature",
        exact("1659239.20", "TTC"),
        ["4"],
        None,
        "bethune",
        "bethune",
        # table: Ville de Béthune, DRAC, CABBALR; fiche: DRAC 40 %, CABBALR fonds de concours accessibilité
        {"bethune": None, "drac": None, "cabbalr": None},
        schemes={"DRAC", "FONDS_CONCOURS"},
        src="C 369, 737-752",
    ),
    fiche(
        "AM.9",
        "fibre noire",
        "mature",
        exact("580000", "TTC"),
        ["5"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 370, 762-778",
    ),
    fiche(
        "AM.10",
        "mise en lumière de la Ville",
        "mature",
        exact("80000", "TTC"),
        ["4"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 371, 788-804",
    ),
    fiche(
        "AM.11",
        "SCIC",
        "mature",
        exact("50000", "TTC"),
        ["2", "3"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 372, 814-830",
    ),
    fiche(
        "AM.12",
        "technicien de salubrité logement",
        "mature",
        span("35000", "40000", "TTC", per_year=True),  # "Recrutement 35 à 40 000€/an"
        ["1"],
        None,
        "bethune",
        "bethune",
        {"bethune": None, "cabbalr": None},  # "Ville de Béthune CABBALR (permis de louer)"
        src="C 373, 840-855",
    ),
    fiche(
        "AM.13",
        "Jardin Public",
        "mature",
        exact("660000", "TTC"),
        ["4"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 374, 865-882",
    ),
    fiche(
        "AM.14",
        "rues Herriot, Pad",
        "mature",
        exact("660000", "TTC"),  # table 660 000 €; fiche 50 000 (MOE) + 610 000 (travaux)
        ["3", "4"],
        None,
        "bethune",
        "bethune",
        {"bethune": None},
        src="C 375, 893-908",
    ),
]

MATURE_BRUAY_CABBALR = [
    fiche(
        "AM.15",
        "Doyelle",
        "mature",
        exact("420000", "TTC"),
        ["1", "2", "3", "4"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        src="C 380, 918-935",
    ),
    fiche(
        "AM.16",
        "Cadot et Leroy",
        "mature",
        exact("450000", "TTC"),
        ["1", "2", "3", "4"],
        None,
        "bruay",
        "bruay",
        {"bruay": None, "epf": None},  # table: Ville de Bruay; fiche: "ACV PPI EPF (?)"
        src="C 382, 945-962",
    ),
    fiche(
        "AM.17",
        "espaces publics du centre-ville",
        "mature",
        exact("520000", "TTC"),
        ["3", "4", "5"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},  # fiche: "Financements ACV et NPRU attendus" (programmes, no funder named)
        src="C 383, 972-987",
    ),
    fiche(
        "AM.18",
        "médiation sociale et numérique",
        "mature",
        exact("40000", "TTC"),  # table (C 384): 80 000; fiche (C 1003): 40 000 € TTC → the fiche's figure
        ["5"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        notes=[("80000", "40000")],
        src="C 384, 997-1012",
    ),
    fiche(
        "AM.19",
        "Maison virtuelle du Projet",
        "mature",
        exact("100000", "TTC"),
        ["5"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        src="C 385, 1022-1040",
    ),
    fiche(
        "AM.20",
        "parkings en sous-sol",
        "mature",
        exact("860000", "TTC"),
        ["2", "3"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        src="C 386, 1050-1070",
    ),
    fiche(
        "AM.21",
        "rue Hermant",
        "mature",
        exact("80000", "TTC"),
        ["3", "4"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        src="C 387, 1081-1096",
    ),
    fiche(
        "AM.22",
        "commerces solidaires",
        "mature",
        exact("600000", "TTC"),
        ["2"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        src="C 388, 1106-1122",
    ),
    fiche(
        "AM.23",
        "Plan directeur de développement du projet",
        "mature",
        exact("40000", "TTC"),
        ["2", "3", "4"],
        None,
        "bruay",
        "bruay",
        {"bruay": None},
        src="C 389, 1130-1145",
    ),
    fiche(
        "AM.24",
        "Chef de projet Action Cœur de Ville",
        "mature",
        # table (C 394): "50 000€/an"; fiche (C 1158): "Budget global annuel 40 000€ (TTC)" → the fiche's
        exact("40000", "TTC", per_year=True),
        [],  # "Ingénierie du programme - Coordination générale du dispositif": no axe number
        None,
        "cabbalr",
        "cabbalr",
        {"anah": None, "cabbalr": None},  # table: ANAH; fiche: CABBALR (50%) ANAH (50%)
        notes=[("50000", "40000")],
        src="C 394, 1153-1165",
    ),
    fiche(
        "AM.25",
        "Etudes pré-opérationnelles OPAH-RU",
        "mature",
        estimated("150000", "TTC"),  # fiche: "150 000€ (estimation)"
        ["1"],
        None,
        "cabbalr",
        "cabbalr",
        {"anah": None, "bdt": None},  # "ANAH Banque des Territoires"
        src="C 395, 1173-1188",
    ),
]

# Article 7.1 (A 554-642) gives axe, sous-axe and commune / maître d'ouvrage; Annexe 2 the rest.
FICHES_2023 = [
    fiche(
        "FA 1",
        "Suivi et animation",
        "fiche",
        # "Suivi et animation : 1 500 000€ / Coût des travaux ANAH : 491 054€ / … CABBALR : 1 032 713€"
        unknown(),
        ["1"],
        "1.2",
        "cabbalr",
        "cabbalr",
        {"anah": None, "cabbalr": None},
        src="A 562, 2747-2813",
    ),
    fiche(
        "FA 61",
        "ancienne clinique Sainte",
        "fiche",
        unknown(),  # "A déterminer"
        ["1"],
        "1.6",
        "cabbalr",
        "cabbalr",
        {},
        src="A 566, 2994-3047",
    ),
    fiche(
        "FA 48",
        "Galerie des Treilles",
        "fiche",
        exact("42800", "HT"),
        ["2"],
        "2.2",
        "bethune",
        "bethune",
        {"bethune": D("42800")},  # "Ville de Béthune : 42 800€ HT"
        src="A 572, 1804-1873",
    ),
    fiche(
        "FA 65",
        "Entrées de ville",
        "fiche",
        unknown("HT"),  # four parts, all HT (22 000 + 17 000 + 34 700 + 4 000), no total printed
        ["2"],
        "2.2",
        "bethune",
        "bethune",
        {},  # "A déterminer"
        src="A 575, 2149-2222",
    ),
    fiche(
        "FA 51",
        "Ma Ville, Mon commerce",
        "fiche",
        unknown(),
        ["2"],
        "2.4",
        "bruay",
        "bruay",
        {"bdt": None},  # "Caisse des Dépôts"
        src="A 579, 2244-2288",
    ),
    fiche(
        "FA 43",
        "Signalétique commerciale",
        "fiche",
        exact("10000", ""),
        ["2"],
        "2.5",
        "bethune",
        "bethune",
        {"bethune": None},  # "• Ville de Béthune"
        src="A 583, 1629-1681",
    ),
    fiche(
        "FA 64",
        "LinkCity",
        "fiche",
        unknown(),
        ["2"],
        "2.5",  # fiche says 2.6 (A 2077)
        "bethune",
        "bethune",
        {},
        src="A 585, 2071-2126",
    ),
    fiche(
        "FA 41",
        "Mobilité durable",
        "fiche",
        exact("120000", ""),
        ["3"],
        "3.1",
        "bethune",
        "bethune",
        {},  # "A déterminer"
        src="A 591, 1501-1549",
    ),
    fiche(
        "FA 59",
        "Parking relais TER Sud",
        "fiche",
        exact("5000000", "HT"),
        ["3"],
        "3.3",
        "cabbalr",
        "cabbalr",
        {},
        src="A 595, 2830-2885",
    ),
    fiche(
        "FA 57",
        "schéma directeur cyclable",
        "fiche",
        unknown(),
        ["3"],
        "3.4",
        "cabbalr",
        "cabbalr",
        {"bdt": None, "ademe": None, "region": None, "departement": None},
        src="A 599, 2587-2661",
    ),
    fiche(
        "FA 58",
        "AVELO 2",
        "fiche",
        exact("280000", ""),  # "280 000€ (enveloppe disponible)"
        ["3"],
        "3.4",
        "cabbalr",
        "cabbalr",
        {"ademe": None},
        schemes={"AVELO"},
        src="A 601, 2674-2727",
    ),
    fiche(
        "FA 60",
        "Eurovélo 5",
        "fiche",
        exact("4415000", "HT"),
        ["3"],
        "3.4",
        "cabbalr",
        "cabbalr",
        {"region": None, "europe": None, "departement": None},  # "Région Hauts-de-France / FEDER / Département"
        schemes={"FEDER"},
        src="A 603, 2904-2977",
    ),
    fiche(
        "FA 53",
        "Diagnostic accessibilité PMR",
        "fiche",
        unknown(),
        ["3"],
        "3.6",
        "bruay",
        "bruay",
        {},  # "En cours d'élaboration"
        src="A 607, 2369-2404",
    ),
    fiche(
        "FA 52",
        "Sonothèque",
        "fiche",
        unknown(),  # "Coût de l'étude : 20 000€ / Installations : A définir"
        ["4"],
        "4.1",  # fiche says 4.3 (A 2313)
        "bruay",
        "bruay",
        {},
        src="A 614, 2306-2349",
    ),
    fiche(
        "FA 42",
        "Jean Monnet II",
        "fiche",
        exact("22000", "TTC"),
        ["4"],
        "4.2",
        "bethune",
        "bethune",
        {"bdt": D("22000")},
        src="A 618, 1567-1615",
    ),
    fiche(
        "FA 62",
        "places en hypercentre",
        "fiche",
        exact("970000", ""),  # "Coût total : 970 000€" = 250 000 + 240 000 + 180 000 + 300 000
        ["2", "4"],  # Article 7.1: axe 4; fiche: "Axe 2 … 2.4 – Requalification de l'espace public"
        "4.2",
        "bethune",
        "bethune",
        {},
        src="A 620, 1891-1953",
    ),
    fiche(
        "FA 63",
        "Boulevard Poincaré",
        "fiche",
        estimated("870000", ""),  # "Coût total estimé : 870 000€" = 800 000 + 70 000
        ["4"],
        "4.2",
        "bethune",
        "bethune",
        {},
        src="A 623, 1982-2044",
    ),
    fiche(
        "FA 45",
        "Mise en lumière du Beffroi",
        "fiche",
        exact("180000", ""),
        ["4"],
        "4.3",
        "bethune",
        "bethune",
        {},
        src="A 627, 1751-1792",
    ),
    fiche(
        "FA 54",
        "Place Nature",
        "fiche",
        exact("1712934", "TTC"),
        ["4"],
        "4.4",
        "bruay",
        "bruay",
        {"cabbalr": D("225000")},
        src="A 631, 2416-2460",
    ),
    fiche(
        "FA 55",
        "coulée verte",
        "fiche",
        exact("350752", "TTC"),
        ["4"],
        "4.4",
        "bruay",
        "bruay",
        {"cabbalr": D("225826")},
        src="A 633, 2482-2522",
    ),
    fiche(
        "FA 56",
        "Aménagement de la rue Hermant",
        "fiche",
        exact("241501", ""),
        ["4"],
        "4.4",
        "bruay",
        "bruay",
        {"cabbalr": D("100625.61")},
        src="A 636, 2534-2573",
    ),
    fiche(
        "FA 44",
        "Signalétique ville au global",
        "fiche",
        unknown(),
        ["4", "5"],  # Article 7.1: axe 5 (5.2); fiche: "Axe 4 – Aménager durablement l'espace urbain…"
        "5.2",
        "bethune",
        "bethune",
        {},
        src="A 642, 1698-1739",
    ),
]

REFERENCE = DIAGNOSTICS + MATURE_BETHUNE + MATURE_BRUAY_CABBALR + FICHES_2023


def test_the_table_covers_the_whole_programme():
    codes = [entry["code"] for entry in REFERENCE]
    assert len(codes) == len(set(codes)) == 53
    assert sum(entry["kind"] == "diagnostic" for entry in REFERENCE) == 6
    assert sum(entry["kind"] == "mature" for entry in REFERENCE) == 25
    assert sum(entry["kind"] == "fiche" for entry in REFERENCE) == 22


# --- the check ------------------------------------------------------------------------------------------


def normalised(text):
    """Case-, apostrophe- and space-insensitive form of a text, to compare titles."""
    text = unicodedata.normalize("NFC", str(text)).replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


def digits_only(text):
    """Figures as bare digits: "80 000 €" and "80000.00" both contain "80000"."""
    text = re.sub(r"[\s\u00a0\u202f]", "", str(text))
    return re.sub(r"(\d)[.,]00(?!\d)", r"\1", text)


def flatten(value):
    """Every text in a JSON value (the values of a quality note), joined."""
    if isinstance(value, dict):
        return " ".join(flatten(item) for item in value.values())
    if isinstance(value, list | tuple):
        return " ".join(flatten(item) for item in value)
    return "" if value is None else str(value)


def note_mentions(note, figures):
    values = digits_only(flatten(note.values))
    return all(figure in values for figure in figures)


@pytest.mark.parametrize("entry", REFERENCE, ids=[entry["code"] for entry in REFERENCE])
def test_fiche_matches_the_source_documents(reference_data, entry):
    action = (
        Action.objects.select_related("territory", "project_owner", "sub_axis", "amendment")
        .prefetch_related("axes", "funding_lines__funder", "funding_lines__scheme", "quality_notes")
        .filter(code=entry["code"])
        .first()
    )
    assert action is not None, f"{entry['code']} ({entry['src']}) is missing"

    problems = []

    def check(field, expected, actual):
        if expected != actual:
            problems.append(f"{field}: expected {expected!r}, data holds {actual!r}")

    if normalised(entry["title"]) not in normalised(action.title):
        problems.append(f"title: expected to contain {entry['title']!r}, data holds {action.title!r}")
    check("kind", entry["kind"], action.kind)

    cost = entry["cost"]
    check("cost_kind", cost["kind"], action.cost_kind)
    check("cost_amount", cost["amount"], action.cost_amount)
    check("cost_min", cost["min"], action.cost_min)
    check("cost_max", cost["max"], action.cost_max)
    check("cost_per_year", cost["per_year"], action.cost_per_year)
    check("cost_basis", cost["basis"], action.cost_basis)

    check("axes", entry["axes"], {axis.number for axis in action.axes.all()})
    check("sub_axis", entry["sub_axis"], action.sub_axis.code if action.sub_axis else None)
    check("project_owner", entry["owner"], action.project_owner.key if action.project_owner else None)
    check("territory", entry["territory"], action.territory.key)
    check("amendment", "avenant-2" if entry["kind"] == "fiche" else None, getattr(action.amendment, "key", None))

    lines = list(action.funding_lines.all())
    expected_funders = Counter(entry["funders"].items())
    actual_funders = Counter((line.funder.key, line.amount) for line in lines)
    if expected_funders != actual_funders:
        problems.append(
            f"funders: expected {sorted(expected_funders.elements(), key=str)}, "
            f"data holds {sorted(actual_funders.elements(), key=str)}"
        )
    schemes = {line.scheme.code for line in lines if line.scheme}
    if not entry["schemes"] <= schemes:
        problems.append(f"schemes: expected at least {sorted(entry['schemes'])}, data holds {sorted(schemes)}")

    notes = list(action.quality_notes.all())
    for figures in entry["notes"]:
        if not any(note_mentions(note, figures) for note in notes):
            problems.append(
                f"quality note: expected one whose values mention {figures}, "
                f"data holds {[(note.field, note.values) for note in notes]}"
            )

    assert not problems, f"{entry['code']} (source: {entry['src']}):\n  " + "\n  ".join(problems)
