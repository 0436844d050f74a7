from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The database cache (shared by every worker) needs its table; createcachetable is idempotent.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("conventions", "0002_portal_visit")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
