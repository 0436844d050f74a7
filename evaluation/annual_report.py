"""The annual report of a programme that reports every year (the Contrat de Ville: décret n°2015-1118), in the
structure of its own 2019 report: the orientations (the nomenclature, with what the year's projects contribute to
each operational objective), the year's programming by pillar and by financer, beside the figures the programme's
documents state for that year, and the data-quality notes on them.

Read as the person who asked reads the programme (visible_to, in that programme: roles.working_in); every figure
is a SQL count or sum, the document's own figures are shown beside, never in their place.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from actions.models import Action, QualityNote
from conventions import roles
from conventions.models import Axis, CallForProjects, FigureGroup, Objective, ProgrammeFigure, SubAxis
from evaluation.reports import render_pdf
from financing.managers import SETTLED, ZERO
from financing.models import FundingLine


@dataclass
class PillarRow:
    axis: object
    computed: int
    stated: object = None
    orientations: list = field(default_factory=list)


def _projects_of_year(user, year):
    """The year's projects: those that answered the year's call, or (projects outside any call, such as the
    fonds de concours) whose period starts that year."""
    return Action.objects.visible_to(user).filter(Q(call__year=year) | Q(call__isnull=True, start_on__year=year))


def annual_report_context(user, *, year, now=None):
    """Everything the annual report shows, for the programme the user works in."""
    programme = roles.active_programme(user)
    projects = _projects_of_year(user, year)
    call = CallForProjects.objects.visible_to(user).filter(year=year).first()
    figures = list(ProgrammeFigure.objects.visible_to(user).filter(year=year).select_related("axis"))
    stated_by_axis = {
        figure.axis_id: figure.value for figure in figures if figure.group == FigureGroup.PROJECTS_BY_AXIS
    }
    per_axis = dict(
        projects.filter(axes__isnull=False).order_by().values_list("axes").annotate(count=Count("pk", distinct=True))
    )
    per_objective = dict(
        projects.filter(operational_objectives__isnull=False)
        .order_by()
        .values_list("operational_objectives")
        .annotate(count=Count("pk", distinct=True))
    )
    objectives = defaultdict(list)
    for objective in Objective.objects.visible_to(user).order_by("position"):
        objective.projects = per_objective.get(objective.pk, 0)
        objectives[objective.sub_axis_id].append(objective)
    orientations = defaultdict(list)
    for sub_axis in SubAxis.objects.visible_to(user).order_by("code"):
        sub_axis.objective_list = objectives.get(sub_axis.pk, [])
        orientations[sub_axis.axis_id].append(sub_axis)
    pillars = [
        PillarRow(
            axis=axis,
            computed=per_axis.get(axis.pk, 0),
            stated=stated_by_axis.get(axis.pk),
            orientations=orientations.get(axis.pk, []),
        )
        for axis in Axis.objects.visible_to(user).select_related("programme").order_by("position", "number")
    ]
    lines = FundingLine.objects.visible_to(user).filter(action__in=projects.values("pk"))
    by_funder = (
        lines.filter(status__in=SETTLED)
        .order_by()
        .values("funder__name", "funder__kind")
        .annotate(amount=Coalesce(Sum("amount"), ZERO), count=Count("pk"))
        .order_by("-amount")
    )
    notes = QualityNote.objects.visible_to(user).filter(call=call) if call else QualityNote.objects.none()
    return {
        "programme": programme,
        "year": year,
        "call": call,
        "projects_count": projects.count(),
        "retained": projects.filter(dossier_decision="retained").count(),
        "holders": projects.exclude(project_owner=None).values("project_owner").distinct().count(),
        "pillars": pillars,
        "unassigned": projects.filter(axes__isnull=True).count(),
        "by_funder": list(by_funder),
        "funder_shares": [figure for figure in figures if figure.group == FigureGroup.FUNDER_SHARE],
        "themes": [figure for figure in figures if figure.group == FigureGroup.THEME_CONTRIBUTION],
        "totals": [figure for figure in figures if figure.group == FigureGroup.TOTAL],
        "notes": list(notes),
        "generated_at": now or timezone.now(),
    }


def annual_report_pdf(user, *, year, now=None):
    return render_pdf("evaluation/pdf/annual_report.html", annual_report_context(user, year=year, now=now))
