"""The Contrat de Ville as the « Rapport sur la mise en œuvre de la Politique de la Ville, année 2019 » writes it.

The tables below are typed from the report (parts 1, 2.1, 2.3 and 3), not read from the fixture: a figure
changed or lost in fixtures/50_contrat_de_ville.yaml fails here. The caps of the Fonds de Cohésion Sociale and
of the fonds de concours Politique de la Ville are tried at, under and over their limits (financing/caps.py).
"""

import re
from decimal import Decimal

import pytest

from actions.models import Action, QualityNote
from conventions.models import (
    Axis,
    CallForProjects,
    Objective,
    Organisation,
    PriorityNeighbourhood,
    Programme,
    ProgrammeFigure,
    SubAxis,
)
from financing import caps
from financing.models import FundingLine, FundingScheme

D = Decimal

# 2.1: « la répartition selon les 3 piliers de la Politique de la Ville est la suivante »
PROJECTS_BY_PILLAR = {"3": D(25), "1": D(87), "2": D(14), "P": D(1)}
# 2.1: « Répartition par financeur du Contrat de Ville »
FUNDER_SHARES = {
    "Etat - CGET": D("35.3"),
    "Etat - Droit commun": D("14.6"),
    "Région": D("4.7"),
    "Département": D("3.3"),
    "CAF": D("6.2"),
    "EPCI - CABBALR": D("6.1"),
    "Communes": D("24.4"),
    "Autres (Bailleurs, opérateurs...)": D("14.6"),
}
# 2.1: « LES CONTRIBUTIONS DES FINANCEMENTS CGET PAR THEMATIQUE (1712989 €) »
CGET_BY_THEME = {
    "cget-cohesion": D(1230586),
    "cget-reussite-educative": D(543640),
    "cget-emploi": D(239939),
    "cget-dev-eco": D(114627),
    "cget-cadre-de-vie": D(112727),
    "cget-pilotage": D(15110),
}
# Part 3: « Projets soutenus / Porteurs de projets / Subventions droit commun / crédits spécifiques Pol Ville »
THEME_TABLES = {
    "emploi": (24, 18, 454883, 406645),
    "cohesion": (96, 45, 717269, 1595490),
    "education": (23, 13, 295733, 773782),
    "sante": (15, 12, 110140, 135624),
    "sport": (5, 5, 56540, 63540),
    "culture": (13, 10, 53336, 106028),
    "numerique": (7, 7, 0, 101869),
    "environnement-mobilite": (15, 13, 60964, 208799),
    "prevention": (3, 3, 0, 33900),
    "acces-droits": (5, 4, 53387, 26235),
    "participation": (10, 9, 87169, 145713),
    "cadre-de-vie": (10, None, 13005, 90133),  # porteurs: unreadable in the OCR
}
# 2.3: the fonds de concours Politique de la Ville and the one « majoré de 5 % » (commune, operation, FDC).
FONDS_DE_CONCOURS = {
    "divion": (D(129935), D(51974), "FONDS_CONCOURS_PV"),
    "noeux_les_mines": (D(949145), D(70000), "FONDS_CONCOURS_PV"),
    "hersin_coupigny": (D(548159), D(70000), "FONDS_CONCOURS_PV"),
    "lillers": (D(2076148), D(280000), "FONDS_CONCOURS_QPV"),
}
# Projects and their holders, a sample of each part of the report (title, commune, holder key).
NAMED_PROJECTS = [
    ("Lectures à partager", "auchel", "auchel"),
    ("Tous au bord de l'eau", "barlin", "dppm"),
    ("Les îlots de la santé", "noeux_les_mines", "noeux_environnement"),
    ("L'Aoûtopie au Mont Liébaut", "bethune", "compagnie_noutique"),
    ("Pour le renouveau de notre quartier !", "houdain", "cc_fosse_7"),
    ("Structuration et montée en compétences des conseils citoyens", "cabbalr", "aae62"),
    ("Charte Entreprises et Quartiers", "cabbalr", "plie"),
    ("Elaboration d'une boîte à outils GUSP", "cabbalr", "cabbalr"),
    ("Bien vivre dans son logement", "bethune", "bethune"),
]
# Part 1: orientations (level 2) per pillar and operational objectives (level 3) per orientation.
OBJECTIVES_PER_ORIENTATION = {
    "1.1": 4,
    "1.2": 4,
    "1.3": 3,
    "1.4": 2,
    "2.1": 4,
    "2.2": 6,
    "3.1": 3,
    "T.1": 4,
    "T.2": 8,
    "T.3": 3,
}


