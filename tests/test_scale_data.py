"""The national data set generator (manage.py generate_scale_data), at a tiny size: what it builds is
consistent with the models' rules, the same for a seed, and seen by a partner as the access layer says."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from actions.models import Action, search_text_of
from conventions.models import Convention, Organisation
from conventions.roles import SETTLED_FUNDING_STATUSES
from financing.models import FundingLine, FundingLineYear, FundingStatus, Payment

pytestmark = pytest.mark.django_db

SIZE = {"territories": 2, "fiches_per_territory": 3, "lines_per_fiche": 3}


def generate(seed=11, **extra):
    call_command("generate_scale_data", seed=seed, stdout=None, **SIZE, **extra)


def snapshot():
    """What two runs with one seed must share: every fiche and every line, by their natural keys."""
    fiches = list(
        Action.objects.order_by("convention__key", "code").values_list(
            "convention__key", "code", "title", "status", "cost_kind", "cost_amount", "cost_basis", "start_on"
        )
    )
    lines = list(
        FundingLine.objects.order_by("action__convention__key", "action__code", "position").values_list(
            "action__code", "funder__key", "amount", "status", "basis", "years_complete"
        )
    )
    return fiches, lines


def test_builds_territories_fiches_and_lines_the_models_accept(capsys):
    generate()

    communes = Organisation.objects.filter(key__startswith="nat-", kind="commune")
    assert communes.count() == 2
    assert Convention.objects.filter(key__startswith="nat-").count() == 2
    fiches = Action.objects.select_related("territory").prefetch_related("axes")
    assert fiches.count() == 6
    assert FundingLine.objects.count() == 18
    for fiche in fiches:
        assert fiche.search_text == search_text_of(fiche) != ""
        assert fiche.axes.exists()
        lines = list(fiche.funding_lines.all())
        # The commune's own share first, then two distinct partners.
        assert lines[0].funder == fiche.territory
        assert len({line.funder_id for line in lines}) == 3
    assert "Jeu national construit" in capsys.readouterr().out
    # « Versé » follows from payments: they add up to the amount of every versé line, and never exceed an
    # accordé one's.
    for line in FundingLine.objects.filter(status__in=[FundingStatus.PAID, FundingStatus.GRANTED]):
        paid = Payment.objects.filter(funding_line=line).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        assert paid == line.amount if line.status == FundingStatus.PAID else paid < line.amount
    for line in FundingLine.objects.filter(years_complete=True):
        assert FundingLineYear.objects.filter(funding_line=line).aggregate(total=Sum("amount"))["total"] == line.amount


def test_the_same_seed_builds_the_same_set_and_reset_replaces_it():
    generate(seed=11)
    first = snapshot()
    with pytest.raises(CommandError, match="--reset"):
        generate(seed=11)

    generate(seed=11, reset=True)
    assert snapshot() == first
    assert Action.objects.count() == 6

    generate(seed=12, reset=True)
    assert snapshot() != first
    # The bulk load and the reset went through the triggers: the funding summary is that of the lines now there.
    from tests.financing.test_summary import assert_summary_exact

    assert_summary_exact()


def test_a_partner_sees_the_fiches_it_funds_or_partners_and_only_settled_lines_of_others(partner_bdt):
    generate()
    bdt = partner_bdt.profiles.get().organisation
    expected = set(FundingLine.objects.filter(funder=bdt).values_list("action_id", flat=True)) | set(
        Action.partners.through.objects.filter(organisation=bdt).values_list("action_id", flat=True)
    )

    visible = set(Action.objects.visible_to(partner_bdt).values_list("pk", flat=True))

    assert visible == expected
    assert 0 < len(visible) < Action.objects.count()
    lines = FundingLine.objects.visible_to(partner_bdt)
    assert {line.action_id for line in lines} <= visible
    others = [line for line in lines if line.funder_id != bdt.pk]
    assert all(line.status in SETTLED_FUNDING_STATUSES for line in others)
    assert lines.filter(funder=bdt).count() == FundingLine.objects.filter(funder=bdt).count()
