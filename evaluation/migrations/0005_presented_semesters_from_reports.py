"""The semesters whose report was already presented to a comité before the freeze existed: each becomes a
PresentedSemester (its first presentation), so that they are frozen like the ones presented from now on."""

from django.db import migrations


def record_presented(apps, schema_editor):
    SemesterReport = apps.get_model("evaluation", "SemesterReport")
    PresentedSemester = apps.get_model("conventions", "PresentedSemester")
    reports = SemesterReport.objects.filter(meeting__isnull=False).select_related("meeting").order_by("generated_at")
    for report in reports:
        PresentedSemester.objects.get_or_create(
            convention_id=report.meeting.convention_id,
            year=report.year,
            semester=report.semester,
            defaults={"meeting_id": report.meeting_id},
        )


def forget_presented(apps, schema_editor):
    # Back to before the freeze: the table itself goes with conventions' migration.
    apps.get_model("conventions", "PresentedSemester").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0004_typed_values"),
        ("conventions", "0007_presented_semesters"),
    ]

    operations = [migrations.RunPython(record_presented, forget_presented)]
