"""What a partner reads on a fiche page: its own lines, others' settled lines, nothing of their negotiations."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories as f


@pytest.fixture
def square(bdt, region, bethune, coordinator):
    fiche = f.ActionFactory(
        code="FA 950", title="Place des partenaires", territory=bethune, cost_amount=Decimal("1000000")
    )
    f.FundingLineFactory(
        action=fiche, funder=bdt, amount=Decimal("300000"), status="requested", source_text="BdT : 300 000 €"
    )
    negotiating = f.FundingLineFactory(
        action=fiche,
        funder=region,
        amount=Decimal("123456"),
        status="requested",
        source_text="Région : en négociation secrète",
    )
    f.FundingLineFactory(
        action=fiche, funder=region, amount=Decimal("200000"), status="granted", source_text="Note interne Région"
    )
    negotiating._history_user = coordinator
    negotiating.amount = Decimal("150000")
    negotiating.save()
    return fiche


def test_partner_sees_settled_lines_of_others_but_never_their_negotiations(client, partner_bdt, square):
    client.force_login(partner_bdt)
    body = client.get(reverse("actions:action_detail", args=[square.pk])).content.decode()
    assert "300\u202f000" in body  # its own line
    assert "200\u202f000" in body  # the Région's granted line
    assert "150\u202f000" not in body and "123\u202f456" not in body  # the Région's line under negotiation
    assert "négociation secrète" not in body and "Note interne Région" not in body
    # Part acquise: the Région's granted 200 000 € over 1 000 000 € — the same figure the coordinator reads;
    # its own 300 000 € apart. Never the sum of what it happens to see (500 000 €), nor the part prévue.
    assert "Part acquise" in body and "20,0\u00a0%" in body
    assert "Vos engagements" in body
    assert "500\u202f000" not in body and "650\u202f000" not in body
    assert "Part prévue" not in body


def test_the_coordinator_sees_every_line_and_its_history(client, coordinator, square):
    client.force_login(coordinator)
    body = client.get(reverse("actions:action_detail", args=[square.pk])).content.decode()
    assert "150\u202f000" in body
    assert "650\u202f000" in body  # 300 000 + 150 000 + 200 000


def test_partner_list_totals_leave_out_others_negotiations(client, partner_bdt, square):
    client.force_login(partner_bdt)
    response = client.get(reverse("actions:action_list") + "?q=FA+950")
    body = response.content.decode()
    fiche = response.context["actions"][0]
    assert fiche.funding_acquired == Decimal("200000") and fiche.funding_own == Decimal("300000")
    assert not hasattr(fiche, "funding_total")  # the part prévue is not computed for a partner at all
    # One row per HT / TTC basis (the factories' fiches and lines share one).
    assert [row["total"] for row in response.context["acquired"]] == [Decimal("200000")]
    assert [row["total"] for row in response.context["own"]] == [Decimal("300000")]
    assert response.context["planned"] is None
    assert "500\u202f000" not in body and "650\u202f000" not in body


def test_partner_cannot_reach_a_fiche_it_does_not_fund(client, partner_region, partner_bdt, bethune):
    other = f.ActionFactory(code="FA 951", territory=bethune)
    f.FundingLineFactory(action=other, funder=partner_bdt.profiles.get().organisation)
    client.force_login(partner_region)
    assert client.get(reverse("actions:action_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("evaluation:action_pdf", args=[other.pk])).status_code == 404
