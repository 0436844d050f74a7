"""Browser fixtures: the system Chromium, driven by Playwright (never a downloaded browser)."""

import os

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
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
