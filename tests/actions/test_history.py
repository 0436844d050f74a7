"""Every change to a fiche, an operation or a funding line is recorded: who, when, what."""

from decimal import Decimal

import pytest

from tests import factories as f


@pytest.mark.django_db
def test_changing_a_fiche_records_who_and_what(coordinator):
    fiche = f.ActionFactory(cost_amount=Decimal("100000"))
    fiche._history_user = coordinator
    fiche.cost_amount = Decimal("120000")
    fiche.save()
    latest, previous = fiche.history.all()[:2]
    assert latest.history_user == coordinator
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("cost_amount", Decimal("100000.00"), Decimal("120000"))
    ]


@pytest.mark.django_db
def test_changing_the_axes_of_a_fiche_is_recorded():
    fiche = f.ActionFactory()
    axis = f.AxisFactory(number="4")
    fiche.axes.add(axis)
    assert fiche.history.count() == 2
    assert [row.axis_id for row in fiche.history.first().axes.all()] == [axis.pk]


@pytest.mark.django_db
def test_funding_line_and_operation_changes_are_recorded():
    line = f.FundingLineFactory(status="planned")
    line.status = "granted"
    line.decision_reference = "Arrêté 2026-114"
    line.save()
    assert [h.status for h in line.history.all()] == ["granted", "planned"]

    operation = f.OperationFactory(name="Phase 1")
    operation.name = "Phase 1 : travaux"
    operation.save()
    assert operation.history.count() == 2
