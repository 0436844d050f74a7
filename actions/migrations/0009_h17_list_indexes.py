"""Indexes for the lists: the search column (trigrams, PostgreSQL) and the state filter.

The trigram index lets PostgreSQL answer the search (`search_text LIKE '%gare%'`) from the index; SQLite has no
such index and scans the normalised column — the same results, found by reading more rows.

No index serves the default plan order: it sorts by the convention's signature date and title first (another
table), which no index on the fiches can hold; the pages sort ids only (acv.pagination.IdFirstPaginator).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

SEARCH = 'CREATE INDEX "action_search_trgm" ON "actions_action" USING gin ("search_text" gin_trgm_ops)'


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH)


def drop_indexes(apps, schema_editor):
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
