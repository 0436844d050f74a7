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
