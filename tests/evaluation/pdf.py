"""Reading PDFs back in tests: their text (pypdf), and their first page drawn by poppler to prove they are valid."""

import io
import re
import subprocess

from pypdf import PdfReader

SPACES = re.compile(r"[\s\u00a0\u202f]+")
HYPHENATION = re.compile(r"\u2010[ \t]*\n[ \t]*")


def pdf_text(content):
    """The text of every page, spaces of every kind (narrow no-break ones in amounts) read as one space, and the
    words that French hyphenation cut at a line's end read whole (WeasyPrint marks its cuts with U+2010)."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(HYPHENATION.sub("", page.extract_text()) for page in reader.pages)
    return SPACES.sub(" ", text)


def page_count(content):
    return len(PdfReader(io.BytesIO(content)).pages)


def first_page_png(content, tmp_path):
    """Render page 1 with pdftoppm (as a person would see it); returns the PNG bytes."""
    source = tmp_path / "document.pdf"
    source.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return (tmp_path / "page.png").read_bytes()


def section(text, start, end=None):
    """The text from the last occurrence of `start` (the body, not the table of contents) up to `end`."""
    begin = text.rindex(start)
    stop = text.index(end, begin + len(start)) if end else len(text)
    return text[begin:stop]
