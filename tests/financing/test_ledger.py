"""A ledger per line: the yearly split checked against the amount and the programme's period, versements as
their own records, a workflow of states, and each change kept as an event of the line's life.

The fiche's convention runs 2018-09-24 → 2024-12-31 and its avenant covers up to 2026-12-31: years 2018–2026.
"""

import datetime
from decimal import Decimal
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from financing.models import TRANSITIONS, FundingEvent, FundingStatus, Payment
from financing.services import funding_line_create, funding_line_update, payment_cancel, payment_record
from tests import factories as f

D = Decimal


@pytest.fixture
def fiche(db, bethune):
    convention = f.ConventionFactory()
    f.AmendmentFactory(convention=convention, number=2, covers_to=datetime.date(2026, 12, 31))
    action = f.ActionFactory(convention=convention, code="FA 700", territory=bethune, cost_amount=D("1000000"))
    action.axes.set([f.AxisFactory(number="1")])
    return action


@pytest.fixture
def line(fiche, bdt):
    return f.FundingLineFactory(action=fiche, funder=bdt, amount=D("1723250"), status="granted")


def api(user):
    client = APIClient()
    client.force_login(user)
    return client


# --- The yearly split ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "accepted"),
    [
        ([{"year": 2025, "amount": D("1723250")}], True),  # exactly the amount
        ([{"year": 2025, "amount": D("1000000")}, {"year": 2026, "amount": D("723249.99")}], True),  # just under
        ([{"year": 2025, "amount": D("1000000")}, {"year": 2026, "amount": D("723250.01")}], False),  # just over
        ([{"year": 2030, "amount": D("9000000")}], False),  # the audit's probe: out of period and over
        ([{"year": 2017, "amount": D("1")}], False),  # before the convention
        ([{"year": 2018, "amount": D("1")}, {"year": 2026, "amount": D("1")}], True),  # both ends of the period
    ],
)
def test_yearly_split_is_checked_against_the_amount_and_the_period(line, coordinator, years, accepted):
    def update():
        funding_line_update(line=line, changes={}, years=years, user=coordinator, expected_version=1)

    if accepted:
        update()
        assert sorted((y.year, y.amount) for y in line.years.all()) == sorted((y["year"], y["amount"]) for y in years)
    else:
        with pytest.raises(ValidationError) as error:
            update()
        assert "years" in error.value.message_dict
        assert not line.years.exists()


def test_a_complete_split_must_equal_the_amount(line, coordinator):
    with pytest.raises(ValidationError, match="dit complet"):
        funding_line_update(
            line=line,
            changes={"years_complete": True},
            years=[{"year": 2025, "amount": D("1000000")}],
            user=coordinator,
            expected_version=1,
        )
    funding_line_update(
        line=line,
        changes={"years_complete": True},
        years=[{"year": 2025, "amount": D("1000000")}, {"year": 2026, "amount": D("723250")}],
        user=coordinator,
        expected_version=1,
    )
    line.refresh_from_db()
    assert line.years_complete and line.version == 2


def test_lowering_the_amount_under_its_split_is_refused(line, coordinator):
    funding_line_update(
        line=line, changes={}, years=[{"year": 2025, "amount": D("22000")}], user=coordinator, expected_version=1
    )
    with pytest.raises(ValidationError, match="plus que le montant"):
        funding_line_update(line=line, changes={"amount": D("20000")}, years=None, user=coordinator, expected_version=2)
    line.refresh_from_db()
    assert line.amount == D("1723250")


def test_the_api_refuses_a_split_above_the_amount_with_the_field_named(line, coordinator, partner_bdt):
    small = f.FundingLineFactory(action=line.action, funder=line.funder, amount=D("22000"), status="requested")
    for user in (coordinator, partner_bdt):
        response = api(user).patch(
            f"/api/v1/funding-lines/{small.pk}/", {"years": [{"year": 2025, "amount": "999999999.00"}]}
        )
        assert response.status_code == 400, response.content
        assert "plus que le montant" in str(response.json()["fields"]["years"])
    assert not small.years.exists()


