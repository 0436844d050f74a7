"""Browser fixtures: the system Chromium, driven by Playwright (never a downloaded browser)."""

import os
from collections import defaultdict

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
# reference programme back itself. Loading it through load_reference_data (every row validated, its history
# written) costs seconds per test; it is loaded once per process, its rows kept in memory, and put back from
# them in every later test: the same rows, with the same ids.

PROJECT_APPS = ("accounts", "actions", "conventions", "financing", "evaluation", "exchange", "jobs")
_reference_rows = []


def _reference_models():
    from django.apps import apps
    from django.core import serializers

    from financing.models import KEPT_BY_THE_DATABASE

    app_configs = [apps.get_app_config(label) for label in PROJECT_APPS]
    ordered = serializers.sort_dependencies([(config, None) for config in app_configs])
    # The summary tables are not data: their triggers rebuild them as the funding lines, years and partners come
    # back.
    return [model for model in ordered if model not in KEPT_BY_THE_DATABASE]


@pytest.fixture
def reference_programme(transactional_db):
    """An emptied database with the reference programme in it (loaded the first time, restored after)."""
    from django.core import serializers
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    call_command("flush", interactive=False, verbosity=0)
    models = _reference_models()
    if not _reference_rows:
        call_command("load_reference_data", verbosity=0)
        for model in models:
            _reference_rows.extend(serializers.serialize("python", model._base_manager.order_by("pk")))
        return
    rows_by_model, links_by_table = defaultdict(list), defaultdict(list)
    for row in serializers.deserialize("python", _reference_rows):
        rows_by_model[type(row.object)].append(row.object)
        for name, target_pks in row.m2m_data.items():
            field = type(row.object)._meta.get_field(name)
            through = field.remote_field.through
            links_by_table[through].extend(
                through(**{field.m2m_column_name(): row.object.pk, field.m2m_reverse_name(): pk}) for pk in target_pks
            )
    # Inserted as they were, in bulk: no save() signals, hence no history rows of their own.
    with transaction.atomic():
        for model in models:
            model._base_manager.bulk_create(rows_by_model[model])
        for through, links in links_by_table.items():
            through._base_manager.bulk_create(links)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
