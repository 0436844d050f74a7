"""A fiche's PDF, the end-of-action report, the amendment annex and the buttons that offer them speak the words of
the fiche's programme: ACV's fiche reads « Annexe 6 : fiche action » (the convention's layout of its fiches, a
programme setting: Programme.fiche_annex_label); a Contrat de Ville project reads « projet », its piliers, and
nothing of ACV. « ACV Suivi », the product's name, stays on both."""

import html
import re

import pytest

from actions.models import Action, ActionDocument
from conventions.models import Amendment, Programme
from evaluation.models import EndOfActionReport, IndicatorScope
from tests.evaluation.pdf import pdf_text

pytestmark = pytest.mark.django_db

ACV_WORDS = re.compile(r"[Ff]iches? action|Annexe 6|[Ss]ous-axe|\bAxes?\b(?! transversaux)|Cœur de Ville")


def _project():
    """A Contrat de Ville project attached to a pilier (its PDF names it)."""
    return Action.objects.filter(convention__programme__code="cdv", axes__isnull=False).order_by("pk").first()


def _page_text(response):
    content = re.sub(r"<script.*?</script>|<option.*?</option>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content)))


def test_the_reference_data_names_the_annex_of_acv_fiches_only(reference_data):
    assert Programme.objects.get(code="acv").fiche_annex_label == "Annexe 6"
    assert Programme.objects.get(code="cdv").fiche_annex_label == ""


def test_an_acv_fiche_pdf_reads_annexe_6_fiche_action(client, coordinator, reference_data):
    action = Action.objects.get(code="FA 54")
    client.force_login(coordinator)
    text = pdf_text(client.get(f"/fiches/{action.pk}/pdf/").content)
    # The head line is set in capitals by the print stylesheet.
    assert f"{action.convention.title} — Annexe 6 : fiche action".upper() in text
    assert "Axe de rattachement" in text
    assert "Fiche action éditée par ACV Suivi le" in text


def test_a_contrat_de_ville_project_pdf_speaks_of_a_project(client, cdv_coordinator):
    project = _project()
    client.force_login(cdv_coordinator)
    response = client.get(f"/cdv/fiches/{project.pk}/pdf/")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert f"{project.convention.title} — projet".upper() in text
    assert "Pilier de rattachement" in text
    assert "Projet édité par ACV Suivi le" in text
    assert "Nom du projet" in text and "CONTENU DU PROJET" in text
    assert "le porteur du projet et ses cofinanceurs" in text and "de l'action" not in text
    assert not ACV_WORDS.search(text.replace("ACV Suivi", "")), ACV_WORDS.search(text)


def test_the_fiche_page_button_names_the_programme_s_fiche(client, coordinator, cdv_coordinator, reference_data):
    client.force_login(cdv_coordinator)
    project = _project()
    page = _page_text(client.get(f"/cdv/fiches/{project.pk}/"))
    assert "Projet en PDF" in page
    assert "Annexe 6" not in page and "Fiche en PDF" not in page
    client.force_login(coordinator)
    page = _page_text(client.get(f"/fiches/{Action.objects.get(code='FA 54').pk}/"))
    assert "Fiche action en PDF (Annexe 6)" in page


def test_the_end_of_action_report_of_a_project_speaks_of_a_project(client, cdv_coordinator):
    project = _project()
    project.status = "delivered"
    project.save(update_fields=["status"])
    EndOfActionReport.objects.create(action=project, implementation="Mené.", results="Atteint.", sustainability="-")
    client.force_login(cdv_coordinator)
    text = pdf_text(client.get(f"/cdv/fiches/{project.pk}/bilan/pdf/").content)
    assert "Annexe : le projet" in text
    assert "Article 8" not in text and "Grille d'évaluation" not in text
    assert not ACV_WORDS.search(text.replace("ACV Suivi", "")), ACV_WORDS.search(text)
    form = _page_text(client.get(f"/cdv/fiches/{project.pk}/bilan/"))
    assert "Le bilan dit comment le projet a été mené, les résultats obtenus" in form
    assert "Article 8" not in form


def test_the_amendment_annex_names_the_programme_s_fiches(client, coordinator, reference_data):
    amendment = Amendment.objects.filter(
        pk__in=ActionDocument.objects.filter(amendment__isnull=False).values("amendment")
    ).first()
    client.force_login(coordinator)
    page = _page_text(client.get(amendment.get_absolute_url()))
    assert "Annexe des fiches action en PDF" in page
    text = pdf_text(client.get(f"/documents/avenants/{amendment.pk}/annexe.pdf").content)
    assert "Annexe 2 : liste et détails des fiches action" in text
    assert "Fiche action, dans la présentation de l'Annexe 2 de l'avenant n°2" in text


def test_a_national_indicator_is_not_named_after_acv():
    assert IndicatorScope.NATIONAL.label == "indicateur national du programme"
