"""The API's JSON parser: DRF's, refusing absurdly nested documents with a 400 instead of a server error."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No body of this API nests more than a few levels (an object, its list of yearly amounts, their objects);
# far below what Python's recursion limit allows, so that no later recursive code (validation, rendering
# of errors) meets a document deep enough to exhaust the stack.
MAX_JSON_DEPTH = 64

TOO_DEEP = f"Document JSON trop imbriqué : au plus {MAX_JSON_DEPTH} niveaux d'objets ou de listes."


def json_depth(value):
    """How many objects and lists are nested in `value`, without recursion (the value may be deep)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break  # already too deep: no need to walk the rest
        pending.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # The standard decoder recurses once per level: a body nested deeper than the stack is a
            # client's error, not the server's.
            raise ParseError(TOO_DEEP) from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        return data
