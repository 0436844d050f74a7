import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def profiles_to_default_programme(apps, schema_editor):
    """Every existing profile was a role in the one programme there was: the default one (ACV)."""
    UserProfile = apps.get_model("conventions", "UserProfile")
    if not UserProfile.objects.exists():
        return
    Programme = apps.get_model("conventions", "Programme")
    code = getattr(settings, "ACV_DEFAULT_PROGRAMME", "acv")
    programme, _ = Programme.objects.get_or_create(code=code, defaults={"name": "Action Cœur de Ville"})
    UserProfile.objects.filter(programme__isnull=True).update(programme=programme)


class Migration(migrations.Migration):
    dependencies = [
        ("conventions", "0009_h15_programme_configuration"),
    ]

    operations = [
        migrations.AddField(
            model_name="userprofile",
            name="programme",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="profiles",
                to="conventions.programme",
                verbose_name="programme",
            ),
        ),
        migrations.RunPython(profiles_to_default_programme, migrations.RunPython.noop),
    ]
