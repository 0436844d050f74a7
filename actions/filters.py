"""The one FilterSet of fiches: used by the HTML list and, later, by the REST API."""

import datetime

import django_filters
from django import forms
from django.core.validators import EMPTY_VALUES
from django.db.models import Case, F, FloatField, Q, When
from django.db.models.functions import Cast, Coalesce
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from actions.managers import COMPARABLE_COST
from actions.models import Action, ActionKind, ActionStatus, ProjectType, kind_choices
from acv.forms import NamedModelChoiceField, SuggestionsInput
from acv.text import normalise_for_search
from acv.values import CostKind
from conventions import roles
from conventions.models import Amendment, Axis, Convention, Organisation, SubAxis
from financing.caps import fiches_behind
from financing.managers import SETTLED, funding_sum_for_action
from financing.models import Envelope, FundingLine, FundingStatus


class FilterRequest:
    """What ActionFilterSet reads of a request (its user, its query string), for work that runs later or
    elsewhere: a background export, the funding lines of the fiches a list selects."""

    def __init__(self, user, query):
        self.user = user
        self.GET = QueryDict(query or "")


def current_semester(today=None):
    today = today or timezone.localdate()
    return today.year, 1 if today.month <= 6 else 2


def current_reporting_period(programme, today=None):
    """(year, semester) of the état d'avancement expected now: semester None for a programme that reports once a
    year (any update of the year counts)."""
    year, semester = current_semester(today)
    return year, None if programme is not None and programme.is_annual else semester


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Sorts on the funding measures the viewer may read, computed here so the FilterSet works on any fiche
    queryset; unknown values (cost à déterminer, no share) go last whichever the direction.

    « acquired » (accordé + versé of every funder) is the same figure for every role. « funded » and « share »
    are the part prévue (every line but refused ones) for those who read every line; a partner, who may not
    read other funders' negotiations, sorts on the part acquise instead — the figure its list shows — so the
    order reveals nothing its columns would not. « own » is the partner's own lines.
    """

    def filter(self, qs, value):
        if not value:
            return qs
        user = getattr(self.parent.request, "user", None) if self.parent is not None else None
        sees_all = roles.sees_every_funding_line(user)
        settled = funding_sum_for_action(statuses=SETTLED)
        planned = funding_sum_for_action() if sees_all else settled
        annotations = {"sort_cost": Coalesce("cost_amount", "cost_min"), "sort_acquired": settled}
        wanted = {param.lstrip("-") for param in value if param}
        if wanted & {"funded", "share"}:
            annotations["sort_funded"] = planned
        if "own" in wanted:
            # Only a partner has lines of its own: anyone else's « own » sum is of no funder (zero).
            own = roles.organisation_id_of(user) if roles.is_partner(user) else 0
            annotations["sort_own"] = funding_sum_for_action(funder_id=own)
        qs = qs.annotate(**annotations)
        for key, amount in (("share", "sort_funded"), ("acquired_share", "sort_acquired")):
            if key in wanted:
                # Only to sort: shown shares are computed in Python (see Action.share_acquired).
                qs = qs.annotate(
                    **{
                        f"sort_{key}": Case(
                            When(
                                COMPARABLE_COST & Q(cost_amount__gt=0),
                                then=Cast(amount, FloatField()) / Cast("cost_amount", FloatField()),
                            ),
                            default=None,
                            output_field=FloatField(),
                        )
                    }
                )
        ordering = []
        for param in value:
            if not param:
                continue
            descending = param.startswith("-")
            field = F(self.param_map.get(param.lstrip("-"), param.lstrip("-")))
            ordering.append(field.desc(nulls_last=True) if descending else field.asc(nulls_last=True))
        return qs.order_by(*ordering, "code", "pk")


def _visible_lines(request):
    return FundingLine.objects.visible_to(getattr(request, "user", None))


# The communes and maîtres d'ouvrage of the fiches the user sees: not those of another programme's fiches.
def _territories(request):
    fiches = Action.objects.visible_to(getattr(request, "user", None))
    return Organisation.objects.filter(pk__in=fiches.values("territory_id"))


def _owners(request):
    fiches = Action.objects.visible_to(getattr(request, "user", None))
    return Organisation.objects.filter(pk__in=fiches.values("project_owner_id"))


class NamedChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice given by id (the API, links) or by name: the list page turns it into a text input with suggestions
    when it has more choices than a list can show (ActionFilterSet.suggest_long_choices)."""

    field_class = NamedModelChoiceField


