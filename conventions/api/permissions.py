"""The API's first question, as the pages': a signed-in account with a role on the programme."""

from rest_framework.permissions import BasePermission

from conventions import roles
from conventions.mixins import NO_ROLE


class HasProgrammeRole(BasePermission):
    """Authenticated (else 401) and holding a role (else 403 with the reason)."""

    message = NO_ROLE

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and roles.has_programme_role(request.user))
