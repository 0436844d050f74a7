from django.db import migrations, models

from acv.text import normalise_for_search

# Frozen here: the fields searched when this column was introduced (actions.models.SEARCHED_FIELDS).
SEARCHED_FIELDS = ("code", "title", "description")


def fill_search_text(apps, schema_editor):
    Action = apps.get_model("actions", "Action")
    batch = []
    for action in Action.objects.only("pk", *SEARCHED_FIELDS).iterator(chunk_size=500):
        action.search_text = "\n".join(normalise_for_search(getattr(action, name)) for name in SEARCHED_FIELDS)
        batch.append(action)
        if len(batch) == 500:
            Action.objects.bulk_update(batch, ["search_text"])
            batch = []
    Action.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_date_bounds"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="texte de recherche"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
