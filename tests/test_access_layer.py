"""The access layer is structural: every model a user can reach answers visible_to / editable_by, and every page
and endpoint is built on the bases that refuse an unrestricted queryset — checked over the whole project, so a
new model or view that forgets fails here."""

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from acv.access import RestrictedQuerySet, RestrictedViewMixin, RestrictedViewSetMixin, UnrestrictedQuerySet
from conventions.mixins import ProgrammeMemberMixin

APPS = ("conventions", "actions", "financing", "evaluation", "jobs")
PERSONAE = [
    "admin_user",
    "coordinator",
    "referent_bethune",
    "partner_bdt",
    "partner_region",
    "committee_member",
    "outsider",
]


def reachable_models():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.auto_created:
                continue  # many-to-many tables, reached only through their models
            if model.__name__.startswith("Historical") and "_" in model.__name__.removeprefix("Historical"):
                continue  # history of a many-to-many field, read with its fiche's history row
            yield model


@pytest.mark.parametrize("model", list(reachable_models()), ids=lambda model: model._meta.label)
def test_every_model_says_who_may_read_and_change_it(model, request, db):
    # History is reached through the tracked model's `history` manager (Action.history…).
    queryset = model.instance_type.history.all() if hasattr(model, "instance_type") else model._default_manager.all()
    assert isinstance(queryset, RestrictedQuerySet), f"{model._meta.label}: its QuerySet must be a RestrictedQuerySet"
    for persona in PERSONAE:
        user = request.getfixturevalue(persona)
        visible, editable = queryset.visible_to(user), queryset.editable_by(user)
        assert visible.is_restricted and editable.is_restricted
        assert set(editable.values_list("pk", flat=True)) <= set(visible.values_list("pk", flat=True))
    assert not queryset.is_restricted


def test_the_mark_follows_chained_calls_and_is_lost_by_none_of_them(db, coordinator):
    from actions.models import Action

    restricted = Action.objects.visible_to(coordinator).filter(code="x").order_by("pk").select_related("territory")
    assert restricted.is_restricted
    assert not Action.objects.filter(code="x").is_restricted


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: its own checks (tests/test_admin.py), querysets restricted per model
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            yield prefix + str(pattern.pattern), pattern.name, view, callback


# Views that serve no object of the programme: signing in and out, the user's own password and second factor,
# the public API schema and docs, the token endpoint (the user's own token), the empty row of a form.
OPEN_VIEWS = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "schema",
    "docs",
    "token",
    "health",
}


def _is_open(name):
    return name in OPEN_VIEWS or (name or "").startswith("otp_")


def test_every_page_asks_for_a_programme_role_first():
    missing = []
    for route, name, view, _callback in _views(get_resolver().url_patterns):
        if view is None or _is_open(name) or issubclass(view, APIView):
            continue
        if view.__module__.split(".")[0] in APPS and not issubclass(view, ProgrammeMemberMixin):
            missing.append(route)
    assert missing == []


def test_every_list_and_detail_serves_only_a_restricted_queryset():
    """A page or endpoint with a get_queryset() must be built on the base that checks it."""
    missing = []
    for route, name, view, _callback in _views(get_resolver().url_patterns):
        if view is None or _is_open(name) or not hasattr(view, "get_queryset"):
            continue
        base = RestrictedViewSetMixin if issubclass(view, APIView) else RestrictedViewMixin
        if not issubclass(view, base):
            missing.append(route)
    assert missing == []


def test_a_view_that_forgets_visible_to_fails_loudly(rf, coordinator):
    from django.views.generic import ListView

    from actions.models import Action

    class Careless(RestrictedViewMixin, ListView):
        model = Action

    view = Careless()
    view.setup(rf.get("/"))
    view.request.user = coordinator
    with pytest.raises(UnrestrictedQuerySet):
        view.get_queryset()
