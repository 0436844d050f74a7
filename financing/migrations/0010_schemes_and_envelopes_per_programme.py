"""Existing rows get the programme the reference data now names (fixtures/03_schemes.yaml): the schemes that the
ACV documents cite apply to ACV, each envelope to the programme whose document sets it aside. An envelope or a
scheme without a programme now applies to every programme, no longer to the default one only."""

from django.db import migrations

ACV_SCHEMES = [
    "DSIL",
    "FSIL",
    "FONDS_VERT",
    "DRAC",
    "FEDER",
    "FONDS_CONCOURS",
    "PERMIS_LOUER",
    "CABBALR_FONDS_COMMERCE",
    "REGION_ACV",
    "DEPARTEMENT",
    "ANAH_OPAH",
    "ANAH_CHEF_PROJET",
    "PEEC",
    "BDT_INGENIERIE",
    "BDT_PRET",
    "EPF_PPI",
    "AVELO",
]
ENVELOPES = {
    "acv": [
        "region-acv-bethune-2023-2026",
        "region-acv-bruay-2023-2026",
        "ademe-avelo2-cabbalr",
        "action-logement-peec-acv-2023-2027",
    ],
    "cdv": [
        "region-srei-fonctionnement-cabbalr",
        "region-srei-investissement-cabbalr",
        "region-npnru-cabbalr",
        "feder-iti-cabbalr-2014-2021",
    ],
}


def forwards(apps, schema_editor):
    Programme = apps.get_model("conventions", "Programme")
    FundingScheme = apps.get_model("financing", "FundingScheme")
    Envelope = apps.get_model("financing", "Envelope")
    acv = Programme.objects.filter(code="acv").first()
    if acv is not None:
        for scheme in FundingScheme.objects.filter(code__in=ACV_SCHEMES):
            scheme.programmes.add(acv)
    for code, keys in ENVELOPES.items():
        programme = Programme.objects.filter(code=code).first()
        if programme is not None:
            Envelope.objects.filter(key__in=keys, programme__isnull=True).update(programme=programme)


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0009_merge_programmes_scale_workbooks"),
        ("conventions", "0014_programme_words_existing_rows"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
