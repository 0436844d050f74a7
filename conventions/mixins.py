"""What every page of the programme asks before anything else: a signed-in account with a role on it."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from conventions import roles

NO_ROLE = "Votre compte n'a de rôle sur aucun programme : demandez au coordinateur de vous en attribuer un."


class ProgrammeMemberMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; an account with no role gets a 403 that says why (it would
    otherwise meet empty lists and believe the programme has no fiche)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not roles.has_programme_role(request.user):
            raise PermissionDenied(NO_ROLE)
        return super().dispatch(request, *args, **kwargs)
