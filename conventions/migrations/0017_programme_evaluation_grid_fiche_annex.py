"""Whether a programme has an evaluation grid, and the annex its fiches' layout is, become programme settings: ACV
keeps its Article 8 grid and its fiches read « Annexe 6 » (reference data: fixtures/00_programme_acv.yaml); the
Contrat de Ville has neither."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Programme = apps.get_model("conventions", "Programme")
    Programme.objects.filter(code="acv").update(has_evaluation_grid=True, fiche_annex_label="Annexe 6")


class Migration(migrations.Migration):

    dependencies = [
        ('conventions', '0016_programme_fiche_kinds'),
    ]

    operations = [
        migrations.AddField(
            model_name='programme',
            name='fiche_annex_label',
            field=models.CharField(blank=True, help_text="L'annexe de la convention qui porte la mise en page des fiches, lue en tête de leur PDF (ACV : « Annexe 6 »). Vide : le PDF porte le titre de la convention et le nom d'une fiche.", max_length=60, verbose_name='annexe des fiches'),
        ),
        migrations.AddField(
            model_name='programme',
            name='has_evaluation_grid',
            field=models.BooleanField(default=False, help_text="Le programme suit ses résultats dans une grille d'évaluation (critères, indicateurs, valeurs par territoire) : ACV, Article 8 de l'avenant n°2.", verbose_name="grille d'évaluation"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