def test_the_portal_refuses_a_split_above_the_amount_in_french(client, line, partner_bdt):
    client.force_login(partner_bdt)
    data = {
        "version": line.version,
        "status": line.status,
        "decision_reference": "",
        "decision_date": "",
        "years-TOTAL_FORMS": "1",
        "years-INITIAL_FORMS": "0",
        "years-0-year": "2030",
        "years-0-amount": "9000000",
    }
    response = client.post(reverse("financing:funding_line_decision", args=[line.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "hors de la période du programme" in body and "plus que le montant de la ligne" in body
    assert not line.years.exists()


# --- The workflow -------------------------------------------------------------------------------------------


STATES = [status.value for status in FundingStatus]


@pytest.mark.parametrize(("old", "new"), [pair for pair in product(STATES, STATES) if pair[0] != pair[1]])
def test_every_transition_is_allowed_or_refused_with_a_reason(fiche, bdt, coordinator, old, new):
    line = f.FundingLineFactory(action=fiche, funder=bdt, amount=D("1000"), status=old)
    allowed = new in TRANSITIONS[old]
    if allowed:
        funding_line_update(line=line, changes={"status": new}, years=None, user=coordinator, expected_version=1)
        line.refresh_from_db()
        assert line.status == new
        [event] = FundingEvent.objects.filter(funding_line=line)
        assert (event.from_status, event.to_status, event.user, event.amount) == (old, new, coordinator, D("1000"))
    else:
        with pytest.raises(ValidationError) as error:
            funding_line_update(line=line, changes={"status": new}, years=None, user=coordinator, expected_version=1)
        assert error.value.message_dict["status"]
        line.refresh_from_db()
        assert line.status == old and not FundingEvent.objects.filter(funding_line=line).exists()


def test_versé_is_never_chosen_it_follows_from_the_payments(fiche, bdt, coordinator):
    with pytest.raises(ValidationError, match="découle des versements"):
        funding_line_create(
            data={"action": fiche, "funder": bdt, "amount": D("5000"), "status": "paid"}, years=None, user=coordinator
        )


# --- Versements -----------------------------------------------------------------------------------------


def test_a_line_is_paid_in_instalments_and_never_above_its_grant(line, partner_bdt):
    first = payment_record(
        line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("1000000")}, user=partner_bdt
    )
    line.refresh_from_db()
    assert line.status == "granted"  # partly paid: still accordé, with 1 000 000 € versés
    assert first.recorded_by == partner_bdt
    with pytest.raises(ValidationError, match="reste à verser : 723"):
        payment_record(
            line=line, data={"paid_on": datetime.date(2025, 9, 1), "amount": D("723250.01")}, user=partner_bdt
        )
    payment_record(line=line, data={"paid_on": datetime.date(2025, 9, 1), "amount": D("723250")}, user=partner_bdt)
    line.refresh_from_db()
    assert line.status == "paid"
    assert sum(p.amount for p in Payment.objects.filter(funding_line=line)) == D("1723250")
    life = list(FundingEvent.objects.filter(funding_line=line).values_list("from_status", "to_status", "amount"))
    assert life == [("granted", "granted", D("1000000")), ("granted", "paid", D("723250"))]
    with pytest.raises(ValidationError):
        payment_record(line=line, data={"paid_on": datetime.date(2025, 10, 1), "amount": D("1")}, user=partner_bdt)


def test_a_line_not_granted_receives_no_payment(fiche, bdt, coordinator):
    line = f.FundingLineFactory(action=fiche, funder=bdt, amount=D("5000"), status="requested")
    with pytest.raises(ValidationError, match="doit d'abord"):
        payment_record(line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("100")}, user=coordinator)
    assert not Payment.objects.exists()


def test_another_funder_cannot_record_a_payment(line, partner_region, coordinator):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        payment_record(line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("100")}, user=partner_region)
    assert not Payment.objects.exists()


