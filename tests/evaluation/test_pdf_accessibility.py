"""The PDFs are tagged (PDF/UA-1): a screen reader gets their structure, reading order, language and title.

Read back from the bytes with pypdf: the catalogue's flags, the XMP metadata, and the structure tree itself.
"""

import io
from decimal import Decimal

import pyphen
from pypdf import PdfReader

from actions.models import Action
from evaluation.reports import action_pdf, semester_report_pdf
from financing.models import FundingLine
from tests.evaluation.pdf import pdf_text
from tests.factories import ActionFactory, FundingLineFactory, OperationFactory, OrganisationFactory

# WeasyPrint writes the hyphen it adds as U+2010; either is a cut marked as such.
HYPHENS = ("\u2010", "-")


def structure(content):
    """The tags of the structure tree in reading order ("/H1", "/Table"…), and the alternative texts of figures."""
    reader = PdfReader(io.BytesIO(content))
    tags, alternatives = [], []

    def walk(node):
        node = node.get_object()
        if not isinstance(node, dict):
            return  # a marked-content id: the leaves of the tree
        if "/S" in node:
            tags.append(str(node["/S"]))
        if "/Alt" in node:
            alternatives.append(str(node["/Alt"]))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return reader, tags, alternatives


def test_fiche_pdf_is_tagged_with_title_language_and_structure(db):
    funder = OrganisationFactory(key="region", name="Région Hauts-de-France", kind="region")
    action = ActionFactory(code="AM.17", title="Requalification de la place du marché")
    # One word wider than the « Opération » column: it can only be cut, and must be cut between syllables.
    OperationFactory(action=action, name="Réaménagement anticonstitutionnellement")
    FundingLineFactory(action=action, funder=funder, amount=Decimal("120000"), status="granted")
    lines = FundingLine.objects.filter(action=action).select_related("funder", "scheme", "operation")

    content = action_pdf(Action.objects.for_detail().get(pk=action.pk), lines)
    reader, tags, _ = structure(content)
    catalog = reader.trailer["/Root"]

    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "fr"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert reader.metadata.title == "Fiche action AM.17"
    xmp = catalog["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp
    assert b"Fiche action AM.17" in xmp
    # Reading order: the document, then its title heading before any table; tables keep their header cells.
    assert tags[0] == "/Document"
    assert tags.index("/H1") < tags.index("/Table")
    assert {"/TH", "/TD", "/TR", "/THead", "/TBody"} <= set(tags)
    lines = [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]
    word = "anticonstitutionnellement"
    index = next(number for number, line in enumerate(lines) if line.lower().startswith("anticonsti"))
    pieces = []
    while not pieces or pieces[-1].endswith(HYPHENS):
        pieces.append(lines[index + len(pieces)])
    # Cut at the end of each line with a hyphen, only where French syllables allow (« anticonsti-tutionnel-lement »).
    assert len(pieces) > 1 and "".join(piece.rstrip("".join(HYPHENS)) for piece in pieces).lower() == word
    cuts = [sum(len(piece) - 1 for piece in pieces[: count + 1]) for count in range(len(pieces) - 1)]
    assert set(cuts) <= set(pyphen.Pyphen(lang="fr").positions(word)), pieces
    assert "AM.17" in pdf_text(content)


def test_semester_report_is_tagged_and_its_charts_have_a_text_alternative(db):
    funder = OrganisationFactory(key="bdt", name="Banque des Territoires", short_name="BDT", kind="agence")
    action = ActionFactory(code="FA 41", title="Maison du projet", cost_kind="exact", cost_amount=Decimal("300000"))
    FundingLineFactory(action=action, funder=funder, amount=Decimal("90000"), status="planned")

    content = semester_report_pdf(Action.objects.all(), year=2026, semester=2)
    reader, tags, alternatives = structure(content)
    catalog = reader.trailer["/Root"]

    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "fr"
    assert reader.metadata.title == "Rapport semestriel S2 2026"
    # The cover's title is the first heading read; the chapters follow as level-2 headings.
    headings = [tag for tag in tags if tag in {"/H1", "/H2", "/H3"}]
    assert headings[0] == "/H1" and "/H2" in headings
    assert "/Figure" in tags and "/Table" in tags and "/L" in tags
    funders_chart = next(text for text in alternatives if text.startswith("Financements attendus par partenaire"))
    assert "BDT" in funders_chart and "90\u202f000\u00a0€" in funders_chart
