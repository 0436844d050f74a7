"""Workbooks going out: the fiche list as filtered, each kind's template filled, the whole programme.

Each is written from the same sheet specs an import reads (actions/financing/evaluation .workbooks), so what goes
out comes back unchanged. Rows are streamed (write-only workbook, querysets read in chunks): memory stays flat.
"""

from django.utils import timezone

from acv.workbooks import new_workbook, workbook_bytes, write_preface, write_sheet
from conventions import roles
from conventions.models import Programme

CHUNK = 500


def filtered_fiches(user, query):
    """The fiches of /fiches/ for this query string, in the list's order, through the list's FilterSet; invalid
    filters select nothing, as on the page."""
    from actions.filters import ActionFilterSet, FilterRequest
    from actions.models import Action

    request = FilterRequest(user, query)
    base = Action.objects.visible_to(user)
    data = request.GET or None
    filterset = ActionFilterSet(data, queryset=with_list_measures(base, user), request=request)
    if not filterset.is_bound:
        return filterset, filterset.queryset.order_by("convention", "kind", "code")
    if not filterset.is_valid():
        return filterset, filterset.queryset.none()
    return filterset, filterset.qs


def with_list_measures(fiches, user):
    """The funding figures the list shows this viewer, and nothing more: the part acquise for everyone, the part
    prévue for the roles that read every line, a partner's own lines — the same subqueries as
    ActionQuerySet.with_totals (read from the funding summary), without the ones the sheet does not show."""
    from financing.managers import SETTLED, funding_sum_for_action

    annotations = {"funding_acquired": funding_sum_for_action(statuses=SETTLED)}
    if roles.sees_every_funding_line(user):
        annotations["funding_total"] = funding_sum_for_action()
    elif roles.is_partner(user):
        annotations["funding_own"] = funding_sum_for_action(funder_id=roles.organisation_id_of(user))
    return fiches.annotate(**annotations)


def _filters_stated(filterset):
    lines = []
    if filterset.is_bound and filterset.is_valid():
        for name, value in filterset.form.cleaned_data.items():
            if value in (None, "", False, []):
                continue
            field = filterset.form.fields[name]
            items = value if isinstance(value, list | tuple) else [value]
            if hasattr(value, "pk"):
                shown = str(value)  # a choice of the list's own querysets: no need to read them all again
            else:
                labels = {str(key): label for key, label in getattr(field, "choices", ())}
                shown = ", ".join(str(labels.get(str(item), item)) for item in items)
            lines.append((str(field.label or name), "oui" if value is True else shown))
    return lines or [("Filtres", "aucun : toutes les fiches que vous voyez")]


def _who(user):
    return user.get_full_name() or user.get_username()


def fiche_list_xlsx(user, query="") -> bytes:
    """The fiche list exactly as filtered and sorted: a first sheet stating the filters, who and when; the fiches
    with every column of the list (and the funding measures this viewer reads); their operations; their funding
    lines as this viewer may see them. A valid « fiches » import."""
    filterset, fiches = filtered_fiches(user, query)
    programme = roles.active_programme(user) or Programme()
    preface = [
        ("Export", f"Liste des {programme.fiche_label_plural}"),
        ("Par", _who(user)),
        ("Le", timezone.localtime().strftime("%d/%m/%Y à %H:%M")),
        *_filters_stated(filterset),
        (programme.fiche_title_plural, fiches.count()),
    ]
    return fiches_workbook_xlsx(user, fiches, preface)


