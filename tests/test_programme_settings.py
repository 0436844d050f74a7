"""What differs between programmes is configuration, read on every page: the words of the nomenclature and of a
fiche, whether the programme files a national table, which funding schemes and envelopes apply to it.

Each test reads what a user of one programme receives (texts, choices, rows) and what a user of the other one
receives, on the reference data of both programmes.
"""

import html
import io
import re

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from actions.models import Action
from conventions.models import Axis, Programme
from exchange import national
from exchange.models import NationalSubmission
from exchange.services import national_submission_create
from financing.models import Envelope, FundingLine, FundingScheme
from tests.actions.test_views import form_data

# Words that name ACV's nomenclature or its fiches: none may be read on a Contrat de Ville page.
# (« Axes transversaux » is the Contrat de Ville's own, as its document names them.)
ACV_WORDS = re.compile(
    r"fiches? action|[Ss]ous-axe|\bAxes?\b(?! transversaux)|Cœur de Ville|Béthune et Bruay-La-Buissière"
)


def _text(response):
    """The page as a user reads it: without tags, scripts or attributes, entities decoded. The options of the
    lists are data (a scheme's name may name ACV: the Banque des Territoires' « Prêt Rénovation Urbaine Action
    Cœur de Ville » is a scheme of both programmes), left out."""
    content = response.content.decode()
    content = re.sub(r"<script.*?</script>|<option.*?</option>", " ", content, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", content))


def _cdv_project():
    """A Contrat de Ville project with a line of the fonds de concours Politique de la Ville."""
    return Action.objects.filter(convention__programme__code="cdv", funding_lines__scheme__code="FONDS_CONCOURS_PV")[0]


def _options(response, name):
    """The labels of the options of the first select named `name` of the page."""
    content = response.content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', content, flags=re.S)
    assert select, name
    return [html.unescape(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1))]


# --- Words ------------------------------------------------------------------------------------------------------


