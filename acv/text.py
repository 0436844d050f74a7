"""Text as a search compares it: what a French user types must find what the documents write.

« Bethune », « béthune » and « BÉTHUNE » are the same word to a person; SQL engines disagree (SQLite lowers
only ASCII, PostgreSQL follows its collation, neither drops accents without an extension). So both the
stored search column and the query go through ``normalise_for_search``, in Python, the same on every engine.
"""

import unicodedata

# Letters that Unicode does not decompose into a base letter plus accents, and typographic signs a user
# types differently (’ for ', non-breaking spaces).
_FOLD = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "–": "-",
        "—": "-",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def normalise_for_search(text):
    """Lower case, accents dropped, one space between words: « Étude  d’Œuvre » → « etude d'oeuvre »."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.translate(_FOLD).split())


def sort_key(text):
    """How a name sorts in French lists whatever the engine's collation: accents and case aside, a missing name
    last."""
    return (text is None, normalise_for_search(text))