# The filters whose choices grow with the programme (a commune, a convention per city at national scale).
SUGGESTED_FILTERS = ("convention", "territory", "project_owner", "funder")


def _earlier_fiches(request):
    # Only fiches the user sees that a fiche it also sees follows: a choice must not name a fiche it may not read.
    from actions.models import ActionLink

    links = ActionLink.objects.visible_to(getattr(request, "user", None))
    return Action.objects.filter(pk__in=links.values("earlier_id")).order_by("code")


def _funders(request):
    # Only funders whose lines the user may see: a choice would otherwise reveal who is negotiating.
    return Organisation.objects.filter(pk__in=_visible_lines(request).values("funder_id"))


class ActionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche",
        method="filter_q",
        help_text="Code, intitulé ou description ; accents et majuscules indifférents.",
    )
    code = django_filters.CharFilter(label="Code", help_text="Code exact de la fiche, par exemple AM.3.")
    convention = NamedChoiceFilter(
        queryset=Convention.objects.all(), label="Convention", empty_label="Toutes", name_field="title"
    )
    amendment = django_filters.ModelChoiceFilter(
        queryset=Amendment.objects.select_related("convention"), label="Avenant", empty_label="Tous"
    )
    territory = NamedChoiceFilter(queryset=_territories, label="Commune", empty_label="Toutes")
    axis = django_filters.ModelChoiceFilter(
        # field_name only tells the API schema the value is an axe id; filter_axis does the filtering.
        queryset=Axis.objects.all(),
        field_name="axes",
        label="Axe",
        method="filter_axis",
        empty_label="Tous les axes",
    )
    sub_axis = django_filters.ModelChoiceFilter(
        queryset=SubAxis.objects.select_related("axis"), label="Sous-axe", empty_label="Tous les sous-axes"
    )
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices, label="État", empty_label="Tous les états")
    project_owner = NamedChoiceFilter(queryset=_owners, label="Maître d'ouvrage", empty_label="Tous")
    funder = NamedChoiceFilter(
        queryset=_funders,
        field_name="funding_lines__funder",
        label="Financeur",
        method="filter_funder",
        empty_label="Tous",
    )
    funding_status = django_filters.ChoiceFilter(
        choices=FundingStatus.choices,
        label="Financement à l'état",
        method="filter_funding_status",
        empty_label="Tous",
        help_text="Fiches ayant au moins une ligne de financement à cet état.",
    )
    project_type = django_filters.ChoiceFilter(choices=ProjectType.choices, label="Type de projet", empty_label="Tous")
    kind = django_filters.ChoiceFilter(choices=ActionKind.choices, label="Catégorie", empty_label="Toutes")
    cost_kind = django_filters.ChoiceFilter(choices=CostKind.choices, label="Nature du coût", empty_label="Toutes")
    year = django_filters.NumberFilter(
        label="Active en",
        method="filter_year",
        help_text="Année, par exemple 2025 : fiches commencées avant sa fin et non terminées avant son début.",
        min_value=2000,
        max_value=2100,
    )
    late = django_filters.BooleanFilter(
        label="En retard",
        method="filter_late",
        widget=forms.CheckboxInput,
        help_text="Fin prévue dépassée, fiche ni réalisée ni abandonnée.",
    )
    no_update = django_filters.BooleanFilter(
        label="Sans état d'avancement ce semestre",
        method="filter_no_update",
        widget=forms.CheckboxInput,
        help_text="Aucun état d'avancement saisi pour le semestre en cours.",
    )
    derived_from = django_filters.ModelChoiceFilter(
        # field_name only tells the API schema the value is a fiche id; filter_derived_from does the filtering.
        queryset=_earlier_fiches,
        field_name="origins__earlier",
        label="Issue de…",
        method="filter_derived_from",
        empty_label="Toutes",
        help_text="Fiches qui poursuivent, remplacent ou reprennent une fiche d'une période précédente.",
    )
    envelope = django_filters.ModelChoiceFilter(
        # Reached from the Enveloppes page (« 68 fiches »), not picked in the form: a hidden field keeps it while
        # the other filters change, and the list says which envelope it is (action_list.html). field_name only tells
        # the API schema the value is an envelope id; filter_envelope does the filtering.
        queryset=Envelope.objects.select_related("funder", "territory", "scheme"),
        field_name="funding_lines__funder__envelopes",
        label="Enveloppe",
        method="filter_envelope",
        widget=forms.HiddenInput,
        help_text="Fiches dont une ligne de financement compte dans cette enveloppe.",
    )
    open_notes = django_filters.BooleanFilter(
        label="Notes de qualité à traiter",
        method="filter_open_notes",
        widget=forms.CheckboxInput,
        help_text="Les documents sources se contredisent ou sont incomplets sur la fiche.",
    )
    ordering = NullsLastOrderingFilter(
        fields=(
            ("code", "code"),
            ("title", "title"),
            ("territory__name", "commune"),
            ("sort_cost", "cost"),
            ("sort_acquired", "acquired"),
            ("sort_acquired_share", "acquired_share"),
            ("sort_funded", "funded"),
            ("sort_share", "share"),
            ("sort_own", "own"),
        ),
        field_labels={
            "code": "Code",
            "title": "Intitulé",
            "territory__name": "Commune",
            "sort_cost": "Coût",
            "sort_acquired": "Acquis (accordé et versé)",
            "sort_acquired_share": "Part acquise",
            "sort_funded": "Prévu (hors refusés)",
            "sort_share": "Part prévue",
            "sort_own": "Vos engagements",
        },
        label="Trier par",
    )

    class Meta:
        model = Action
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A filter builds its form field once and keeps it; the copies this instance holds would keep a field built
        # before (the API schema builds every field of the class's filters), and the programme's words and choices
        # set below would then be ignored. Each instance builds its fields from its own settings.
        for filter_ in self.filters.values():
            vars(filter_).pop("_field", None)
        user = getattr(self.request, "user", None)
        # The choices of the programme the user works in (another programme's axes are not its to pick), named
        # with its words: « Pilier », « Orientation » in the Contrat de Ville.
        for name in ("convention", "amendment", "axis", "sub_axis", "envelope"):
            self.filters[name].queryset = self.filters[name].queryset.visible_to(user)
        programme = roles.active_programme(user) if user is not None else None
        if programme is not None:
            self.filters["axis"].label = programme.level1_title
            self.filters["axis"].extra["empty_label"] = f"{programme.every_level1_title}"
            self.filters["sub_axis"].label = programme.level2_title
            self.filters["sub_axis"].extra["empty_label"] = f"{programme.every_level2_title}"
            if programme.fiche_code_example:
                self.filters["code"].extra["help_text"] = f"Code exact, par exemple {programme.fiche_code_example}."
            self.filters["kind"].extra["choices"] = kind_choices(programme)
            if programme.is_annual:
                self.filters["no_update"].label = "Sans état d'avancement cette année"
                self.filters["no_update"].extra["help_text"] = "Aucun état d'avancement saisi pour l'année en cours."

    def suggest_long_choices(self, max_options):
        """For the list page: a filter with more than `max_options` choices becomes a text input whose suggestions
        load as the user types (ActionFilterChoicesView), so the page never lists hundreds of options."""
        for name in SUGGESTED_FILTERS:
            field = self.form.fields[name]
            # One query either way: at most one row too many tells, and a short list is rendered from these rows.
            rows = list(field.queryset[: max_options + 1])
            if len(rows) > max_options:
                field.widget = SuggestionsInput(reverse("actions:filter_choices", args=[name]))
                field.help_text = "Tapez quelques lettres, puis choisissez dans la liste proposée."
            else:
                field.choices = [("", field.empty_label), *((row.pk, field.label_from_instance(row)) for row in rows)]

    def suggestions(self, name, typed, limit=20):
        """The names of the choices of filter `name` that contain what is typed (case and accents aside): the same
        restricted choices the filter accepts."""
        field = self.form.fields[name]
        wanted = normalise_for_search(typed)
        labels = field.queryset.order_by().values_list(field.name_field, flat=True).distinct()
        matching = (label for label in labels if wanted in normalise_for_search(label))
        return sorted(matching, key=normalise_for_search)[:limit]

    def narrows(self):
        """Whether the filters may select fewer fiches than the queryset they start from: the request gives a filter
        other than the order, or the filters are invalid (they then select nothing). Read from the request rather
        than the cleaned values, where an unticked box is False, not absent."""
        if not self.is_bound:
            return False
        if not self.is_valid():
            return True
        return any(self.data.get(name) not in EMPTY_VALUES for name in self.filters if name != "ordering")

    def filter_q(self, queryset, name, value):
        # search_text holds the searched fields normalised the same way (see Action.search_text): « Bethune »,
        # « béthune » and « BÉTHUNE » find the same fiches on every engine.
        wanted = normalise_for_search(value)
        if not wanted:
            return queryset
        return queryset.filter(search_text__contains=wanted)

    def filter_axis(self, queryset, name, value):
        # Subquery on the through table: a fiche is one row whatever the number of its axes.
        return queryset.filter(pk__in=Action.axes.through.objects.filter(axis=value).values("action_id"))

    # Both run on the lines the viewer may see: a partner filtering on another funder (or on « sollicité »)
    # finds the fiches where what it may read matches, never those where a negotiation it may not read does.
    def filter_funder(self, queryset, name, value):
        return queryset.filter(pk__in=_visible_lines(self.request).filter(funder=value).values("action_id"))

    def filter_envelope(self, queryset, name, value):
        # The envelope's own rule (financing.caps): the fiches whose lines count against it, among those shown.
        return fiches_behind(value, queryset)

    def filter_funding_status(self, queryset, name, value):
        return queryset.filter(pk__in=_visible_lines(self.request).filter(status=value).values("action_id"))

    def filter_year(self, queryset, name, value):
        """Fiches active at some point of the year: started by its end, not finished before its start.

        A fiche with no date at all is left out; a missing bound is taken as open.
        """
        year = int(value)
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        return queryset.filter(
            (Q(start_on__isnull=False) | Q(end_until__isnull=False))
            & (Q(start_on__isnull=True) | Q(start_on__lte=last))
            & (Q(end_until__isnull=True) | Q(end_until__gte=first))
        )

    def filter_late(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=Action.objects.late(timezone.localdate()).values("pk"))

    def filter_no_update(self, queryset, name, value):
        if not value:
            return queryset
        programme = roles.active_programme(getattr(self.request, "user", None))
        year, semester = current_reporting_period(programme)
        return queryset.filter(pk__in=Action.objects.without_progress_update(year, semester).values("pk"))

    def filter_derived_from(self, queryset, name, value: int):
        """`value` is the earlier fiche (its id in the query string: the hint gives the API schema its type)."""
        from actions.models import ActionLink

        links = ActionLink.objects.visible_to(getattr(self.request, "user", None)).filter(earlier=value)
        return queryset.filter(pk__in=links.values("later_id"))

    def filter_open_notes(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=Action.objects.with_open_quality_notes().values("pk"))
