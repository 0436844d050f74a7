"""The agglomeration's programmes side by side (ACV, Contrat de Ville…): what each totals, and what they share —
the organisations at work in both, and the places where they meet (a quartier prioritaire that is also an
intervention sector of ACV, with the projects and fiches there).

Each programme is read as the user reads it when working in it (roles.working_in, then visible_to): a figure of a
programme the user does not coordinate is never computed. Totals are the SQL roll-ups the other pages use.
"""

from dataclasses import dataclass, field

from actions.models import Action
from acv.text import normalise_for_search
from conventions import roles
from conventions.models import Organisation, PriorityNeighbourhood, Sector
from financing.models import FundingLine


@dataclass
class ProgrammeColumn:
    programme: object
    fiches: int
    costs: dict
    funding: list
    organisation_ids: set = field(default_factory=set)


@dataclass
class MeetingPlace:
    """A quartier prioritaire that is also an ORT / intervention sector (same commune, same name), with the
    projects of one programme in it and the fiches of the other that name it."""

    neighbourhood: object
    sector: object
    by_programme: list  # [(programme, [actions])]


def _column(user, code):
    with roles.working_in(user, code):
        programme = roles.active_programme(user)
        actions = Action.objects.visible_to(user)
        lines = FundingLine.objects.visible_to(user)
        involved = set()
        for field_name in ("territory_id", "project_owner_id"):
            involved |= set(actions.exclude(**{field_name: None}).values_list(field_name, flat=True).distinct())
        involved |= set(lines.values_list("funder_id", flat=True).distinct())
        involved |= set(
            Action.partners.through.objects.filter(action_id__in=actions.values("pk")).values_list(
                "organisation_id", flat=True
            )
        )
        return ProgrammeColumn(
            programme=programme,
            fiches=actions.count(),
            costs=actions.cost_totals(),
            funding=[{**row, "settled": row["granted"] + row["paid"]} for row in lines.by_basis()],
            organisation_ids=involved,
        )


def _key(text):
    """« Mont-Liébaut » and « Mont Liébaut » are one place."""
    return normalise_for_search(text).replace("-", " ")


def _meeting_places(user, codes):
    """QPV whose name and commune are those of an intervention sector, with what each programme does there:
    the fiches linked to the QPV, and those whose text names it."""
    sectors = {(sector.commune_id, _key(sector.name)): sector for sector in Sector.objects.all()}
    places = []
    for neighbourhood in PriorityNeighbourhood.objects.prefetch_related("communes").order_by("name"):
        name = _key(neighbourhood.name)
        sector = next(
            (sectors[(commune.pk, name)] for commune in neighbourhood.communes.all() if (commune.pk, name) in sectors),
            None,
        )
        if sector is None:
            continue
        by_programme = []
        for code in codes:
            with roles.working_in(user, code):
                actions = Action.objects.visible_to(user)
                linked = actions.filter(neighbourhoods=neighbourhood)
                named = actions.filter(
                    territory_id=sector.commune_id, search_text__contains=normalise_for_search(sector.name)
                )
                found = list((linked | named).distinct().order_by("code"))
                by_programme.append((roles.active_programme(user), found))
        if all(found for _, found in by_programme):
            places.append(MeetingPlace(neighbourhood=neighbourhood, sector=sector, by_programme=by_programme))
    return places


def cross_programme_view(user):
    """{columns, shared_organisations, places} for the programmes the user coordinates."""
    codes = roles.coordinated_programmes(user)
    columns = [_column(user, code) for code in codes]
    shared_ids = set.intersection(*(column.organisation_ids for column in columns)) if columns else set()
    shared = Organisation.objects.filter(pk__in=shared_ids).order_by("name")
    return {"columns": columns, "shared_organisations": shared, "places": _meeting_places(user, codes)}
