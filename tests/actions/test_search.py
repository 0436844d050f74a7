"""The « q » search finds what a French user types, whatever its accents and case, on every engine."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from actions.filters import ActionFilterSet
from actions.models import SEARCHED_FIELDS, Action
from actions.services import action_save
from acv.text import normalise_for_search
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_normalisation_drops_accents_case_and_typographic_variants():
    assert normalise_for_search("  BÉTHUNE ") == "bethune"
    assert normalise_for_search("Étude d’Œuvre\u00a0à  Bruay-La-Buissière") == "etude d'oeuvre a bruay-la-buissiere"
    assert normalise_for_search(None) == ""


@pytest.fixture
def fiches(coordinator, bethune):
    convention = f.ConventionFactory(key="acv-search")
    saved = {}
    for code, title, description in (
        ("FA 901", "Requalification de la place de Béthune", ""),
        ("FA 902", "Étude de programmation", "Quartier de la gare, à BETHUNE."),
        ("FA 903", "Etude sans accent", "Cœur de ville de Bruay."),
        ("FA 904", "Signalétique", "Rien à voir."),
    ):
        data = {
            "convention": convention,
            "code": code,
            "title": title,
            "description": description,
            "territory": bethune,
            "cost_kind": "unknown",
        }
        saved[code] = action_save(action=None, data=data, user=coordinator)
    return saved


def found(params, user):
    request = type("Request", (), {"user": user})()
    filterset = ActionFilterSet(params, queryset=Action.objects.filter(convention__key="acv-search"), request=request)
    assert filterset.is_valid(), filterset.errors
    return sorted(action.code for action in filterset.qs)


@pytest.mark.parametrize("typed", ["Bethune", "béthune", "BÉTHUNE", " bÉthUne "])
def test_every_spelling_of_bethune_finds_the_same_fiches(fiches, coordinator, typed):
    assert found({"q": typed}, coordinator) == ["FA 901", "FA 902"]


@pytest.mark.parametrize("typed", ["Etude", "étude", "ÉTUDE"])
def test_etude_with_or_without_accent_finds_both_spellings(fiches, coordinator, typed):
    assert found({"q": typed}, coordinator) == ["FA 902", "FA 903"]


def test_ligature_and_code_are_found(fiches, coordinator):
    assert found({"q": "coeur de ville"}, coordinator) == ["FA 903"]
    assert found({"q": "fa 904"}, coordinator) == ["FA 904"]
    # A phrase does not match across the end of the title and the start of the description.
    assert found({"q": "programmation quartier"}, coordinator) == []


def test_a_change_through_the_service_updates_what_is_found(fiches, coordinator):
    action = fiches["FA 904"]
    action_save(action=action, data={"title": "Signalétique à Béthune"}, user=coordinator, expected_version=1)
    assert found({"q": "BETHUNE"}, coordinator) == ["FA 901", "FA 902", "FA 904"]
    # The search column is not history: the timeline records only what a person changed.
    assert "search_text" not in {field.name for field in Action.history.model._meta.get_fields()}


def test_list_page_and_api_find_the_same_fiches(fiches, coordinator, client):
    client.force_login(coordinator)
    page = client.get(reverse("actions:action_list"), {"q": "Bethune", "convention": fiches["FA 901"].convention_id})
    assert [a.code for a in page.context["actions"]] == ["FA 901", "FA 902"]
    api = client.get(reverse("api:action-list"), {"q": "BÉTHUNE", "convention": fiches["FA 901"].convention_id})
    assert sorted(row["code"] for row in api.json()["results"]) == ["FA 901", "FA 902"]


def test_the_migration_fills_the_column_of_existing_fiches(fiches):
    Action.objects.filter(convention__key="acv-search").update(search_text="")
    migration = importlib.import_module("actions.migrations.0004_search_text")
    migration.fill_search_text(apps, None)
    action = Action.objects.get(code="FA 902", convention__key="acv-search")
    assert action.search_text == "fa 902\netude de programmation\nquartier de la gare, a bethune."


def test_reference_fiches_are_found_whatever_the_spelling(reference_data, coordinator):
    """The reference programme, loaded through its own path: each spelling finds every fiche whose searched
    fields contain the word once accents and case are set aside, computed here from the fields themselves."""
    every = Action.objects.all()
    for spellings in (("Bethune", "béthune", "BÉTHUNE"), ("Etude", "étude", "ÉTUDE")):
        word = normalise_for_search(spellings[0])
        expected = sorted(
            a.code for a in every if any(word in normalise_for_search(getattr(a, n)) for n in SEARCHED_FIELDS)
        )
        assert expected
        for typed in spellings:
            request = type("Request", (), {"user": coordinator})()
            filterset = ActionFilterSet({"q": typed}, queryset=every, request=request)
            assert filterset.is_valid()
            assert sorted(a.code for a in filterset.qs) == expected, typed
