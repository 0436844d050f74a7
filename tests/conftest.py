"""Shared fixtures: the named personae the tests speak about, and the reference programme."""

import pytest
from django.db import transaction
from django.test import override_settings

from tests.factories import OrganisationFactory, UserFactory, UserProfileFactory

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing with PBKDF2 dominates a suite that signs in seven personae per test; MD5 is fine here."""
    settings.PASSWORD_HASHERS = [MD5]


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Background tasks run in the test's own process as soon as they are enqueued, so a test reads the finished
    job at once, deterministically. The database backend and its worker, as production runs them, are tested
    in tests/jobs/test_jobs.py."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(request, settings, tmp_path):
    """Files the tests write (reports kept, payment documents, jobs' results) go to a folder of their own: the
    test's, or its module's when the module makes its rows once (module_transaction)."""
    if "module_transaction" not in request.fixturenames:
        settings.MEDIA_ROOT = tmp_path / "media"


# The organisations the personae belong to (the reference programme's, when it is loaded: same keys).
ORGANISATIONS = {
    "agglomeration": ("cabbalr", "Communauté d'agglomération de Béthune-Bruay", "epci"),
    "bethune": ("bethune", "Ville de Béthune", "commune"),
    "bruay": ("bruay", "Ville de Bruay-La-Buissière", "commune"),
    "bdt": ("bdt", "Banque des Territoires", "agence"),
    "region": ("region", "Région Hauts-de-France", "region"),
}


def _organisation(name):
    key, label, kind = ORGANISATIONS[name]
    return OrganisationFactory(key=key, name=label, kind=kind)


@pytest.fixture
def agglomeration(db):
    return _organisation("agglomeration")


@pytest.fixture
def bethune(db):
    return _organisation("bethune")


@pytest.fixture
def bruay(db):
    return _organisation("bruay")


@pytest.fixture
def bdt(db):
    return _organisation("bdt")


@pytest.fixture
def region(db):
    return _organisation("region")


def _persona(username, role, organisation=None, **extra):
    user = UserFactory(username=username, **extra)
    UserProfileFactory(user=user, role=role, organisation=organisation and _organisation(organisation))
    return user


# The named personae: one per role (and one with none), each made by its fixture below.
PERSONAE = {
    "admin_user": lambda: _persona("admin", "admin", is_staff=True, is_superuser=True),
    "coordinator": lambda: _persona("coordinateur", "coordinator", "agglomeration", is_staff=True),
    "referent_bethune": lambda: _persona("referent.bethune", "referent", "bethune"),
    "partner_bdt": lambda: _persona("partenaire.bdt", "partner", "bdt"),
    "partner_region": lambda: _persona("partenaire.region", "partner", "region"),
    "committee_member": lambda: _persona("comite", "committee"),
    "outsider": lambda: UserFactory(username="inconnu"),
}


@pytest.fixture
def admin_user(db):
    return PERSONAE["admin_user"]()


@pytest.fixture
def coordinator(db):
    return PERSONAE["coordinator"]()


@pytest.fixture
def referent_bethune(db):
    return PERSONAE["referent_bethune"]()


@pytest.fixture
def partner_bdt(db):
    return PERSONAE["partner_bdt"]()


@pytest.fixture
def partner_region(db):
    return PERSONAE["partner_region"]()


@pytest.fixture
def committee_member(db):
    return PERSONAE["committee_member"]()


@pytest.fixture
def outsider(db):
    return PERSONAE["outsider"]()


# -- Rows made once for a module ---------------------------------------------------------------------------------
#
# A module of many tests that all read the same rows (one test per URL, per API operation and persona…) makes them
# once, in a transaction of its own on the reference programme, rolled back after its last test: each of its tests
# runs in a savepoint of it (pytest-django), rolled back after the test, so none sees another's writes.


@pytest.fixture(scope="module")
def module_transaction(reference_db, django_db_blocker, tmp_path_factory):
    """The module's transaction; its files go to a folder of its own (see media_in_a_temporary_folder)."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5], MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)


def personae_made_once(*names):
    """Module-scoped fixtures of these personae, made in the module's transaction, to assign in the module:
    `coordinator, partner_bdt = personae_made_once("coordinator", "partner_bdt")`."""

    def made_once(name):
        @pytest.fixture(scope="module", name=name)
        def persona(module_transaction):
            # Made inside a test, the persona would go with that test's savepoint and be gone for the next.
            assert not transaction.get_connection().savepoint_ids, (
                f"« {name} » is first asked for inside a test: ask for it from a module-scoped fixture"
            )
            return PERSONAE[name]()

        return persona

    return [made_once(name) for name in names]


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """This process's test database: a copy of the engine's template, migrated once for the whole run
    (tests/template_db.py), instead of a new database migrated for each process. Its value is the template."""
    from django.db import connections

    from tests.template_db import Template

    with django_db_blocker.unblock():
        template = Template(connections["default"])
        template.ensure()
        old_name = template.copy_to_test_database()
        for alias in connections:
            mirror = connections[alias].settings_dict["TEST"].get("MIRROR")
            if mirror:
                connections[alias].creation.set_as_test_mirror(connections[mirror].settings_dict)
    yield template
    with django_db_blocker.unblock():
        template.drop_test_database(old_name)


@pytest.fixture(scope="session")
def reference_db(django_db_setup, django_db_blocker):
    """The whole reference programme, put in the database once per test session (tests must not change it): the
    rows loaded once with the template, inserted in bulk. They are also the fixture's value: browser tests put
    them back after their database was emptied (tests/browser/conftest.py)."""
    from tests.reference_rows import restore

    rows = django_db_setup.reference_rows()
    with django_db_blocker.unblock():
        restore(rows)
    return rows


@pytest.fixture
def reference_data(reference_db, db):
    """Use in a test that reads the reference programme."""


# The Contrat de Ville's personae, on the reference programme: they have no role in ACV.


def programme_user(username, code, role, organisation_key=None):
    from conventions.models import Organisation, Programme

    user = UserFactory(username=username)
    organisation = Organisation.objects.get(key=organisation_key) if organisation_key else None
    UserProfileFactory(user=user, programme=Programme.objects.get(code=code), role=role, organisation=organisation)
    return user


@pytest.fixture
def cdv_coordinator(reference_data):
    return programme_user("coordinateur.cdv", "cdv", "coordinator", "cabbalr")


@pytest.fixture
def cdv_partner(reference_data):
    """The CAF, partner of the Contrat de Ville (6,2 % of its 2019 programming), with one line of its own."""
    from actions.models import Action
    from conventions.models import Organisation
    from financing.models import FundingLine

    user = programme_user("partenaire.caf", "cdv", "partner", "caf")
    project = Action.objects.get(convention__key="cdv-cabbalr", title="Manger Bouger !")
    FundingLine.objects.create(
        action=project, funder=Organisation.objects.get(key="caf"), amount=3000, status="granted"
    )
    return user


# The browser tests that take 5 to 20 s each, longest first (the accessibility sweeps run role by role, in the
# order of their parameters).
LONGEST_BROWSER_TESTS = (
    "test_every_page_of_the_role_has_no_wcag_violation",
    "test_every_state_of_the_role_has_no_wcag_violation",
    "test_coordinator_adds_removes_and_saves_a_funding_line_with_the_keyboard",
    "test_two_people_edit_the_same_fiche_and_the_second_sees_the_conflict",
)


def _rank(item):
    name = getattr(item, "originalname", item.name)
    return LONGEST_BROWSER_TESTS.index(name) if name in LONGEST_BROWSER_TESTS else len(LONGEST_BROWSER_TESTS)


def pytest_collection_modifyitems(config, items):
    """Tests that build their own data first, on an empty database; then those that read the session-wide
    reference programme (loaded once, it stays for the rest of the session, so a test that counts rows must
    not meet it by chance); browser tests last: live_server flushes the database after each of them, which
    would wipe the reference programme for any `reference_data` test running afterwards."""
    browser = [item for item in items if "tests/browser/" in str(item.path).replace("\\", "/")]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    # Those that empty the database (live_server) after the others, which read the session's reference programme;
    # in each group the longest first: the workers take the last tests one at a time, so the short ones then fill
    # the end of the run instead of one long test keeping a worker busy alone while the other waits.
    browser.sort(key=lambda item: ("live_server" in item.fixturenames, _rank(item)))
    others = [item for item in items if item not in browser]
    own_data = [item for item in others if "reference_db" not in getattr(item, "fixturenames", ())]
    reference = [item for item in others if "reference_db" in getattr(item, "fixturenames", ())]
    items[:] = own_data + reference + browser