def fiches_workbook_xlsx(user, fiches, preface) -> bytes:
    """These fiches (a queryset from Action.objects.visible_to(user).for_list(user), in the order wanted), their
    operations and the funding lines the user may see on them, after a first sheet stating `preface`."""
    from actions.workbooks import Lookups, fiche_sheet, operation_sheet, operations_for_workbook
    from financing.models import FundingLine
    from financing.workbooks import funding_sheet, lines_for_workbook

    lookups = Lookups.load(user)
    book = new_workbook()
    write_preface(book, "Filtres", preface)
    write_sheet(
        book,
        fiche_sheet(lookups, user, with_measures=True),
        fiches.prefetch_related("axes").iterator(chunk_size=CHUNK),
    )
    selected = fiches.model.objects.filter(pk__in=fiches.values("pk"))
    write_sheet(book, operation_sheet(lookups), operations_for_workbook(selected).iterator(chunk_size=CHUNK))
    lines = FundingLine.objects.visible_to(user).filter(action_id__in=selected.values("pk"))
    write_sheet(book, funding_sheet(lookups, user), lines_for_workbook(lines).iterator(chunk_size=CHUNK))
    return workbook_bytes(book)


def funding_workbook_xlsx(user) -> bytes:
    """The « financements » kind: every line the user may see (a partner: its own with every detail, the others'
    settled lines without their remark)."""
    from actions.workbooks import Lookups
    from financing.models import FundingLine
    from financing.workbooks import funding_sheet, lines_for_workbook

    lookups = Lookups.load(user)
    book = new_workbook()
    write_preface(
        book,
        "Filtres",
        [
            ("Export", "Lignes de financement"),
            ("Par", _who(user)),
            ("Le", timezone.localtime().strftime("%d/%m/%Y à %H:%M")),
        ],
    )
    lines = FundingLine.objects.visible_to(user)
    write_sheet(book, funding_sheet(lookups, user), lines_for_workbook(lines).iterator(chunk_size=CHUNK))
    return workbook_bytes(book)


def grid_values_xlsx(user) -> bytes:
    """The « grille » kind: one row per value of the evaluation grid."""
    from evaluation.models import IndicatorValue
    from evaluation.workbooks import GridLookups, values_for_workbook, values_sheet

    lookups = GridLookups.load(user)
    book = new_workbook()
    values = IndicatorValue.objects.visible_to(user)
    write_sheet(book, values_sheet(lookups), values_for_workbook(values).iterator(chunk_size=CHUNK))
    return workbook_bytes(book)


def programme_xlsx(user) -> bytes:
    """The whole programme as the user may read it: fiches, operations, funding lines and the grid's values."""
    from actions.models import Action
    from actions.workbooks import Lookups, fiche_sheet, operation_sheet, operations_for_workbook
    from evaluation.models import IndicatorValue
    from evaluation.workbooks import GridLookups, values_for_workbook, values_sheet
    from financing.models import FundingLine
    from financing.workbooks import funding_sheet, lines_for_workbook

    lookups = Lookups.load(user)
    book = new_workbook()
    write_preface(
        book,
        "Filtres",
        [
            ("Export", "Programme complet"),
            ("Par", _who(user)),
            ("Le", timezone.localtime().strftime("%d/%m/%Y à %H:%M")),
        ],
    )
    fiches = Action.objects.visible_to(user)
    write_sheet(
        book,
        fiche_sheet(lookups, user, with_measures=True),
        with_list_measures(fiches, user).order_by("convention", "kind", "code").iterator(chunk_size=CHUNK),
    )
    write_sheet(book, operation_sheet(lookups), operations_for_workbook(fiches).iterator(chunk_size=CHUNK))
    write_sheet(
        book,
        funding_sheet(lookups, user),
        lines_for_workbook(FundingLine.objects.visible_to(user)).iterator(chunk_size=CHUNK),
    )
    write_sheet(
        book,
        values_sheet(GridLookups.load(user)),
        values_for_workbook(IndicatorValue.objects.visible_to(user)).iterator(chunk_size=CHUNK),
    )
    return workbook_bytes(book)


KIND_EXPORTS = {"fiches": fiche_list_xlsx, "financements": funding_workbook_xlsx, "grille": grid_values_xlsx}


def may_export_programme(user):
    return roles.has_programme_role(user)
