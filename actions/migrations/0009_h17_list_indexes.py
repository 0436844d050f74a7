"""Indexes for the lists: the plan order (the default sort of fiches), the search column (trigrams, PostgreSQL),
the state filter.

The plan order sorts the avenant with NULLS FIRST: PostgreSQL needs it said in the index, SQLite cannot say it in
an index but puts NULLs first in an ascending index already. The trigram index lets PostgreSQL answer the search
(`search_text LIKE '%gare%'`) from the index; SQLite has no such index and scans the normalised column — the same
results, found by reading more rows.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

PLAN_ORDER = {
    "postgresql": 'CREATE INDEX "action_plan_order" ON "actions_action" '
    '("convention_id", "amendment_id" ASC NULLS FIRST, "kind", (LENGTH("code")), "code")',
    "sqlite": 'CREATE INDEX "action_plan_order" ON "actions_action" '
    '("convention_id", "amendment_id", "kind", (LENGTH("code")), "code")',
}
SEARCH = 'CREATE INDEX "action_search_trgm" ON "actions_action" USING gin ("search_text" gin_trgm_ops)'


def create_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in PLAN_ORDER:
        schema_editor.execute(PLAN_ORDER[vendor])
    if vendor == "postgresql":
        schema_editor.execute(SEARCH)


def drop_indexes(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "action_plan_order"')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "action_search_trgm"')


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0008_merge_grid_and_plan_life"),
        ("conventions", "0008_merge_grid_and_plan_life"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="action",
            index=models.Index(fields=["status", "convention"], name="action_status"),
        ),
        # A no-op on other engines than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
