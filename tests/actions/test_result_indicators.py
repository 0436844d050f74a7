"""A fiche's indicateurs de résultat: a target (a figure and its unit, the words as written), an échéance (a fuzzy
date), what was reached and when. Written by the fiche form and the API through actions.services.action_save,
checked with French messages (nothing stored when a rule is broken), kept in the history, shown on the fiche page,
in its PDF (Annexe 6) and in the end-of-action report; the free texts of before read into figures where they
give one unambiguously, every word kept."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from actions.models import ResultIndicator
from actions.services import action_save
from evaluation.models import EndOfActionReport, ResultIndicatorLink
from tests import factories as f
from tests.actions.test_views import fiche_url, form_data
from tests.evaluation.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiche(bethune, bdt):
    """FA 1 in Béthune, carried by Béthune, funded by the Banque des Territoires, with one result indicator."""
    action = f.ActionFactory(
        code="FA 1", title="Suivi et animation de l'OPAH-RU", territory=bethune, axes=[f.AxisFactory(number="1")]
    )
    f.FundingLineFactory(action=action, funder=bdt, amount=Decimal("100000"), status="granted")
    f.ResultIndicatorFactory(action=action, label="Nombre de logements vacants remis sur le marché", position=0)
    return action


def _row(**data):
    return {"id": None, "delete": False, "label": "Logements rénovés énergétiquement", **data}


def _refused(user, fiche, field, text, **row):
    before = list(ResultIndicator.objects.filter(action=fiche).values())
    version = fiche.version
    with pytest.raises(ValidationError) as error:
        action_save(action=fiche, data={}, user=user, result_indicators=[_row(**row)])
    messages = error.value.message_dict["result_indicators"]
    assert any(text in message for message in messages), messages
    assert list(ResultIndicator.objects.filter(action=fiche).values()) == before
    fiche.refresh_from_db()
    assert fiche.version == version


class TestRules:
    def test_a_figure_its_unit_an_echeance_and_the_result(self, fiche, coordinator):
        action_save(
            action=fiche,
            data={},
            user=coordinator,
            result_indicators=[
                _row(
                    target_value=Decimal("40"),
                    unit="logements",
                    target_text="40 logements par an",
                    due_on=datetime.date(2026, 10, 1),
                    due_precision="quarter",
                    achieved_value=Decimal("12"),
                    achieved_on=datetime.date(2025, 12, 31),
                )
            ],
        )
        indicator = fiche.result_indicators.get(label="Logements rénovés énergétiquement")
        assert indicator.due_until == datetime.date(2026, 12, 31)  # read from the quarter
        assert (indicator.target_display, indicator.target_as_written) == ("40\u00a0logements", "40 logements par an")
        assert indicator.due_display == "T4 2026"
        assert indicator.achieved_display == "12\u00a0logements"

    @pytest.mark.parametrize(
        ("row", "text"),
        [
            ({"due_precision": "month"}, "Indiquez le premier jour de l'échéance, ou choisissez « non daté »."),
            (
                {"due_on": datetime.date(2027, 1, 1), "due_precision": "range"},
                "Une échéance sur une période demande son dernier jour.",
            ),
            (
                {
                    "due_on": datetime.date(2027, 1, 1),
                    "due_precision": "range",
                    "due_until": datetime.date(2026, 1, 1),
                },
                "La fin de l'échéance ne peut pas précéder son début.",
            ),
            ({"due_on": datetime.date(9999, 1, 1), "due_precision": "day"}, "comprise entre le 1er janvier 1900"),
            (
                {"achieved_value": Decimal("3"), "achieved_on": timezone.localdate() + datetime.timedelta(days=1)},
                "Un résultat se constate : la date ne peut pas être dans le futur.",
            ),
            ({"achieved_on": datetime.date(2025, 3, 2)}, "Indiquez le résultat atteint ou mesuré à cette date."),
            ({"target_value": Decimal("-4")}, "Une valeur d'indicateur est positive ou nulle."),
            ({"target_value": Decimal("120"), "unit": "%"}, "Un pourcentage est compris entre 0 et 100."),
            ({"achieved_value": Decimal("100.5"), "unit": "%"}, "Un pourcentage est compris entre 0 et 100."),
            ({"target_value": Decimal("12345678901234")}, "chiffres"),
            ({"label": ""}, "Ce champ ne peut pas être vide."),
        ],
    )
    def test_refused_in_french_and_nothing_stored(self, fiche, coordinator, row, text):
        _refused(coordinator, fiche, "result_indicators", text, **row)

    def test_one_bad_row_stores_none_of_the_others(self, fiche, coordinator):
        kept = fiche.result_indicators.get()
        with pytest.raises(ValidationError):
            action_save(
                action=fiche,
                data={"title": "Titre changé"},
                user=coordinator,
                result_indicators=[
                    {"id": kept.pk, "delete": False, "target_value": Decimal("30"), "unit": "logements"},
                    _row(target_value=Decimal("-1")),
                ],
            )
        kept.refresh_from_db()
        fiche.refresh_from_db()
        assert (kept.target_value, fiche.title) == (None, "Suivi et animation de l'OPAH-RU")

    def test_an_indicator_of_another_fiche_is_refused(self, fiche, coordinator, bethune):
        other = f.ResultIndicatorFactory(action=f.ActionFactory(territory=bethune), label="Autre")
        with pytest.raises(ValidationError) as error:
            action_save(action=fiche, data={}, user=coordinator, result_indicators=[{"id": other.pk, "label": "Volé"}])
        assert "n'appartient pas à cette fiche" in str(error.value)
        other.refresh_from_db()
        assert other.label == "Autre"

    def test_the_history_keeps_who_changed_what(self, fiche, coordinator, referent_bethune, client):
        indicator = fiche.result_indicators.get()
        fiche.project_owner = indicator.action.territory  # Béthune carries it: its référent edits it
        fiche.save()
        action_save(
            action=fiche,
            data={},
            user=referent_bethune,
            result_indicators=[{"id": indicator.pk, "target_value": Decimal("25"), "unit": "logements"}],
        )
        action_save(action=fiche, data={}, user=coordinator, result_indicators=[{"id": indicator.pk, "delete": True}])
        records = ResultIndicator.history.filter(id=indicator.pk).order_by("history_date", "history_id")
        assert [(r.history_type, r.target_value, r.history_user) for r in records[1:]] == [
            ("~", Decimal("25.0000"), referent_bethune),
            ("-", Decimal("25.0000"), coordinator),
        ]
        client.force_login(coordinator)
        page = client.get(fiche_url(fiche)).content.decode()
        assert "Indicateur de résultat « Nombre de logements vacants remis sur le marché »" in page
        timeline = page[page.index("Historique des modifications") :]
        assert "Cible (nombre)" in timeline and "25" in timeline

    def test_a_new_figure_drops_the_words_of_the_old_one_not_the_words_alone(self, fiche, coordinator):
        indicator = fiche.result_indicators.get()
        ResultIndicator.objects.filter(pk=indicator.pk).update(target_text="Augmentation du nombre de logements")
        action_save(
            action=fiche,
            data={},
            user=coordinator,
            result_indicators=[{"id": indicator.pk, "target_value": Decimal("30"), "unit": "logements"}],
        )
        indicator.refresh_from_db()
        # Words with no figure: a new figure contradicts nothing, they stay.
        assert indicator.target_text == "Augmentation du nombre de logements"
        ResultIndicator.objects.filter(pk=indicator.pk).update(target_text="30 logements")
        action_save(
            action=fiche, data={}, user=coordinator, result_indicators=[{"id": indicator.pk, "target_value": 45}]
        )
        indicator.refresh_from_db()
        # « 30 logements » described the old figure: it would now say the wrong one.
        assert (indicator.target_value, indicator.target_text) == (Decimal("45"), "")


class TestForm:
    def test_the_fiche_form_writes_them(self, fiche, client, coordinator):
        client.force_login(coordinator)
        data = form_data(client, fiche)
        existing = fiche.result_indicators.get()
        assert data["results-0-id"] == str(existing.pk)
        data.update(
            {
                "results-0-target_value": "1 250,5",
                "results-0-unit": "m²",
                "results-0-due_on": "2026-01-01",
                "results-0-due_precision": "year",
                "results-0-due_text": "Fin 2026",
                "results-TOTAL_FORMS": "2",
                "results-1-label": "Nombre de logements réhabilités",
                "results-1-achieved_text": "Une dizaine",
                "results-1-due_precision": "unknown",
            }
        )
        response = client.post(fiche_url(fiche, "action_update"), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        existing.refresh_from_db()
        assert (existing.target_value, existing.unit, existing.due_until) == (
            Decimal("1250.5"),
            "m²",
            datetime.date(2026, 12, 31),
        )
        added = fiche.result_indicators.get(label="Nombre de logements réhabilités")
        assert (added.achieved_text, added.achieved_value, added.position) == ("Une dizaine", None, 1)
        assert {record.history_user for record in added.history.all()} == {coordinator}

    def test_errors_next_to_the_fields_and_nothing_stored(self, fiche, client, coordinator):
        client.force_login(coordinator)
        data = form_data(client, fiche)
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        data.update(
            {
                "results-0-achieved_value": "deux",
                "results-0-achieved_on": tomorrow.isoformat(),
                "results-0-due_precision": "quarter",
            }
        )
        response = client.post(fiche_url(fiche, "action_update"), data)
        html = response.content.decode()
        assert response.status_code == 400
        for field, message in (
            ("achieved_value", "Saisissez un nombre, par exemple 2 000 ou 12,5."),
            ("due_on", "Indiquez le premier jour de l&#x27;échéance"),
        ):
            block = html[
                html.index(f'id="id_results-0-{field}_error"') - 400 : html.index(f'id="id_results-0-{field}"')
            ]
            assert message in block, field
        assert "Indicateur de résultat 1" in html  # the summary names the row
        assert fiche.result_indicators.get().achieved_on is None

    def test_a_row_is_added_in_place(self, fiche, client, coordinator):
        client.force_login(coordinator)
        response = client.get(
            reverse("actions:formset_row", args=["results"]), {"results-TOTAL_FORMS": "1", "action": fiche.pk}
        )
        content = response.content.decode()
        assert 'name="results-1-label"' in content and 'name="results-TOTAL_FORMS" value="2"' in content
        assert "Nouvel indicateur de résultat" in content


class TestApi:
    def _client(self, user):
        client = APIClient()
        client.force_login(user)
        return client

    def test_the_api_writes_them_through_the_fiche_service(self, fiche, coordinator):
        existing = fiche.result_indicators.get()
        response = self._client(coordinator).patch(
            f"/api/v1/actions/{fiche.pk}/",
            {
                "result_indicators": [
                    {"id": existing.pk, "target_value": "40", "unit": "logements", "target_text": "40 logements"},
                    {
                        "label": "Nombre de logements rénovés énergétiquement",
                        "due_on": "2026-04-01",
                        "due_precision": "quarter",
                    },
                ]
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        body = {row["label"]: row for row in response.json()["result_indicators"]}
        assert body["Nombre de logements vacants remis sur le marché"]["target_display"] == "40\u00a0logements"
        assert body["Nombre de logements rénovés énergétiquement"]["due_display"] == "T2 2026"
        added = fiche.result_indicators.get(label="Nombre de logements rénovés énergétiquement")
        assert added.history.get().history_user == coordinator
        gone = self._client(coordinator).patch(
            f"/api/v1/actions/{fiche.pk}/", {"result_indicators": [{"id": added.pk, "delete": True}]}, format="json"
        )
        assert gone.status_code == 200
        assert not ResultIndicator.objects.filter(pk=added.pk).exists()

    def test_refused_with_a_french_400_and_nothing_stored(self, fiche, coordinator):
        existing = fiche.result_indicators.get()
        response = self._client(coordinator).patch(
            f"/api/v1/actions/{fiche.pk}/",
            {"result_indicators": [{"id": existing.pk, "achieved_on": "2025-03-02"}]},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["fields"]["result_indicators"] == [
            "Ligne 1 : Indiquez le résultat atteint ou mesuré à cette date."
        ]
        existing.refresh_from_db()
        assert existing.achieved_on is None

    @pytest.mark.parametrize(("persona", "status"), [("partner_bdt", 403), ("committee_member", 403)])
    def test_readers_may_not_write_them(self, fiche, request, persona, status):
        existing = fiche.result_indicators.get()
        response = self._client(request.getfixturevalue(persona)).patch(
            f"/api/v1/actions/{fiche.pk}/", {"result_indicators": [{"id": existing.pk, "label": "X"}]}, format="json"
        )
        assert response.status_code == status
        existing.refresh_from_db()
        assert existing.label == "Nombre de logements vacants remis sur le marché"


class TestShown:
    @pytest.fixture
    def filled(self, fiche, coordinator):
        indicator = fiche.result_indicators.get()
        action_save(
            action=fiche,
            data={},
            user=coordinator,
            result_indicators=[
                {
                    "id": indicator.pk,
                    "target_value": Decimal("40"),
                    "unit": "logements",
                    "target_text": "40 logements remis sur le marché",
                    "due_on": datetime.date(2026, 10, 1),
                    "due_precision": "quarter",
                    "achieved_value": Decimal("12"),
                    "achieved_on": datetime.date(2025, 12, 31),
                }
            ],
        )
        grid = f.IndicatorFactory(
            name="Nombre de logements vacants", criterion=f.CriterionFactory(programme=fiche.convention.programme)
        )
        ResultIndicatorLink.objects.create(result_indicator=indicator, indicator=grid)
        return fiche

    @pytest.mark.parametrize("persona", ["coordinator", "referent_bethune", "partner_bdt", "committee_member"])
    def test_on_the_fiche_page_for_every_reader(self, filled, client, request, persona):
        client.force_login(request.getfixturevalue(persona))
        html = client.get(fiche_url(filled)).content.decode()
        section = html[html.index('id="h-indicateurs"') : html.index('id="h-avancement"')]
        for text in (
            "Nombre de logements vacants remis sur le marché",
            "40\u00a0logements",
            "écrit : 40 logements remis sur le marché",
            "T4 2026",
            "12\u00a0logements",
            "le 31 décembre 2025",
            "Nombre de logements vacants</a>",
        ):
            assert text in section, text

    def test_in_the_fiche_pdf(self, filled, client, partner_bdt):
        client.force_login(partner_bdt)
        text = pdf_text(client.get(f"/fiches/{filled.pk}/pdf/").content)
        assert (
            "Nombre de logements vacants remis sur le marché — cible : 40 logements (écrit : 40 logements remis sur "
            "le marché), échéance T4 2026 — atteint : 12 logements le 31 décembre 2025 — alimente l'indicateur "
            "« Nombre de logements vacants » de la grille d'évaluation"
        ) in text

    def test_in_the_end_of_action_report(self, filled, client, coordinator):
        EndOfActionReport.objects.create(
            action=filled, implementation="Animation menée.", results="12 logements.", sustainability="Suite PVD."
        )
        client.force_login(coordinator)
        text = pdf_text(client.get(f"/fiches/{filled.pk}/bilan/pdf/").content)
        table = text[text.index("Indicateurs de résultat") : text.index("3. Pérennité")]
        for cell in ("40 logements", "T4 2026", "12 logements", "le 31 décembre 2025", "Nombre de logements vacants"):
            assert cell in table, cell


class TestLegacyTexts:
    """The migration that gave result indicators their figures: the free texts read where they are unambiguous."""

    def test_figures_read_from_the_texts_every_word_kept(self, fiche):
        migration = importlib.import_module("actions.migrations.0006_result_indicator_values")
        cases = {
            "surface": ("2 000 m²", "1 500,5 m²"),
            "share": ("30 %", ""),
            "words": ("Réouverture du jardin", "Fait"),
            "range": ("2 000 à 3 000 m²", ""),
            "year": ("2026", ""),
            "two units": ("40 logements", "38 places"),
            "no unit achieved": ("40 logements", "38"),
            "dot": ("1.200", ""),
        }
        for label, (target, achieved) in cases.items():
            f.ResultIndicatorFactory(action=fiche, label=label, target_text=target, achieved_text=achieved)
        migration.read_figures(apps, None)
        read = {
            item.label: (item.target_value, item.unit, item.achieved_value, item.target_text, item.achieved_text)
            for item in fiche.result_indicators.exclude(label__startswith="Nombre")
        }
        assert read == {
            "surface": (Decimal("2000"), "m²", Decimal("1500.5"), "2 000 m²", "1 500,5 m²"),
            "share": (Decimal("30"), "%", None, "30 %", ""),
            "words": (None, "", None, "Réouverture du jardin", "Fait"),
            "range": (None, "", None, "2 000 à 3 000 m²", ""),
            "year": (None, "", None, "2026", ""),
            "two units": (Decimal("40"), "logements", None, "40 logements", "38 places"),
            "no unit achieved": (Decimal("40"), "logements", Decimal("38"), "40 logements", "38"),
            "dot": (None, "", None, "1.200", ""),
        }


def test_the_reference_fiches_keep_the_echeances_their_labels_give(reference_data):
    from actions.models import Action

    am13 = {item.label: item for item in Action.objects.get(code="AM.13").result_indicators.all()}
    reopening = am13["Réouverture du jardin public le 1er mars 2019"]
    assert (reopening.due_on, reopening.due_precision) == (datetime.date(2019, 3, 1), "day")
    tender = Action.objects.get(code="AM.9").result_indicators.get(label="Attribution de l'appel d'offres : Q4 2018")
    assert (tender.due_on, tender.due_until, tender.due_display) == (
        datetime.date(2018, 10, 1),
        datetime.date(2018, 12, 31),
        "Q4 2018",
    )
