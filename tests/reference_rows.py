"""The reference programme's rows as Python data: taken once from a loaded database (tests/template_db.py), put
back in bulk in each test process's database and in one a live-server test emptied."""

from collections import defaultdict

PROJECT_APPS = ("accounts", "actions", "conventions", "financing", "evaluation", "exchange", "jobs")


def _reference_models():
    from django.apps import apps
    from django.core import serializers

    from financing.models import KEPT_BY_THE_DATABASE

    app_configs = [apps.get_app_config(label) for label in PROJECT_APPS]
    ordered = serializers.sort_dependencies([(config, None) for config in app_configs])
    # The summary tables are not data: their triggers rebuild them as the funding lines, years and partners come
    # back.
    return [model for model in ordered if model not in KEPT_BY_THE_DATABASE]


def snapshot():
    """Every row of the project's tables (the summaries aside), as Python data: under a second."""
    from django.core import serializers

    rows = []
    for model in _reference_models():
        rows.extend(serializers.serialize("python", model._base_manager.order_by("pk")))
    return rows


def restore(rows):
    """Insert `rows` as they were, in bulk (no save() signals, hence no history rows of their own), and move the
    sequences past them."""
    from django.core import serializers
    from django.core.management.color import no_style
    from django.db import connection, transaction

    models = _reference_models()
    rows_by_model, links_by_table = defaultdict(list), defaultdict(list)
    for row in serializers.deserialize("python", rows):
        rows_by_model[type(row.object)].append(row.object)
        for name, target_pks in row.m2m_data.items():
            field = type(row.object)._meta.get_field(name)
            through = field.remote_field.through
            links_by_table[through].extend(
                through(**{field.m2m_column_name(): row.object.pk, field.m2m_reverse_name(): pk}) for pk in target_pks
            )
    with transaction.atomic():
        for model in models:
            model._base_manager.bulk_create(rows_by_model[model])
        for through, links in links_by_table.items():
            through._base_manager.bulk_create(links)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
