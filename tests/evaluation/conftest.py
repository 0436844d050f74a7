"""A small hand-built grid: one programme whose perimeters are Béthune, Bruay and the agglomeration, one axe,
one criterion and three indicators (a count, a percentage, a quantity followed by semester)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from evaluation.models import Direction, Frequency, UnitKind
from tests.factories import (
    AxisFactory,
    ConventionFactory,
    CriterionFactory,
    DataSourceFactory,
    IndicatorFactory,
    SectorFactory,
    SignatoryFactory,
)


@pytest.fixture
def grid_programme(db, bethune, bruay, agglomeration):
    convention = ConventionFactory()
    for organisation in (bethune, bruay, agglomeration):
        SignatoryFactory(convention=convention, organisation=organisation, role="beneficiary")
    axis = AxisFactory(programme=convention.programme, number="1", title="Habitat", position=1)
    criterion = CriterionFactory(programme=convention.programme, axis=axis, code="1.1", title="Logements")
    source = DataSourceFactory(name="Service Habitat")
    housing = IndicatorFactory(
        criterion=criterion,
        name="Logements vacants",
        unit="logements",
        unit_kind=UnitKind.COUNT,
        decimal_places=0,
        direction=Direction.DOWN,
        position=0,
    )
    housing.sources.add(source)
    vacancy = IndicatorFactory(
        criterion=criterion,
        name="Taux de vacance commerciale",
        unit="%",
        unit_kind=UnitKind.PERCENT,
        decimal_places=1,
        direction=Direction.DOWN,
        position=1,
    )
    visits = IndicatorFactory(
        criterion=criterion,
        name="Fréquentation des transports",
        unit="voyages",
        unit_kind=UnitKind.QUANTITY,
        decimal_places=2,
        direction=Direction.UP,
        frequency=Frequency.SEMESTER,
        min_value=Decimal("0"),
        position=2,
    )
    return {
        "programme": convention.programme,
        "convention": convention,
        "axis": axis,
        "criterion": criterion,
        "source": source,
        "housing": housing,
        "vacancy": vacancy,
        "visits": visits,
        "hypercentre": SectorFactory(commune=bethune, name="Hypercentre"),
        "elsewhere": SectorFactory(commune=bruay, name="Centre"),
    }


@pytest.fixture
def api_for(request):
    def build(persona):
        client = APIClient()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return build
