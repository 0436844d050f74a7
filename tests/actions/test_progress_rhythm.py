"""The état d'avancement follows the programme's reporting rhythm (programme configuration, not code): ACV records
one a semester, the Contrat de Ville one a year — with no semester — through the service, the page and the API."""

import datetime
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions.models import Action, ProgressUpdate
from actions.services import progress_update_create

IN_2019 = datetime.date(2019, 11, 4)


@pytest.fixture
def projet(reference_data):
    """A project of the Contrat de Ville's 2019 programming."""
    return Action.objects.get(convention__key="cdv-cabbalr", title="Manger Bouger !")


def _data(**extra):
    return {"year": 2019, "status": "in_progress", "percent_done": 60, "achievements": "Ateliers tenus.", **extra}


def _cdv(name, *args):
    return "/cdv" + reverse(name, args=args)


def test_the_contrat_de_ville_records_one_state_a_year_without_semester(projet, cdv_coordinator):
    update = progress_update_create(action=projet, data=_data(), user=cdv_coordinator, today=IN_2019)

    assert (update.year, update.semester, update.period_label) == (2019, None, "2019")
    # The year in progress is the current period: its state is the project's.
    projet.refresh_from_db()
    assert projet.status == "in_progress"


def test_a_semester_is_refused_in_a_programme_that_reports_every_year(projet, cdv_coordinator):
    with pytest.raises(ValidationError) as error:
        progress_update_create(action=projet, data=_data(semester=2), user=cdv_coordinator, today=IN_2019)

    assert error.value.message_dict["semester"] == [
        "Ce programme rend compte une fois par an : l'état d'avancement vaut pour l'année."
    ]
    assert not ProgressUpdate.objects.filter(action=projet).exists()


def test_a_second_state_for_the_same_year_is_refused(projet, cdv_coordinator):
    progress_update_create(action=projet, data=_data(), user=cdv_coordinator, today=IN_2019)

    with pytest.raises(ValidationError) as error:
        progress_update_create(action=projet, data=_data(percent_done=80), user=cdv_coordinator, today=IN_2019)

    assert "Un état d'avancement existe déjà pour cette année." in error.value.messages
    assert list(ProgressUpdate.objects.filter(action=projet).values_list("percent_done", flat=True)) == [60]


def test_a_year_not_begun_is_refused(projet, cdv_coordinator):
    with pytest.raises(ValidationError) as error:
        progress_update_create(action=projet, data=_data(year=2020), user=cdv_coordinator, today=IN_2019)

    assert error.value.message_dict["year"] == [
        "2020 n'a pas commencé : l'état d'avancement se saisit pour l'année en cours (2019) ou une année passée."
    ]


def test_acv_still_needs_its_semester(coordinator):
    from tests import factories as f

    fiche = f.ActionFactory(code="FA 151")
    data = {"year": 2026, "status": "in_progress", "percent_done": 10}

    with pytest.raises(ValidationError) as error:
        progress_update_create(action=fiche, data=data, user=coordinator, today=datetime.date(2026, 9, 1))

    assert error.value.message_dict["semester"] == ["Indiquez le semestre (S1 ou S2) de l'état d'avancement."]
    update = progress_update_create(
        action=fiche, data={**data, "semester": 2}, user=coordinator, today=datetime.date(2026, 9, 1)
    )
    assert update.period_label == "S2 2026"


def test_the_projects_page_asks_for_the_year_only(client, projet, cdv_coordinator):
    client.force_login(cdv_coordinator)

    page = html.unescape(client.get(_cdv("actions:action_detail", projet.pk)).content.decode())

    assert 'name="semester"' not in page
    # The contract ran until 2022: its last year is offered, not the current one, which the form would refuse.
    assert re.search(r'<input type="number" name="year" value="2022"', page)
    assert "État d'avancement par année" in page
    assert "Saisir l'état d'avancement de l'année" in page
    assert "Réalisé cette année" in page
    assert "Requis pour abandonner le projet, le rouvrir une fois réalisé ou le relancer." in page
    # No report freezes a year: there is nothing to correct with a reason.
    assert 'name="correction_reason"' not in page
    assert "seul l'état de l'année en cours change celui du projet" in page

    response = client.post(_cdv("actions:progress_create", projet.pk), _data(), follow=True)

    update = ProgressUpdate.objects.get(action=projet)
    assert (update.year, update.semester, update.achievements) == (2019, None, "Ateliers tenus.")
    page = html.unescape(response.content.decode())
    assert "État d'avancement 2019 enregistré." in page
    # 2019 is a past year now: the record is completed, the project keeps its current state.
    assert "2019 est une année passée : le projet garde son état actuel" in page
    assert re.search(r"<h3>2019 – en cours, 60\s%</h3>", page)


def test_an_acv_fiche_page_still_asks_for_the_semester(client, coordinator):
    from tests import factories as f

    fiche = f.ActionFactory(code="FA 152")
    client.force_login(coordinator)

    page = html.unescape(client.get(reverse("actions:action_detail", args=[fiche.pk])).content.decode())

    assert 'name="semester"' in page
    assert "Saisir l'état d'avancement du semestre" in page
    assert "Réalisé ce semestre" in page


def test_the_api_records_the_year_of_an_annual_programme(client, projet, cdv_coordinator):
    client.force_login(cdv_coordinator)
    url = _cdv("api:action-progress-updates", projet.pk)

    refused = client.post(url, _data(semester=1), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["semester"] == [
        "Ce programme rend compte une fois par an : l'état d'avancement vaut pour l'année."
    ]

    response = client.post(url, _data(), content_type="application/json")
    assert response.status_code == 201, response.content
    assert (response.json()["year"], response.json()["semester"]) == (2019, None)
    detail = client.get(_cdv("api:action-detail", projet.pk)).json()
    assert [(row["year"], row["semester"]) for row in detail["progress_updates"]] == [(2019, None)]


def test_the_dashboard_of_a_yearly_programme_writes_its_year_as_a_year(client, cdv_coordinator):
    """The Contrat de Ville's dashboard read « Sans état d'avancement en 2 026 », the year grouped like an amount."""
    from django.utils import timezone

    client.force_login(cdv_coordinator)

    page = client.get(_cdv("actions:dashboard")).content.decode()

    assert f"Sans état d'avancement en {timezone.localdate().year}</h2>" in page
