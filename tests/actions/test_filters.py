"""The fiche FilterSet: each filter selects the right fiches, once each."""

import datetime
from decimal import Decimal

import pytest
from django.test import RequestFactory

from actions.filters import ActionFilterSet
from actions.models import Action
from tests import factories as f

pytestmark = pytest.mark.django_db


def only_test_fiches():
    """Only the fiches these tests create: the reference programme may be loaded in the same database."""
    return Action.objects.filter(convention__key="acv-test").for_list()


@pytest.fixture(autouse=True)
def as_coordinator(coordinator):
    """The funding filters run on the lines the viewer may see: these tests read as the coordinator."""
    global VIEWER
    VIEWER = RequestFactory().get("/")
    VIEWER.user = coordinator


VIEWER = None


def codes(params):
    filterset = ActionFilterSet(params, queryset=only_test_fiches(), request=VIEWER)
    assert filterset.is_valid(), filterset.errors
    return sorted(action.code for action in filterset.qs)


@pytest.fixture
def fiches(bethune, bruay, bdt, region):
    axis3, axis4 = f.AxisFactory(number="3"), f.AxisFactory(number="4")
    square = f.ActionFactory(
        code="FA 54",
        title="Place Nature – Aménagement de la place de l'Europe",
        territory=bruay,
        axes=[axis4],
        start_on=datetime.date(2024, 1, 1),
        start_precision="year",
        start_until=datetime.date(2024, 12, 31),
        end_on=datetime.date(2025, 1, 1),
        end_precision="year",
        end_until=datetime.date(2025, 12, 31),
        cost_amount=Decimal("1712934"),
    )
    study = f.ActionFactory(
        code="FA 41",
        title="Plan de mobilité",
        description="Une étude des déplacements doux",
        territory=bethune,
        axes=[axis3, axis4],
        status="in_progress",
        project_type="etude",
        start_on=datetime.date(2026, 1, 1),
        start_precision="year",
        start_until=datetime.date(2026, 12, 31),
        cost_amount=Decimal("120000"),
    )
    undated = f.ActionFactory(code="FA 60", territory=bruay, kind="mature", cost_kind="unknown", cost_amount=None)
    # Two lines of the same funder on one fiche must not make it appear twice.
    f.FundingLineFactory(action=square, funder=bdt, amount=Decimal("100000"))
    f.FundingLineFactory(action=square, funder=bdt, amount=Decimal("125000"), status="granted")
    f.FundingLineFactory(action=study, funder=region, amount=Decimal("60000"))
    return {"square": square, "study": study, "undated": undated, "axis3": axis3, "axis4": axis4}


def test_no_filter_lists_every_fiche(fiches):
    assert codes({}) == ["FA 41", "FA 54", "FA 60"]


def test_commune_and_axis_combine(fiches, bruay):
    assert codes({"territory": bruay.pk, "axis": fiches["axis4"].pk}) == ["FA 54"]


def test_axis_shared_by_two_fiches_lists_each_once(fiches):
    assert codes({"axis": fiches["axis4"].pk}) == ["FA 41", "FA 54"]


def test_funder_with_two_lines_on_a_fiche_lists_it_once(fiches, bdt):
    assert codes({"funder": bdt.pk}) == ["FA 54"]


def test_funding_status(fiches):
    assert codes({"funding_status": "granted"}) == ["FA 54"]


def test_status_type_kind_and_cost_kind(fiches):
    assert codes({"status": "in_progress"}) == ["FA 41"]
    assert codes({"project_type": "etude"}) == ["FA 41"]
    assert codes({"kind": "mature"}) == ["FA 60"]
    assert codes({"cost_kind": "unknown"}) == ["FA 60"]


def test_year_selects_fiches_active_that_year(fiches):
    assert codes({"year": 2025}) == ["FA 54"]
    assert codes({"year": 2027}) == ["FA 41"]  # started in 2026, no end: still running
    assert codes({"year": 2023}) == []


def test_text_search_reads_code_title_and_description(fiches):
    assert codes({"q": "europe"}) == ["FA 54"]
    assert codes({"q": "déplacements"}) == ["FA 41"]
    assert codes({"q": "fa 60"}) == ["FA 60"]


def test_sub_axis_and_project_owner(fiches, bethune):
    sub = f.SubAxisFactory(axis=fiches["axis4"], code="4.99")
    Action.objects.filter(pk=fiches["square"].pk).update(sub_axis=sub)
    assert codes({"sub_axis": sub.pk}) == ["FA 54"]
    assert codes({"project_owner": bethune.pk}) == ["FA 41"]


def test_sorting_by_cost_and_share_puts_unknown_last(fiches):
    filterset = ActionFilterSet({"ordering": "-cost"}, queryset=only_test_fiches(), request=VIEWER)
    assert [a.code for a in filterset.qs] == ["FA 54", "FA 41", "FA 60"]
    filterset = ActionFilterSet({"ordering": "share"}, queryset=only_test_fiches(), request=VIEWER)
    assert [a.code for a in filterset.qs] == ["FA 54", "FA 41", "FA 60"]  # 13,1 % then 50 % then none
    filterset = ActionFilterSet({"ordering": "-funded"}, queryset=only_test_fiches(), request=VIEWER)
    assert filterset.qs.first().code == "FA 54"


def test_convention_and_amendment(fiches):
    amendment = f.AmendmentFactory(convention=fiches["study"].convention)
    Action.objects.filter(pk=fiches["study"].pk).update(amendment=amendment)
    assert codes({"amendment": amendment.pk}) == ["FA 41"]
    assert codes({"convention": fiches["study"].convention_id}) == ["FA 41", "FA 54", "FA 60"]


def test_late_and_open_notes(fiches):
    f.QualityNoteFactory(action=fiches["study"])
    assert codes({"open_notes": "1"}) == ["FA 41"]
    assert codes({"late": "1"}) == ["FA 54"]  # ended in 2025, not delivered


@pytest.mark.parametrize(
    ("params", "narrows"),
    [
        (None, False),
        ({"page": "last"}, False),
        ({"ordering": "-cost", "page": "2"}, False),
        ({"late": "on"}, True),
        ({"q": "gare"}, True),
        ({"year": "deux mille"}, True),  # invalid: selects nothing
    ],
)
def test_the_filterset_tells_whether_it_narrows_the_fiches(params, narrows):
    # The list reads its footer totals over every fiche the user sees when it does not (no second pass by id).
    assert ActionFilterSet(params, queryset=only_test_fiches(), request=VIEWER).narrows() is narrows


def test_footer_totals_follow_a_ticked_box_and_not_an_unticked_one(client, coordinator, bethune, bruay):
    late = f.ActionFactory(
        territory=bethune,
        end_on=datetime.date(2020, 6, 30),
        end_until=datetime.date(2020, 6, 30),
        cost_amount=Decimal("1000"),
    )
    f.ActionFactory(territory=bruay, end_on=None, cost_amount=Decimal("20000"))
    client.force_login(coordinator)
    everything = client.get("/fiches/", {"page": "1"}).context["cost"]["by_basis"]
    ticked = client.get("/fiches/", {"late": "on"}).context["cost"]["by_basis"]
    assert [row["high"] for row in ticked] == [late.cost_amount]
    visible = Action.objects.visible_to(coordinator)
    assert everything == visible.cost_totals()["by_basis"]
