"""QuerySets of the programme's reference lists, meetings and profiles: who may read and change them."""

from django.db.models import Q

from acv.access import RestrictedQuerySet
from conventions import roles


class ReferenceQuerySet(RestrictedQuerySet):
    """Reference lists (programmes, axes, organisations, conventions, schemes, the evaluation grid…):
    every account with a role on the programme reads them; the coordination keeps them."""

    def _visible(self, user):
        return self.all() if roles.has_programme_role(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.can_edit_reference_data(user) else self.none()


class OrganisationQuerySet(ReferenceQuerySet):
    def by_any_name(self, name):
        """Organisations known under this name, official or as another document writes it."""
        return self.filter(Q(name__iexact=name) | Q(short_name__iexact=name) | Q(aliases__name__iexact=name)).distinct()

    def communes(self):
        return self.filter(kind="commune")


class CommitteeMeetingQuerySet(RestrictedQuerySet):
    """Agendas, decisions and minutes of the comités: for those who read the whole programme (a partner's
    negotiations are discussed there), prepared by the coordination."""

    def _visible(self, user):
        return self.all() if roles.reads_everything(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.can_manage_meetings(user) else self.none()


class UserProfileQuerySet(RestrictedQuerySet):
    """Profiles: an administrator sees and changes all; the coordinator manages the accounts of the roles
    below its own (référents, partners, comité) but never its own nor a coordinator's or an administrator's;
    anyone else sees only its own profile."""

    def _visible(self, user):
        if roles.can_administer(user) or roles.edits_everything(user):
            return self.all()
        if user is not None and user.is_authenticated:
            return self.filter(user_id=user.pk)
        return self.none()

    def _editable(self, user):
        if roles.can_administer(user):
            return self.all()
        if roles.edits_everything(user):
            return self.filter(role__in=roles.ROLES_A_COORDINATOR_GRANTS).exclude(user_id=user.pk)
        return self.none()
