"""The access layer every model a user can reach goes through, and the views that may only serve it.

Each such model's QuerySet derives from RestrictedQuerySet and says, in `_visible(user)` and
`_editable(user)`, which rows a user may read and change (deciding from conventions.roles). What
`visible_to` / `editable_by` return is marked restricted, and the mark follows every chained call;
views and viewsets built on RestrictedViewMixin / RestrictedViewSetMixin refuse to serve a queryset
without it. A new page or endpoint therefore cannot forget the rules: it fails loudly instead of
showing every row (NetBox's `restrict()` idea).
"""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404


class UnrestrictedQuerySet(ImproperlyConfigured):
    """A view was about to serve rows without asking visible_to / editable_by."""


# How the programme a user works in is found (conventions.roles.active_programme_id, registered by the conventions
# app when it is ready: this module imports no app).
programme_of_user = None


class RestrictedQuerySet(models.QuerySet):
    """Base of the QuerySets of every model a user can reach.

    Rows of a programme are restricted to the programme the user works in: a model (or, for history records,
    its QuerySet) says through which relations it belongs to a programme, `programme_paths` (for instance
    ("convention__programme",)); a row belongs to the programme if one of them leads to it. A path ending in
    « * » may be empty, and the row then belongs to every programme (a funding scheme with no programme named
    applies to any of them; a scheme names at most once each programme, so the join duplicates no row). A path ending in
    « ? » may be empty, and the row then belongs to the default programme. Models without paths (organisations,
    quartiers prioritaires…) are shared by every programme.
    """

    _restricted_for = None
    programme_paths = None

    def _clone(self):
        clone = super()._clone()
        clone._restricted_for = self._restricted_for
        return clone

    def _visible(self, user):
        raise NotImplementedError(f"{self.model.__name__} must say who may read it")

    def _editable(self, user):
        raise NotImplementedError(f"{self.model.__name__} must say who may change it")

    def _mark(self, user, access):
        self._restricted_for = (getattr(user, "pk", None), access)
        return self

    def _in_programme(self, user):
        paths = getattr(self.model, "programme_paths", None) or self.programme_paths
        if not paths:
            return self
        programme_id, is_default = programme_of_user(user) if programme_of_user else (None, True)
        if programme_id is None:
            return self.none()
        condition = models.Q()
        for path in paths:
            if path.endswith("*"):
                path = path[:-1]
                condition |= models.Q(**{f"{path}__isnull": True})
            elif path.endswith("?"):
                path = path[:-1]
                if is_default:
                    condition |= models.Q(**{f"{path}__isnull": True})
            condition |= models.Q(**{path: programme_id})
        return self.filter(condition)

    def visible_to(self, user):
        """The rows this user may read, in the programme it works in."""
        return self._visible(user)._in_programme(user)._mark(user, "view")

    def editable_by(self, user):
        """The rows this user may change (always a subset of what it may read)."""
        return self._visible(user)._in_programme(user)._editable(user)._mark(user, "change")

    @property
    def is_restricted(self):
        return self._restricted_for is not None


def require_restricted(queryset):
    """The queryset itself, if it went through visible_to / editable_by; else UnrestrictedQuerySet."""
    if not getattr(queryset, "is_restricted", False):
        model = getattr(queryset, "model", None)
        raise UnrestrictedQuerySet(
            f"{getattr(model, '__name__', queryset)!s}: a view must serve Model.objects.visible_to(user) "
            "or editable_by(user), never an unrestricted queryset."
        )
    return queryset


def visible_object_or_404(queryset, **lookup):
    """One row of a restricted queryset: what the user may not see does not exist for it (404)."""
    try:
        return require_restricted(queryset).get(**lookup)
    except queryset.model.DoesNotExist as error:
        raise Http404("Introuvable.") from error


def editable_object(model, user, reason, **lookup):
    """The row if the user may change it: 404 when it may not even see it, 403 (with a French reason)
    when it may only read it."""
    obj = visible_object_or_404(model.objects.visible_to(user), **lookup)
    if not model.objects.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied(reason)
    return obj


class RestrictedViewMixin:
    """For Django generic views: get_queryset() must return a restricted queryset."""

    def get_queryset(self):
        return require_restricted(super().get_queryset())


class RestrictedViewSetMixin:
    """For DRF views and viewsets: what get_queryset() returns is checked, and so is what the filters
    return (a filter backend must not swap the restricted queryset for another)."""

    def get_queryset(self):
        return require_restricted(super().get_queryset())

    def filter_queryset(self, queryset):
        return require_restricted(super().filter_queryset(require_restricted(queryset)))
