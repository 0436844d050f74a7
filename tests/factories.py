"""factory_boy factories for every model (test data; reference data lives in fixtures/)."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from actions.models import Action, Milestone, Operation, ProgressUpdate, QualityNote, ResultIndicator, search_text_of
from conventions.models import (
    Amendment,
    Axis,
    AxisWording,
    CommitteeMeeting,
    Convention,
    Organisation,
    OrganisationAlias,
    PriorityNeighbourhood,
    Programme,
    Sector,
    Signatory,
    SubAxis,
    UserProfile,
)
from evaluation.models import Criterion, DataSource, Indicator, IndicatorValue
from financing.models import Envelope, FundingLine, FundingLineYear, FundingScheme

factory.Faker._DEFAULT_LOCALE = "fr_FR"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("mot-de-passe-de-test")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ["code"]

    code = "acv"
    name = "Action Cœur de Ville"
    # As the reference data configures it: ACV files the national table (avenant n°2), other programmes do not.
    has_national_table = factory.LazyAttribute(lambda programme: programme.code == "acv")
    fiche_kinds = factory.LazyAttribute(
        lambda programme: ["mature", "diagnostic", "fiche"] if programme.code == "acv" else []
    )
    has_evaluation_grid = factory.LazyAttribute(lambda programme: programme.code == "acv")
    evaluation_grid_source = factory.LazyAttribute(lambda programme: "Article 8" if programme.code == "acv" else "")
    fiche_annex_label = factory.LazyAttribute(lambda programme: "Annexe 6" if programme.code == "acv" else "")


class AxisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Axis
        django_get_or_create = ["programme", "number"]

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: str(n % 5 + 1))
    title = factory.Faker("sentence", nb_words=6)


class AxisWordingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AxisWording

    axis = factory.SubFactory(AxisFactory)
    version = "2023"
    title = factory.Faker("sentence", nb_words=6)


class SubAxisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubAxis

    axis = factory.SubFactory(AxisFactory)
    code = factory.Sequence(lambda n: f"9.{n}")
    title = factory.Faker("sentence", nb_words=5)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"test-org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "commune"


class OrganisationAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationAlias

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Autre nom {n}")


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Convention
        django_get_or_create = ["key"]

    key = "acv-test"
    programme = factory.SubFactory(ProgrammeFactory)
    title = "Convention-cadre Action Cœur de Ville"
    signed_on = datetime.date(2018, 9, 24)
    starts_on = datetime.date(2018, 9, 24)
    # As far as avenant n°2 carries the programme, so that test lines may plan money up to 2026.
    ends_on = datetime.date(2026, 12, 31)


class AmendmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Amendment

    key = factory.Sequence(lambda n: f"test-avenant-{n}")
    convention = factory.SubFactory(ConventionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "Avenant"
    status = "signed"


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    convention = factory.SubFactory(ConventionFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "funder"


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector

    key = factory.Sequence(lambda n: f"test-secteur-{n}")
    commune = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("street_name")


class PriorityNeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityNeighbourhood
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"test-qpv-{n}")
    name = factory.Sequence(lambda n: f"Quartier {n}")

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create and extracted:
            self.communes.set(extracted)


class CommitteeMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMeeting

    convention = factory.SubFactory(ConventionFactory)
    held_on = datetime.date(2026, 6, 15)


class UserProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserProfile

    user = factory.SubFactory(UserFactory)
    # Created even when the profile is only built: a profile's programme is never an unsaved row.
    programme = factory.LazyFunction(lambda: ProgrammeFactory())
    role = "coordinator"


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    convention = factory.SubFactory(ConventionFactory)
    code = factory.Sequence(lambda n: f"FA {n + 100}")
    title = factory.Faker("sentence", nb_words=8)
    territory = factory.SubFactory(OrganisationFactory)
    project_owner = factory.SelfAttribute("territory")
    cost_kind = "exact"
    cost_amount = Decimal("100000.00")
    cost_basis = "TTC"

    @factory.post_generation
    def axes(self, create, extracted, **kwargs):
        if create and extracted:
            self.axes.set(extracted)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The app fills the search column in Action.clean(), which factories skip.
        action = model_class(*args, **kwargs)
        action.search_text = search_text_of(action)
        action.save()
        return action


class OperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operation

    action = factory.SubFactory(ActionFactory)
    name = factory.Faker("sentence", nb_words=4)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    action = factory.SubFactory(ActionFactory)
    label = factory.Faker("sentence", nb_words=4)


class ResultIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResultIndicator

    action = factory.SubFactory(ActionFactory)
    label = factory.Faker("sentence", nb_words=4)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    action = factory.SubFactory(ActionFactory)
    year = 2026
    semester = 2
    status = "in_progress"
    percent_done = 50


class QualityNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityNote

    action = factory.SubFactory(ActionFactory)
    field = "budget"
    description = "Le budget diffère entre le tableau et la fiche."


class FundingSchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingScheme
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"test-dispositif-{n}")
    name = factory.Sequence(lambda n: f"Dispositif {n}")


class EnvelopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Envelope

    key = factory.Sequence(lambda n: f"test-enveloppe-{n}")
    funder = factory.SubFactory(OrganisationFactory, kind="region")
    period_start = 2023
    period_end = 2026
    ceiling = Decimal("500000.00")


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    action = factory.SubFactory(ActionFactory)
    funder = factory.SubFactory(OrganisationFactory, kind="etat")
    amount = Decimal("10000.00")
    status = "planned"


class FundingLineYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLineYear

    funding_line = factory.SubFactory(FundingLineFactory)
    year = 2025
    amount = Decimal("5000.00")


class DataSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSource

    key = factory.Sequence(lambda n: f"test-source-{n}")
    name = factory.Sequence(lambda n: f"Source {n}")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"test-C{n}")
    title = factory.Faker("sentence", nb_words=6)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    criterion = factory.SubFactory(CriterionFactory)
    name = factory.Faker("sentence", nb_words=5)


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue
        skip_postgeneration_save = True  # the hook below writes a signatory, not the value

    indicator = factory.SubFactory(IndicatorFactory)
    territory = factory.SubFactory(OrganisationFactory)
    period = "2024"
    value = Decimal("12.5")

    @factory.post_generation
    def perimeter(obj, create, extracted, **kwargs):
        """A value's territory is a perimeter of the indicator's programme: it signed one of its conventions as
        collectivité bénéficiaire (reference territories already have)."""
        if not create or obj.territory is None or obj.territory.kind not in ("commune", "epci"):
            return
        programme = obj.indicator.criterion.programme
        signed = Signatory.objects.filter(
            organisation=obj.territory, role="beneficiary", convention__programme=programme
        ).exists()
        if not signed:
            convention = Convention.objects.filter(programme=programme).first() or ConventionFactory(
                key=f"acv-{programme.code}", programme=programme
            )
            SignatoryFactory(convention=convention, organisation=obj.territory, role="beneficiary")
