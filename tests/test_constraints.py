"""Every database constraint rejects a bad value, on SQLite and on PostgreSQL, with its French message.

Each case writes straight to the database (bypassing forms) to prove the database itself refuses, then
checks that model validation says the same thing in French.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests import factories as f


def _rejected(instance, message):
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    assert message in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


@pytest.mark.django_db
class TestAction:
    def test_negative_cost_is_refused(self):
        action = f.ActionFactory.build(territory=f.OrganisationFactory(), convention=f.ConventionFactory())
        action.cost_amount = Decimal("-1")
        with pytest.raises(ValidationError) as error:
            action.full_clean()
        assert "Le montant doit être positif ou nul." in str(error.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            action.save()

    def test_range_upside_down_is_refused(self):
        action = f.ActionFactory.build(
            territory=f.OrganisationFactory(),
            convention=f.ConventionFactory(),
            cost_kind="range",
            cost_amount=None,
            cost_min=Decimal("50000"),
            cost_max=Decimal("30000"),
        )
        with pytest.raises(ValidationError) as error:
            action.full_clean()
        assert "La borne haute doit être supérieure à la borne basse." in str(error.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            action.save()

    def test_exact_cost_needs_an_amount(self):
        action = f.ActionFactory.build(
            territory=f.OrganisationFactory(), convention=f.ConventionFactory(), cost_kind="exact", cost_amount=None
        )
        with pytest.raises(ValidationError) as error:
            action.full_clean()
        assert "Indiquez le montant" in str(error.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            action.save()

    def test_unknown_cost_is_not_zero(self):
        action = f.ActionFactory(cost_kind="unknown", cost_amount=None)
        action.full_clean()
        assert action.cost_display == "à déterminer"

    def test_end_before_start_is_refused(self):
        action = f.ActionFactory.build(
            territory=f.OrganisationFactory(),
            convention=f.ConventionFactory(),
            start_on=datetime.date(2024, 4, 1),
            start_precision="quarter",
            end_on=datetime.date(2023, 6, 1),
            end_precision="season",
        )
        with pytest.raises(ValidationError) as error:
            action.full_clean()
        assert "La fin ne peut pas précéder le début." in str(error.value)
        action.end_until = datetime.date(2023, 8, 31)
        with pytest.raises(IntegrityError), transaction.atomic():
            action.save()

    def test_code_unique_within_its_convention(self):
        first = f.ActionFactory(code="FA 54")
        duplicate = f.ActionFactory.build(code="FA  54", convention=first.convention, territory=first.territory)
        with pytest.raises(ValidationError) as error:
            duplicate.full_clean()
        assert "Une fiche de cette convention porte déjà ce code." in str(error.value)
        duplicate.code = "FA 54"
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()

    def test_same_code_allowed_in_another_convention(self):
        f.ActionFactory(code="FA 54")
        other = f.ActionFactory.build(
            code="FA 54", convention=f.ConventionFactory(key="autre-ville"), territory=f.OrganisationFactory()
        )
        other.full_clean()
        other.save()


@pytest.mark.django_db
class TestFundingLine:
    def test_negative_amount_is_refused(self):
        line = f.FundingLineFactory.build(
            action=f.ActionFactory(), funder=f.OrganisationFactory(), amount=Decimal("-5")
        )
        _rejected(line, "Le montant doit être positif ou nul.")

    @pytest.mark.parametrize("share", [Decimal("-1"), Decimal("100.01")])
    def test_share_outside_0_100_is_refused(self, share):
        line = f.FundingLineFactory.build(action=f.ActionFactory(), funder=f.OrganisationFactory(), share=share)
        _rejected(line, "La part est comprise entre 0 et 100 %.")

    def test_unknown_amount_is_allowed(self):
        line = f.FundingLineFactory(amount=None)
        line.full_clean()
        assert line.is_amount_unknown

    def test_operation_of_another_fiche_is_refused(self):
        line = f.FundingLineFactory.build(
            action=f.ActionFactory(), funder=f.OrganisationFactory(), operation=f.OperationFactory()
        )
        with pytest.raises(ValidationError) as error:
            line.full_clean()
        assert "Cette opération appartient à une autre fiche." in str(error.value)

    def test_year_appears_once_per_line(self):
        year = f.FundingLineYearFactory(year=2025)
        duplicate = f.FundingLineYearFactory.build(funding_line=year.funding_line, year=2025)
        _rejected(duplicate, "Cette année figure déjà dans l'échéancier de la ligne.")


@pytest.mark.django_db
class TestOtherConstraints:
    def test_progress_percent_above_100_is_refused(self):
        update = f.ProgressUpdateFactory.build(action=f.ActionFactory(), percent_done=101)
        _rejected(update, "L'avancement est compris entre 0 et 100 %.")

    def test_one_progress_update_per_semester(self):
        first = f.ProgressUpdateFactory()
        second = f.ProgressUpdateFactory.build(action=first.action, year=first.year, semester=first.semester)
        _rejected(second, "Cette fiche a déjà un état d'avancement pour ce semestre.")

    def test_envelope_period_ordered(self):
        envelope = f.EnvelopeFactory.build(funder=f.OrganisationFactory(), period_start=2026, period_end=2023)
        _rejected(envelope, "La dernière année ne peut pas précéder la première.")

    def test_envelope_ceiling_positive(self):
        envelope = f.EnvelopeFactory.build(funder=f.OrganisationFactory(), ceiling=Decimal("-1"))
        _rejected(envelope, "doit être positif ou nul.")

    def test_scheme_rate_range(self):
        scheme = f.FundingSchemeFactory.build(max_rate=Decimal("140"))
        _rejected(scheme, "Le taux est compris entre 0 et 100 %.")

    def test_convention_end_after_start(self):
        convention = f.ConventionFactory.build(
            key="mauvaise",
            programme=f.ProgrammeFactory(),
            starts_on=datetime.date(2024, 1, 1),
            ends_on=datetime.date(2023, 1, 1),
        )
        _rejected(convention, "La fin ne peut pas précéder le début.")

    def test_amendment_period_ordered(self):
        amendment = f.AmendmentFactory.build(
            convention=f.ConventionFactory(),
            covers_from=datetime.date(2026, 12, 31),
            covers_to=datetime.date(2024, 1, 1),
        )
        _rejected(amendment, "La fin de la période ne peut pas précéder son début.")

    def test_partner_profile_needs_an_organisation(self):
        profile = f.UserProfileFactory.build(user=f.UserFactory(), role="partner", organisation=None)
        _rejected(profile, "Un référent ou un partenaire est rattaché à une organisation.")

    def test_indicator_value_unique_per_period(self):
        value = f.IndicatorValueFactory()
        duplicate = f.IndicatorValueFactory.build(
            indicator=value.indicator, territory=value.territory, period=value.period
        )
        _rejected(duplicate, "Une valeur existe déjà pour cet indicateur, ce territoire et cette période.")


@pytest.mark.django_db
def test_an_organisation_signs_a_document_once():
    signatory = f.SignatoryFactory()
    duplicate = f.SignatoryFactory.build(convention=signatory.convention, organisation=signatory.organisation)
    _rejected(duplicate, "Cette organisation est déjà signataire de ce document.")
    amendment = f.AmendmentFactory(convention=signatory.convention)
    f.SignatoryFactory(convention=signatory.convention, amendment=amendment, organisation=signatory.organisation)
    again = f.SignatoryFactory.build(
        convention=signatory.convention, amendment=amendment, organisation=signatory.organisation
    )
    _rejected(again, "Cette organisation est déjà signataire de ce document.")
