"""load_reference_data: idempotent, all-or-nothing, and it says which file and row are wrong."""

import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from actions.models import Action
from conventions.models import Organisation

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


def _counts():
    return {
        model._meta.label: model._default_manager.count()
        for app in ("conventions", "actions", "financing", "evaluation")
        for model in apps.get_app_config(app).get_models()
    }


def test_loading_twice_changes_nothing(reference_data, capsys):
    before = _counts()
    fiche = Action.objects.get(code="FA 54")
    call_command("load_reference_data")
    assert "rien à changer" in capsys.readouterr().out
    assert _counts() == before  # history tables included: nothing was re-saved
    assert Action.objects.get(code="FA 54").updated_at == fiche.updated_at


def test_the_whole_programme_is_there(reference_data):
    assert Action.objects.filter(convention__programme__code="acv", kind="diagnostic").count() == 6
    assert Action.objects.filter(convention__programme__code="acv", kind="mature").count() == 25
    assert Action.objects.filter(convention__programme__code="acv", kind="fiche").count() == 22


def test_a_fiche_edited_by_the_coordinator_is_not_overwritten(reference_data):
    fiche = Action.objects.get(code="FA 54")
    fiche.title = "Place Nature (titre revu en comité)"
    fiche.save()
    call_command("load_reference_data")
    assert Action.objects.get(code="FA 54").title == "Place Nature (titre revu en comité)"


def test_update_rewrites_what_differs_and_records_it(reference_data):
    fiche = Action.objects.get(code="FA 54")
    original = fiche.title
    fiche.title = "Titre modifié"
    fiche.save()
    call_command("load_reference_data", "--update")
    fiche.refresh_from_db()
    assert fiche.title == original
    assert fiche.history.first().history_change_reason == "Chargement des données de référence"


@pytest.fixture
def broken_fixtures(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, target)
    path = target / "21_actions_2023_bruay_cabbalr.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("project_owner: cabbalr", "project_owner: inconnu-au-bataillon"), encoding="utf-8")
    # A new organisation in an earlier file: it is written before the bad row is reached.
    (target / "01_organisations.yaml").write_text(
        (target / "01_organisations.yaml").read_text(encoding="utf-8")
        + "\n- {key: org-temoin, name: Organisation témoin, kind: autre}\n",
        encoding="utf-8",
    )
    return target


@pytest.mark.django_db
def test_one_bad_row_loads_nothing_and_says_where(broken_fixtures):
    before = _counts()
    with pytest.raises(CommandError) as error:
        call_command("load_reference_data", "--directory", str(broken_fixtures))
    message = str(error.value)
    assert "Rien n'a été chargé" in message
    assert "21_actions_2023_bruay_cabbalr.yaml" in message
    assert "organisation inconnue « inconnu-au-bataillon »" in message
    assert _counts() == before
    assert not Organisation.objects.filter(key="org-temoin").exists()


@pytest.mark.django_db
def test_an_amount_written_as_a_number_is_refused(tmp_path):
    (tmp_path / "00.yaml").write_text(
        "programmes:\n- {code: acv, name: ACV}\norganisations:\n- {key: v, name: Ville, kind: commune}\n"
        "axes:\n- {programme: acv, number: '1', wordings: {'2023': Habitat}}\n"
        "conventions:\n- {key: c, programme: acv, title: Convention}\n"
        "actions:\n- {code: X.1, convention: c, title: T, kind: fiche, territory: v,"
        " cost: {kind: exact, amount: 12.5}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="mettez-le entre guillemets"):
        call_command("load_reference_data", "--directory", str(tmp_path))


def test_the_quartiers_prioritaires_the_documents_name(reference_data):
    """The report names 16 QPV on 14 communes but lists none: six it calls quartiers prioritaires, ten that its
    TFPB abatement conventions (which apply in QPV only) or its protocol place in QPV, on the communes it gives
    them, without an official code nobody wrote; the ACV grid may measure the four on Béthune and Bruay."""
    from conventions.models import PriorityNeighbourhood
    from evaluation.grid import default_programme
    from evaluation.models import programme_neighbourhoods

    loaded = {
        qpv.name: (qpv.code, sorted(commune.key for commune in qpv.communes.all()))
        for qpv in PriorityNeighbourhood.objects.prefetch_related("communes")
    }
    assert loaded == {
        "Mont-Liébaut": ("", ["bethune"]),
        "Rue de Lille": ("", ["bethune"]),
        "Le Centre": ("", ["bruay"]),
        "Provinces longues trinques": ("", ["auchel", "cauchy_a_la_tour"]),
        "Des cités 5, de Marles et du Rond-Point": ("", ["auchel", "calonne_ricouart", "marles_les_mines"]),
        "Rimbert": ("", ["auchel", "burbure"]),
        # The other ten, from the TFPB abatement conventions (QPV only) and the report's « situées en QPV ».
        "Lillers centre-ville": ("", ["lillers"]),
        "Cités 6 et 30": ("", ["divion"]),
        "Cité des Astres": ("", ["divion"]),
        "Renaissance": ("", ["beuvry", "labourse"]),
        "Regain": ("", ["barlin"]),
        "Terre Noeve": ("", ["noeux_les_mines"]),
        "Le Haut d'Houdain": ("", ["houdain"]),
        "Fosse 7 – Cité de la Victoire": ("", ["houdain"]),
        "Auchel centre-ville – Cité 3": ("", ["auchel"]),
        "Cités Anatole France et Nouveau Monde": ("", ["bruay"]),
    }
    # « 16 quartiers prioritaires (QPV) répartis sur 14 communes »
    assert len({commune for _, communes in loaded.values() for commune in communes}) == 14
    assert {qpv.name for qpv in programme_neighbourhoods(default_programme().pk)} == {
        "Mont-Liébaut",
        "Rue de Lille",
        "Le Centre",
        "Cités Anatole France et Nouveau Monde",
    }
    assert "16 quartiers prioritaires" in (FIXTURES / "04_quartiers_prioritaires.yaml").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_a_quartier_on_an_organisation_that_is_no_commune_loads_nothing(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, target)
    path = target / "04_quartiers_prioritaires.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("communes: [auchel, burbure]", "communes: [bdt]"))
    with pytest.raises(CommandError) as error:
        call_command("load_reference_data", "--directory", str(target))
    assert "04_quartiers_prioritaires.yaml" in str(error.value)
    assert "« bdt » n'est pas une commune" in str(error.value)