def test_the_contrat_de_ville_pages_speak_of_projects_and_piliers(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    project = _cdv_project()
    pages = {
        "tableau de bord": client.get("/cdv/"),
        "liste": client.get("/cdv/fiches/"),
        "projet": client.get(f"/cdv/fiches/{project.pk}/"),
        "formulaire": client.get(f"/cdv/fiches/{project.pk}/modifier/"),
        "nouveau": client.get("/cdv/fiches/nouvelle/"),
        "accessibilité": client.get("/cdv/accessibilite/"),
    }
    texts = {name: _text(response) for name, response in pages.items()}
    assert {name: response.status_code for name, response in pages.items()} == dict.fromkeys(pages, 200)
    assert {name: ACV_WORDS.findall(text) for name, text in texts.items()} == {name: [] for name in pages}
    assert "Projets par état" in texts["tableau de bord"] and "Coût des projets par pilier" in texts["tableau de bord"]
    assert "Nouveau projet" in texts["liste"] and "Pilier" in texts["liste"] and "Orientation" in texts["liste"]
    assert _options(pages["liste"], "sub_axis")[0] == "Toutes les orientations"
    assert "Piliers" in texts["projet"] and "Orientation" in texts["projet"]
    assert "Enregistrer le projet" in texts["formulaire"] and "Par exemple CV19-001." in texts["formulaire"]
    assert "Nouveau projet" in texts["nouveau"]
    footer = "pilotage du programme Contrat de Ville de la Communauté d'Agglomération Béthune-Bruay, Artois Lys Romane"
    assert all(footer in text for text in texts.values())
    # The filter offers the Contrat de Ville's piliers only, each named as the document names it.
    assert _options(pages["liste"], "axis") == [
        "Tous les piliers",
        "Pilier 1 – Cohésion sociale",
        "Pilier 2 – Habitat, cadre de vie et renouvellement urbain",
        "Pilier 3 – Emploi, insertion et développement économique",
        "Axes transversaux",
        "Pilotage du dispositif",
    ]


def test_acv_pages_keep_their_words(client, coordinator, reference_data):
    client.force_login(coordinator)
    response = client.get("/fiches/")
    listing = _text(response)
    assert "Fiches action" in listing and "Nouvelle fiche action" in listing
    assert _options(response, "sub_axis")[0] == "Tous les sous-axes"
    assert "pilotage du programme Action Cœur de Ville de Béthune et Bruay-La-Buissière" in listing
    assert "Pilier" not in listing and "Projets" not in listing
    assert "Coût des fiches action par axe" in _text(client.get("/"))
    assert "Axe transversal – Intégrer les objectifs" in " ".join(_options(client.get("/fiches/"), "axis"))


def test_the_sign_in_page_names_the_programme_of_its_url(client, reference_data):
    assert "suivre les projets du programme Contrat de Ville" in _text(client.get("/cdv/connexion/"))
    assert "suivre les fiches action du programme Action Cœur de Ville" in _text(client.get("/connexion/"))


def test_axes_without_a_number_that_names_them_read_as_their_document_names_them(reference_data):
    labels = {
        (axis.programme.code, axis.number): axis.short_label
        for axis in Axis.objects.filter(programme__code__in=["acv", "cdv"])
    }
    assert labels[("cdv", "P")] == "Pilotage"  # not « Pilier P »
    assert labels[("cdv", "T")] == "Axes transversaux"
    assert labels[("cdv", "2")] == "Pilier 2"
    assert labels[("acv", "T")] == "Axe transversal"
    assert labels[("acv", "3")] == "Axe 3"


def test_the_funding_export_names_projects_and_piliers_in_the_contrat_de_ville(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    response = client.get("/cdv/engagements/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert headers[:4] == ["Projet", "Intitulé", "Commune", "Pilier(s)"]
    codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert codes and all(code.startswith("CV19-") for code in codes)


# --- The national table -----------------------------------------------------------------------------------------


def test_acv_files_its_national_table(client, coordinator, reference_data):
    client.force_login(coordinator)
    assert 'href="/tableau-national/"' in client.get("/").content.decode()
    page = _text(client.get("/tableau-national/"))
    expected = national.national_fiches(Programme.objects.get(code="acv")).count()
    assert expected > 0 and f"{expected} fiches" in page
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/tableau-national/apercu.xlsx").getvalue())).worksheets[0]
    assert sheet.max_row - 1 == expected


def test_the_contrat_de_ville_has_no_national_table(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    assert "tableau-national" not in client.get("/cdv/").content.decode()
    for url in ("/cdv/tableau-national/", "/cdv/tableau-national/apercu.xlsx", "/cdv/tableau-national/apercu.csv"):
        assert client.get(url).status_code == 404, url
    assert client.post("/cdv/tableau-national/deposer/").status_code == 404
    with pytest.raises(ValidationError, match="ne dépose pas de tableau national"):
        national_submission_create(
            programme=Programme.objects.get(code="cdv"), year=2026, semester=1, user=cdv_coordinator
        )
    assert not NationalSubmission.objects.exists()


# --- Schemes and envelopes --------------------------------------------------------------------------------------


def _scheme_choices(client, url):
    return set(_options(client.get(url), "funding-0-scheme")) - {"---------"}


def test_each_coordinator_is_offered_the_schemes_of_its_programme(client, cdv_coordinator, coordinator):
    client.force_login(cdv_coordinator)
    cdv = _scheme_choices(client, f"/cdv/fiches/{_cdv_project().pk}/modifier/")
    client.force_login(coordinator)
    acv_fiche = Action.objects.filter(convention__programme__code="acv", funding_lines__isnull=False)[0]
    acv = _scheme_choices(client, f"/fiches/{acv_fiche.pk}/modifier/")
    names = dict(FundingScheme.objects.values_list("code", "name"))
    assert {names["FCS"], names["FONDS_CONCOURS_PV"], names["CGET"]} <= cdv
    assert not {names["DSIL"], names["REGION_ACV"], names["PEEC"]} & cdv
    assert {names["DSIL"], names["REGION_ACV"], names["PEEC"]} <= acv
    assert not {names["FCS"], names["FONDS_CONCOURS_PV"], names["CGET"]} & acv
    # A scheme naming no programme applies to both.
    assert names["DETR"] in cdv and names["DETR"] in acv


def test_each_programme_lists_its_own_envelopes(client, cdv_coordinator, coordinator):
    client.force_login(cdv_coordinator)
    cdv = _text(client.get("/cdv/enveloppes/"))
    client.force_login(coordinator)
    acv = _text(client.get("/enveloppes/"))
    srei = Envelope.objects.get(key="region-srei-fonctionnement-cabbalr").scheme.name
    region_acv = Envelope.objects.get(key="region-acv-bethune-2023-2026").scheme.name
    assert srei in cdv and region_acv not in cdv
    assert region_acv in acv and srei not in acv
    assert "Projets" in cdv and "Fiches action" in acv


def test_a_line_with_a_scheme_of_another_programme_is_refused_and_changes_nothing(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    project = _cdv_project()
    dsil = FundingScheme.objects.get(code="DSIL")
    before = list(FundingLine.objects.filter(action=project).values_list("pk", "scheme_id", "version"))
    # The page.
    data = form_data(client, project)
    data["funding-0-scheme"] = str(dsil.pk)
    response = client.post(f"/cdv/fiches/{project.pk}/modifier/", data)
    # The form offers only the programme's schemes: another is not a choice it accepts.
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in html.unescape(response.content.decode())
    message = f"Le dispositif « {dsil.name} » ne s'applique pas au programme Contrat de Ville."
    # The API.
    line = FundingLine.objects.filter(action=project).first()
    response = client.post(
        "/cdv/api/v1/funding-lines/",
        {"action": project.pk, "funder": line.funder_id, "scheme": dsil.pk, "amount": "1000.00", "status": "planned"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["fields"] == {"scheme": [message]}
    assert list(FundingLine.objects.filter(action=project).values_list("pk", "scheme_id", "version")) == before
    # The rule itself, as the admin and the imports meet it.
    line.scheme = dsil
    with pytest.raises(ValidationError, match="ne s'applique pas au programme Contrat de Ville"):
        line.full_clean()
    line.scheme = FundingScheme.objects.get(code="FCS")
    line.full_clean()


# --- Categories of fiches ---------------------------------------------------------------------------------------


def test_a_programme_offers_the_categories_of_its_own_fiches(client, coordinator, cdv_coordinator):
    client.force_login(cdv_coordinator)
    assert _options(client.get("/cdv/fiches/"), "kind") == ["Toutes", "projet"]
    assert _options(client.get("/cdv/fiches/nouvelle/"), "kind") == ["projet"]
    assert set(Action.objects.filter(convention__programme__code="cdv").values_list("kind", flat=True)) == {"fiche"}
    client.force_login(coordinator)
    assert _options(client.get("/fiches/"), "kind") == [
        "Toutes",
        "action mature",
        "étude de diagnostic",
        "fiche action",
    ]


def test_an_acv_category_is_refused_for_a_contrat_de_ville_project(client, cdv_coordinator):
    client.force_login(cdv_coordinator)
    project = _cdv_project()
    response = client.patch(
        f"/cdv/api/v1/actions/{project.pk}/",
        {"kind": "mature"},
        content_type="application/json",
        headers={"if-match": client.get(f"/cdv/api/v1/actions/{project.pk}/").headers["ETag"]},
    )
    assert response.status_code == 400, response.content
    assert response.json()["fields"]["kind"] == [
        "« action mature » n'est pas une catégorie du programme Contrat de Ville."
    ]
    project.refresh_from_db()
    assert project.kind == "fiche"


def test_a_programme_names_only_categories_the_engine_knows(reference_data):
    programme = Programme.objects.get(code="cdv")
    programme.fiche_kinds = ["fiche", "chantier"]
    with pytest.raises(ValidationError) as error:
        programme.full_clean()
    assert error.value.message_dict["fiche_kinds"] == ["Catégories inconnues : chantier."]


def test_the_contrat_de_ville_list_keeps_its_words_after_the_api_schema_was_built(client, cdv_coordinator):
    """The schema builds the filters' fields once for the class: the list must not then show ACV's choices."""
    client.force_login(cdv_coordinator)
    assert client.get("/api/v1/schema/").status_code == 200

    response = client.get("/cdv/fiches/")

    assert _options(response, "kind") == ["Toutes", "projet"]
    assert _options(response, "axis")[0] == "Tous les piliers"
