"""The permission matrix: every URL of the project × every role × read / write → the expected status.

Generated from the URL configuration: a URL that is added without its row here fails
`test_every_url_is_in_the_matrix`. Statuses: 302 = sent to the login page, 401 = API without
credentials, 403 = visible but not allowed, 404 = not visible at all (no enumeration by id),
200/201/302 on success, 400 = allowed, and the (empty) submitted data was refused by validation.

The objects are those of the reference programme: FA 42 is a Béthune fiche funded by the Banque des
Territoires (not by the Région); AM.7 is a Béthune fiche already delivered.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from actions.models import Action
from conventions.models import Amendment, Axis, CommitteeMeeting, Convention, Organisation, SubAxis
from evaluation.models import Criterion, EndOfActionReport, Indicator, IndicatorValue, SemesterReport
from financing.models import FundingLine

PERSONAE = [
    "anonymous",
    "admin_user",
    "coordinator",
    "referent_bethune",
    "partner_bdt",
    "partner_region",
    "committee_member",
]

# url name: (objects needed for its arguments, {method: "statuses in the order of PERSONAE"})
MATRIX = {
    # pages
    "login": (None, {"GET": "200 302 302 302 302 302 302"}),
    "logout": (None, {"POST": "302 302 302 302 302 302 302"}),
    "password_change": (None, {"GET": "302 200 200 200 200 200 200", "POST": "302 200 200 200 200 200 200"}),
    "password_change_done": (None, {"GET": "302 200 200 200 200 200 200"}),
    "actions:dashboard": (None, {"GET": "302 200 200 200 200 200 200"}),
    "actions:action_list": (None, {"GET": "302 200 200 200 200 200 200"}),
    "actions:action_create": (None, {"GET": "302 200 200 403 403 403 403", "POST": "302 400 400 403 403 403 403"}),
    "actions:action_detail": ("fiche", {"GET": "302 200 200 200 200 404 200"}),
    "actions:action_update": ("fiche", {"GET": "302 200 200 200 403 404 403", "POST": "302 400 400 400 403 404 403"}),
    "actions:progress_create": ("fiche", {"POST": "302 400 400 400 403 404 403"}),
    # An empty form is refused with a message on the fiche page.
    "actions:milestone_achieve": ("milestone", {"POST": "302 302 302 302 403 404 403"}),
    "actions:formset_row": ("row", {"GET": "302 200 200 200 403 403 403"}),
    "actions:formset_row_remove": (None, {"GET": "302 200 200 200 200 200 200"}),
    "conventions:meeting_list": (None, {"GET": "302 200 200 200 403 403 200"}),
    "conventions:meeting_create": (None, {"GET": "302 200 200 403 403 403 403", "POST": "302 400 400 403 403 403 403"}),
    "conventions:meeting_detail": ("meeting", {"GET": "302 200 200 200 403 403 200"}),
    "conventions:meeting_update": ("meeting", {"GET": "302 200 200 403 403 403 403"}),
    "evaluation:report_index": (None, {"GET": "302 200 200 403 403 403 200"}),
    "evaluation:semester_report_pdf": (None, {"GET": "302 200 200 403 403 403 200"}),
    "evaluation:stored_report_pdf": ("report", {"GET": "302 200 200 403 403 403 200"}),
    # An empty form is refused with a message on the meeting page.
    "evaluation:report_present": ("meeting_report", {"POST": "302 302 302 403 403 403 403"}),
    "evaluation:action_pdf": ("fiche", {"GET": "302 200 200 200 200 404 200"}),
    "evaluation:end_of_action_report": ("delivered", {"GET": "302 200 200 200 404 404 403"}),
    "evaluation:end_of_action_pdf": ("delivered", {"GET": "302 200 200 200 404 404 200"}),
    "financing:partner_portal": (None, {"GET": "302 403 403 403 200 200 403"}),
    "financing:funding_export": (None, {"GET": "302 200 200 200 200 200 200"}),
    "financing:funding_line_decision": ("bdt_line", {"GET": "302 200 200 200 200 404 403"}),
    # API (read for every endpoint; writes per endpoint and field are in tests/api/test_access.py)
    "api:token": (None, {"POST": "401 201 201 201 201 201 201"}),
    "api:aggregates": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:action-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:action-detail": ("fiche", {"GET": "401 200 200 200 200 404 200", "PATCH": "401 200 200 200 403 404 403"}),
    "api:funding-line-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:funding-line-detail": (
        "bdt_line",
        {"GET": "401 200 200 200 200 404 200", "PATCH": "401 200 200 200 200 404 403"},
    ),
    "api:organisation-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:organisation-detail": (
        "organisation",
        {"GET": "401 200 200 200 200 200 200", "PATCH": "401 200 200 403 403 403 403"},
    ),
    "api:convention-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:convention-detail": ("convention", {"GET": "401 200 200 200 200 200 200"}),
    "api:amendment-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:amendment-detail": ("amendment", {"GET": "401 200 200 200 200 200 200"}),
    "api:axis-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:axis-detail": ("axis", {"GET": "401 200 200 200 200 200 200"}),
    "api:sub-axis-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:sub-axis-detail": ("sub_axis", {"GET": "401 200 200 200 200 200 200"}),
    "api:committee-meeting-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:committee-meeting-detail": ("meeting", {"GET": "401 200 200 200 200 200 200"}),
    "api:criterion-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:criterion-detail": ("criterion", {"GET": "401 200 200 200 200 200 200"}),
    "api:indicator-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:indicator-detail": ("indicator", {"GET": "401 200 200 200 200 200 200"}),
    "api:indicator-value-list": (None, {"GET": "401 200 200 200 200 200 200"}),
    "api:indicator-value-detail": ("indicator_value", {"GET": "401 200 200 200 200 200 200"}),
    "api:semester-report": (None, {"GET": "401 200 200 403 403 403 200"}),
    "api:schema": (None, {"GET": "200 200 200 200 200 200 200"}),
    "api:docs": (None, {"GET": "200 200 200 200 200 200 200"}),
}

QUERY = {
    "evaluation:semester_report_pdf": "?year=2026&semester=2",
    "api:semester-report": "?year=2026&semester=2",
    "api:action-list": "?code=FA+42",
}


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin checks is_staff and model permissions itself (tests/test_admin.py)
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.name.endswith("-root"):
            if pattern.name.endswith(".format") or "format" in str(pattern.pattern):
                continue  # DRF's suffix variants of the same views
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_in_the_matrix():
    assert set(_url_names(get_resolver().url_patterns)) ^ set(MATRIX) == set()


@pytest.fixture
def objects(reference_data, coordinator):
    fiche = Action.objects.get(code="FA 42")
    meeting = CommitteeMeeting.objects.create(convention=fiche.convention, held_on="2026-06-15")
    report = SemesterReport(convention=fiche.convention, meeting=meeting, year=2026, semester=1)
    report.pdf.save("rapport.pdf", ContentFile(b"%PDF-1.4\n%rapport tel que presente\n"), save=True)
    indicator = Indicator.objects.first()
    delivered = Action.objects.get(code="AM.7")
    EndOfActionReport.objects.create(
        action=delivered,
        implementation="Travaux en 15 mois.",
        results="Beffroi rénové.",
        sustainability="Entretien par la ville.",
    )
    return {
        "fiche": {"pk": fiche.pk},
        "milestone": {"pk": fiche.pk, "milestone_pk": fiche.milestones.first().pk},
        "row": {"kind": "funding"},
        "meeting": {"pk": meeting.pk},
        "meeting_report": {"meeting_pk": meeting.pk},
        "report": {"pk": report.pk},
        "delivered": {"pk": delivered.pk},
        "bdt_line": {"pk": FundingLine.objects.get(action=fiche, funder__key="bdt").pk},
        "organisation": {"pk": Organisation.objects.get(key="bethune").pk},
        "convention": {"pk": Convention.objects.get(key="acv-2018").pk},
        "amendment": {"pk": Amendment.objects.get(key="avenant-2").pk},
        "axis": {"pk": Axis.objects.get(number="4").pk},
        "sub_axis": {"pk": SubAxis.objects.get(code="4.4").pk},
        "criterion": {"pk": Criterion.objects.first().pk},
        "indicator": {"pk": indicator.pk},
        "indicator_value": {
            "pk": IndicatorValue.objects.create(
                indicator=indicator, territory=fiche.territory, period="2025", value=12
            ).pk
        },
    }


CASES = [
    (name, method, persona, int(expected))
    for name, (_, methods) in MATRIX.items()
    for method, statuses in methods.items()
    for persona, expected in zip(PERSONAE, statuses.split(), strict=True)
]


@pytest.mark.parametrize(("name", "method", "persona", "expected"), CASES)
def test_status(client, request, objects, name, method, persona, expected):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    else:
        # Personae exist (some views look them up) but nobody is signed in.
        for other in PERSONAE[1:]:
            request.getfixturevalue(other)
    key = MATRIX[name][0]
    url = reverse(name, kwargs=objects[key] if key else None) + QUERY.get(name, "")
    response = (
        getattr(client, method.lower())(url, content_type="application/json")
        if method == "PATCH"
        else (getattr(client, method.lower())(url))
    )
    assert response.status_code == expected, f"{method} {url} as {persona}"
