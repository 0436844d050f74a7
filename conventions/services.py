"""Writes of the conventions app that other apps call: here, the record that a semester's report was presented."""

from django.db import transaction


@transaction.atomic
def semester_mark_presented(*, meeting, year: int, semester: int):
    """Record that the report of this semester was presented to this comité meeting — the first presentation
    freezes the semester's états d'avancement (actions.services); a second one changes nothing. Called by the
    service that presents the report (evaluation.services.semester_report_present)."""
    from conventions.models import PresentedSemester

    presented, _created = PresentedSemester.objects.get_or_create(
        convention_id=meeting.convention_id, year=year, semester=semester, defaults={"meeting": meeting}
    )
    return presented