def test_payments_through_the_api_and_the_portal(client, line, partner_bdt):
    response = api(partner_bdt).post(
        f"/api/v1/funding-lines/{line.pk}/payments/", {"paid_on": "2025-03-01", "amount": "2000000.00"}
    )
    assert response.status_code == 400
    assert "plus que le montant accordé" in str(response.json()["fields"]["amount"])
    response = api(partner_bdt).post(
        f"/api/v1/funding-lines/{line.pk}/payments/",
        {"paid_on": "2025-03-01", "amount": "723250.00", "reference": "M-1"},
    )
    assert response.status_code == 201, response.content
    body = api(partner_bdt).get(f"/api/v1/funding-lines/{line.pk}/").json()
    assert body["paid"] == "723250.00" and body["status"] == "granted"
    client.force_login(partner_bdt)
    page = client.get(reverse("financing:funding_line_decision", args=[line.pk])).content.decode()
    assert "M-1" in page and "reste à verser" in page
    portal = client.get(reverse("financing:partner_portal")).content.decode()
    assert "versé en partie : 723\u202f250" in portal
    response = client.post(
        reverse("financing:payment_create", args=[line.pk]), {"paid_on": "2025-09-01", "amount": "1 000 000"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == "paid"


def test_a_partner_follows_the_life_of_its_lines_only(
    fiche, line, bdt, region, coordinator, partner_bdt, partner_region
):
    other = f.FundingLineFactory(action=fiche, funder=region, amount=D("200000"), status="requested")
    funding_line_update(line=other, changes={"status": "granted"}, years=None, user=coordinator, expected_version=1)
    payment_record(line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("1000")}, user=partner_bdt)
    assert set(FundingEvent.objects.visible_to(partner_bdt).values_list("funding_line", flat=True)) == {line.pk}
    assert set(FundingEvent.objects.visible_to(partner_region).values_list("funding_line", flat=True)) == {other.pk}
    body = api(partner_bdt).get(f"/api/v1/funding-lines/{other.pk}/").json()
    assert body["events"] == []  # another funder's settled line: its figures, not its negotiation
    assert (
        api(partner_bdt)
        .get(f"/api/v1/funding-lines/{line.pk}/")
        .json()["events"][0]["note"]
        .startswith("versement partiel")
    )


def test_a_payment_document_is_served_only_to_who_may_read_the_payment(client, line, partner_bdt, partner_region):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payment = payment_record(
        line=line,
        data={
            "paid_on": datetime.date(2025, 3, 1),
            "amount": D("1000"),
            "document": SimpleUploadedFile("avis.pdf", b"%PDF-1.4 avis BDT"),
        },
        user=partner_bdt,
    )
    url = reverse("financing:payment_document", args=[payment.pk])
    client.force_login(partner_bdt)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 avis BDT"
    client.force_login(partner_region)
    assert client.get(url).status_code == 404


# --- Correcting a versement -------------------------------------------------------------------------------


def test_a_mistaken_payment_is_cancelled_not_deleted_and_the_line_is_granted_again(line, partner_bdt, coordinator):
    payment_record(line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("723250")}, user=partner_bdt)
    wrong = payment_record(
        line=line, data={"paid_on": datetime.date(2025, 9, 1), "amount": D("1000000")}, user=partner_bdt
    )
    line.refresh_from_db()
    assert line.status == "paid"
    with pytest.raises(ValidationError, match="motif"):
        payment_cancel(payment=wrong, reason="   ", user=partner_bdt)
    assert Payment.objects.standing().count() == 2  # a refused cancellation changes nothing
    payment_cancel(payment=wrong, reason="montant saisi deux fois", user=partner_bdt)
    wrong.refresh_from_db()
    line.refresh_from_db()
    assert wrong.cancelled_by == partner_bdt and wrong.cancellation_reason == "montant saisi deux fois"
    assert line.status == "granted" and line.version == 3  # 1, versé (2), accordé again (3)
    assert Payment.objects.filter(funding_line=line).count() == 2  # still in the ledger
    assert Payment.objects.standing().filter(funding_line=line).count() == 1
    last = FundingEvent.objects.filter(funding_line=line).last()
    assert (last.from_status, last.to_status, last.amount) == ("paid", "granted", D("-1000000"))
    assert last.note == "annulation du versement du 01/09/2025 : montant saisi deux fois"
    with pytest.raises(ValidationError, match="déjà été annulé"):
        payment_cancel(payment=wrong, reason="encore", user=coordinator)
    # What was cancelled no longer stands in the way of the right payment.
    payment_record(line=line, data={"paid_on": datetime.date(2025, 9, 2), "amount": D("1000000")}, user=partner_bdt)
    line.refresh_from_db()
    assert line.status == "paid"


def test_only_who_may_record_a_payment_cancels_it(line, partner_bdt, partner_region, committee_member):
    from django.core.exceptions import PermissionDenied

    payment = payment_record(
        line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("1000")}, user=partner_bdt
    )
    for user in (partner_region, committee_member):
        with pytest.raises(PermissionDenied):
            payment_cancel(payment=payment, reason="erreur", user=user)
    payment.refresh_from_db()
    assert not payment.cancelled


def test_cancelling_through_the_api_and_the_page(client, line, partner_bdt):
    first = payment_record(
        line=line, data={"paid_on": datetime.date(2025, 3, 1), "amount": D("1000")}, user=partner_bdt
    )
    second = payment_record(
        line=line, data={"paid_on": datetime.date(2025, 4, 1), "amount": D("2500")}, user=partner_bdt
    )
    url = f"/api/v1/funding-lines/{line.pk}/payments/{first.pk}/cancel/"
    response = api(partner_bdt).post(url, {})
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = api(partner_bdt).post(url, {"reason": "doublon du mandat M-1"})
    assert response.status_code == 200, response.content
    assert response.json()["cancellation_reason"] == "doublon du mandat M-1"
    assert api(partner_bdt).get(f"/api/v1/funding-lines/{line.pk}/").json()["paid"] == "2500.00"
    listed = api(partner_bdt).get(f"/api/v1/funding-lines/{line.pk}/payments/").json()
    assert [(row["amount"], row["cancelled_at"] is not None) for row in listed] == [
        ("1000.00", True),
        ("2500.00", False),
    ]
    client.force_login(partner_bdt)
    response = client.post(reverse("financing:payment_cancel", args=[second.pk]), {"reason": "erreur de ligne"})
    assert response.status_code == 302
    page = client.get(reverse("financing:funding_line_decision", args=[line.pk])).content.decode()
    assert "Versé : <strong>0,00\u00a0€</strong>" in page or "Versé : <strong>0\u00a0€</strong>" in page
    assert page.count("<strong>Annulé</strong>") == 2 and "erreur de ligne" in page