@pytest.fixture
def cdv(reference_data):
    return Programme.objects.get(code="cdv")


def _figure(programme, key):
    return ProgrammeFigure.objects.get(programme=programme, year=2019, key=key)


def test_the_programme_speaks_its_own_words(cdv):
    acv = Programme.objects.get(code="acv")
    assert (cdv.level1_label, cdv.level2_label, cdv.level3_label) == ("pilier", "orientation", "objectif opérationnel")
    assert (cdv.fiche_label, cdv.reporting_rhythm, cdv.has_calls_for_projects) == ("projet", "annual", True)
    assert (acv.level1_label, acv.level2_label, acv.level3_label, acv.fiche_label) == (
        "axe",
        "sous-axe",
        "",
        "fiche action",
    )
    assert acv.reporting_rhythm == "semester"
    pillar = Axis.objects.select_related("programme").get(programme=cdv, number="2")
    assert pillar.short_label == "Pilier 2"
    assert set(FundingScheme.objects.filter(programmes=cdv).values_list("code", flat=True)) >= {
        "CGET",
        "FCS",
        "FONDS_CONCOURS_PV",
    }


def test_the_nomenclature_as_the_report_draws_it(cdv):
    assert list(Axis.objects.filter(programme=cdv).values_list("number", flat=True)) == ["1", "2", "3", "T", "P"]
    counts = {sub.code: sub.objectives.count() for sub in SubAxis.objects.filter(axis__programme=cdv).order_by("code")}
    assert counts == OBJECTIVES_PER_ORIENTATION
    # OCR typos fixed in labels: « I' » for « l' », « a » for « à ».
    titles = list(Objective.objects.filter(sub_axis__axis__programme=cdv).values_list("title", flat=True))
    titles += list(SubAxis.objects.filter(axis__programme=cdv).values_list("title", flat=True))
    assert not [title for title in titles if re.search(r"\bI'|’", title)]
    assert Objective.objects.get(sub_axis__axis__programme=cdv, code="2.1.4").title == (
        "Favoriser la culture de la mobilité et lutter contre le repli sur soi"
    )


def test_sixteen_qpv_on_fourteen_communes(reference_data):
    assert PriorityNeighbourhood.objects.count() == 16
    assert Organisation.objects.filter(priority_neighbourhoods__isnull=False).distinct().count() == 14


def test_the_2019_call_and_its_inconsistencies(cdv):
    call = CallForProjects.objects.get(programme=cdv, year=2019)
    assert (call.submitted_count, call.retained_count, call.refused_count) == (153, 129, 24)
    notes = {note.field: note for note in QualityNote.objects.filter(call=call)}
    assert "129" in notes["retained_count"].description and "127" in notes["retained_count"].description
    assert "109,2 %" in notes["funder_shares"].description
    assert set(notes) >= {"retained_count", "funder_shares", "cget_share", "projects_by_axis", "unreadable"}
    # The pillars of 2.1 add up to 127, the report's other figure.
    stated = {
        figure.axis.number: figure.value
        for figure in ProgrammeFigure.objects.filter(programme=cdv, group="projects_by_axis").select_related("axis")
    }
    assert stated == PROJECTS_BY_PILLAR
    assert sum(stated.values()) == 127


def test_figures_as_written(cdv):
    assert _figure(cdv, "total-spending").value == D(5530289)
    assert _figure(cdv, "cget-total").value == D(1712989)
    assert _figure(cdv, "fcs-total").value == D(94414)
    assert _figure(cdv, "fdc-pv-total").value == D(191974)
    shares = {
        figure.funder_group: figure.value
        for figure in ProgrammeFigure.objects.filter(programme=cdv, group="funder_share")
    }
    assert shares == FUNDER_SHARES
    themes = {key: _figure(cdv, key).value for key in CGET_BY_THEME}
    assert themes == CGET_BY_THEME
    # The five themes (réussite éducative is inside cohésion sociale) add up to the CGET total.
    assert sum(value for key, value in themes.items() if key != "cget-reussite-educative") == D(1712989)
    for key, (projects, holders, common_law, specific) in THEME_TABLES.items():
        assert _figure(cdv, f"table-{key}-projects").value == projects, key
        assert _figure(cdv, f"table-{key}-holders").value == holders, key
        assert _figure(cdv, f"table-{key}-common-law").value == common_law, key
        assert _figure(cdv, f"table-{key}-specific").value == specific, key
    assert "illisible" in _figure(cdv, "table-cadre-de-vie-holders").note


