"""Browser fixtures: the system Chromium, driven by Playwright (never a downloaded browser)."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# The password of the browser tests' accounts (tests.factories.UserFactory's).
PASSWORD = "mot-de-passe-de-test"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium système absent : installez le paquet chromium (scripts/system-deps.sh test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def sign_in(page, base_url, username):
    """Signed in through the sign-in page, as a person is: `page`, showing the page's main heading."""
    page.goto(f"{base_url}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


# -- The reference programme in a live-server test ---------------------------------------------------------------
#
# live_server runs on a transactional database that is flushed after each test, so a journey test must put the
# reference programme back itself: from the rows the session's loading kept in memory (tests/conftest.py,
# `reference_db`), in bulk, the same rows with the same ids. Loading it again (every row validated, its history
# written) would cost seconds per test.


@pytest.fixture
def reference_programme(reference_db, transactional_db):
    """An emptied database with the reference programme put back in it."""
    from django.core.management import call_command

    from tests.reference_rows import restore

    call_command("flush", interactive=False, verbosity=0)
    restore(reference_db)
