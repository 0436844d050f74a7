"""The programme in the URL: `/<programme code>/…` serves every page and the API (`/cdv/fiches/`,
`/cdv/api/v1/actions/`) in that programme; the default programme (settings.ACV_DEFAULT_PROGRAMME) is also served
without a prefix, so that existing links and API clients keep working.

The prefix is handled like a script prefix (an application mounted under a path): the middleware takes it off
`request.path_info` before the URL is resolved and sets it as the script prefix for the request, so that every
`reverse()` and `{% url %}` of the request yields the active programme's URLs, with no change to any URL pattern.
"""

from django.urls import Resolver404, get_script_prefix, resolve, set_script_prefix


def programme_prefix(code, default):
    """« cdv/ » for a programme other than the default one, « » for the default."""
    return "" if not code or code == default else f"{code}/"


def split_programme(path_info):
    """(code, rest) when the path starts with a segment that is no URL of the site but a programme's code;
    (None, path_info) otherwise. A path that resolves as it is is never read as prefixed (no query is made)."""
    segments = path_info.lstrip("/").split("/", 1)
    if len(segments) < 2 or not segments[0]:
        return None, path_info
    try:
        resolve(path_info)
        return None, path_info
    except Resolver404:
        pass
    from conventions.models import Programme

    code, rest = segments
    if not Programme.objects.filter(code=code).exists():
        return None, path_info
    return code, f"/{rest}"


class ScriptPrefix:
    """Sets the script prefix for the request and puts the one it found back afterwards (the test client, unlike
    the WSGI handler, does not reset it between requests)."""

    def __init__(self):
        self.before = get_script_prefix()

    def use(self, prefix):
        set_script_prefix(self.before + prefix)

    def restore(self):
        set_script_prefix(self.before)
