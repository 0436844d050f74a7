"""The annex of an avenant — one page per fiche it carries, in the layout of avenant n°2's Annexe 2 — as PDF bytes.

A pure function like the other reports (evaluation.reports): the fiches and what each reader may see of them in,
bytes out, in a fixed number of queries. The draft's fiches are those gathered since the last signed document
(actions.documents.gather_since_signed); a signed avenant's, those it introduced or changed.
"""

from django.utils import timezone

from actions.models import CARRIED_KINDS, Action, ActionDocument, DocumentChangeKind
from conventions import roles
from evaluation.reports import render_pdf


def annex_entries(amendment, viewer):
    """[(fiche from for_detail(viewer), kind, since)] the annex lists, in plan order: the fiches the avenant
    introduces, changes or abandons (a draft: those gathered since the last signed document)."""
    from actions.documents import gather_since_signed

    fiches = Action.objects.visible_to(viewer)
    if amendment.is_signed:
        kinds = dict(
            ActionDocument.objects.visible_to(viewer)
            .filter(amendment=amendment, action__in=fiches.values("pk"))
            .values_list("action_id", "kind")
        )
        since = {}
    else:
        gathered = gather_since_signed(amendment, fiches, viewer)
        kinds = {entry.action.pk: entry.kind for entry in gathered}
        since = {entry.action.pk: entry.since for entry in gathered}
    loaded = fiches.filter(pk__in=list(kinds)).for_detail(viewer).select_related("convention", "amendment")
    ordered = sorted(loaded, key=lambda action: (len(action.code), action.code))
    return [(action, kinds[action.pk], since.get(action.pk)) for action in ordered]


def amendment_annex_pdf(amendment, viewer):
    """The annex as PDF: each fiche on its own page, the funding lines this reader may see, the financing
    paragraph as written only for the readers of the document's text (roles.reads_document_text)."""
    entries = annex_entries(amendment, viewer)
    sees_all = roles.sees_every_funding_line(viewer)
    programme = amendment.convention.programme
    fiches = []
    for action, kind, since in entries:
        lines = list(action.funding_lines.all())
        fiches.append(
            {
                "action": action,
                "kind": programme.fiche_agreed(DocumentChangeKind(kind).label),
                # An abandoned fiche is named in the list; only the fiches the avenant carries get their page.
                "carried": kind in CARRIED_KINDS,
                "since": since,
                "axes": list(action.axes.all()),
                "lines": lines,
                "milestones": list(action.milestones.all()),
                "indicators": list(action.result_indicators.all()),
                "partners": list(action.partners.all()),
            }
        )
    return render_pdf(
        "evaluation/pdf/amendment_annex.html",
        {
            "amendment": amendment,
            # Rendered outside a request: the convention's programme gives the words for its fiches.
            "programme": programme,
            "fiches": fiches,
            "sees_all_funding": sees_all,
            "shows_funding_text": roles.reads_document_text(viewer, amendment.convention_id, amendment.pk),
            "generated_at": timezone.now(),
        },
    )