def test_the_projects_and_their_holders(cdv):
    projects = Action.objects.filter(convention__programme=cdv, call__year=2019)
    assert projects.count() == 122
    assert set(projects.values_list("dossier_decision", flat=True)) == {"retained"}
    # Part 3 lists as many projects per pillar as its « Projets soutenus » say, but for emploi (16 of 24 named).
    by_pillar = {number: projects.filter(axes__number=number).count() for number in ("1", "2", "3")}
    assert by_pillar == {"1": 96, "2": 10, "3": 16}
    for title, commune, holder in NAMED_PROJECTS:
        project = projects.get(title=title)
        assert (project.territory.key, project.project_owner.key) == (commune, holder), title
    conseils = Organisation.objects.filter(kind="conseil_citoyen", actions_owned__convention__programme=cdv)
    assert conseils.distinct().count() == 4
    assert projects.get(title="Lire et Bouger dans son quartier").neighbourhoods.get().name == "Regain"


def test_the_fonds_de_concours_projects(cdv):
    for commune, (cost, fdc, scheme) in FONDS_DE_CONCOURS.items():
        line = FundingLine.objects.get(action__convention__programme=cdv, action__territory__key=commune)
        assert (line.action.cost_amount, line.amount, line.scheme.code, line.status) == (cost, fdc, scheme, "granted")
    pv = FundingLine.objects.filter(action__convention__programme=cdv, scheme__code="FONDS_CONCOURS_PV")
    assert sum(pv.values_list("amount", flat=True)) == _figure(cdv, "fdc-pv-total").value


# -- Caps at, under and over their limits --------------------------------------------------------------------


def _plain(text):
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _warnings(line):
    return [_plain(warning) for warning in caps.line_warnings(line)]


def test_the_fonds_de_concours_of_2019_are_within_their_caps(cdv):
    """Divion at exactly 40 % of its operation, Noeux-les-Mines and Hersin-Coupigny at exactly 70 000 €."""
    for line in FundingLine.objects.filter(scheme__code="FONDS_CONCOURS_PV"):
        assert _warnings(line) == [], line.action.title


@pytest.mark.parametrize(
    ("commune", "amount", "expected"),
    [
        ("divion", "51974.00", None),  # 40 % of 129 935 € exactly
        ("divion", "51000.00", None),  # under
        ("divion", "51974.01", "plafonne l'aide à 40 % de la dépense éligible"),
        ("noeux_les_mines", "70000.00", None),
        ("noeux_les_mines", "70000.01", "plafonne l'aide à 70 000 € par ligne"),
    ],
)
def test_fonds_de_concours_politique_de_la_ville_caps(cdv, commune, amount, expected):
    line = FundingLine.objects.get(scheme__code="FONDS_CONCOURS_PV", action__territory__key=commune)
    line.amount = D(amount)
    line.save()
    warnings = _warnings(line)
    if expected is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and expected in warnings[0], warnings


@pytest.mark.parametrize(
    ("commune_share", "fcs", "expected"),
    [
        ("2000.00", "2000.00", []),  # equal to the commune's share, at the 2 000 € cap
        ("1500.00", "1500.00", []),  # equal, under the cap
        ("1500.00", "1200.00", []),  # under the commune's share
        ("1000.00", "1800.00", ["ne dépasse pas la part des financeurs de type « commune »"]),
        ("3000.00", "2500.00", ["plafonne l'aide à 2 000 € par ligne"]),
    ],
)
def test_fonds_de_cohesion_sociale_equals_the_communes_share_up_to_2000(cdv, commune_share, fcs, expected):
    project = Action.objects.get(convention__programme=cdv, title="Lire et Bouger dans son quartier")
    barlin = Organisation.objects.get(key="barlin")
    cabbalr = Organisation.objects.get(key="cabbalr")
    FundingLine.objects.create(action=project, funder=barlin, amount=D(commune_share), status="granted")
    line = FundingLine.objects.create(
        action=project,
        funder=cabbalr,
        scheme=FundingScheme.objects.get(code="FCS"),
        amount=D(fcs),
        status="granted",
    )
    warnings = _warnings(line)
    assert len(warnings) == len(expected), warnings
    for warning, words in zip(warnings, expected, strict=True):
        assert words in warning
