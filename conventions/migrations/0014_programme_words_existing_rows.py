"""Existing programmes keep what the code used to decide: ACV files the national table and names its territory in
the footer; the Contrat de Ville's fiches are « projets » (masculine) and its orientations feminine; axes numbered
T and P get the label their documents give them (the code no longer names an axe « T » « transversal » itself)."""

from django.db import migrations

# Reference data as the fixtures write it (fixtures/00_programme_acv.yaml, fixtures/50_contrat_de_ville.yaml).
AXIS_LABELS = {("acv", "T"): "Axe transversal", ("cdv", "T"): "Axes transversaux", ("cdv", "P"): "Pilotage"}


def forwards(apps, schema_editor):
    Programme = apps.get_model("conventions", "Programme")
    Axis = apps.get_model("conventions", "Axis")
    Programme.objects.filter(code="acv").update(
        has_national_table=True,
        territory_label="de Béthune et Bruay-La-Buissière",
        fiche_code_example="AM.3, D.2, FA 41",
    )
    Programme.objects.filter(code="cdv", territory_label="").update(
        territory_label="de la Communauté d'Agglomération Béthune-Bruay, Artois Lys Romane"
    )
    Programme.objects.filter(code="cdv").update(
        fiche_label_gender="m", level2_label_gender="f", fiche_code_example="CV19-001"
    )
    for (code, number), label in AXIS_LABELS.items():
        Axis.objects.filter(programme__code=code, number=number, label="").update(label=label)
    # Any other programme's transversal axe read « <Level1> transversal » before: keep it.
    for axis in Axis.objects.filter(number="T", label="").select_related("programme"):
        axis.label = f"{axis.programme.level1_label[:1].upper()}{axis.programme.level1_label[1:]} transversal"
        axis.save(update_fields=["label"])


class Migration(migrations.Migration):
    dependencies = [("conventions", "0013_programme_words_national_table_axis_label")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
