"""QuerySets of the programme's reference lists, meetings and profiles: who may read and change them."""

from django.db import models
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


class DocumentQuerySet(ReferenceQuerySet):
    """Conventions and avenants: as reference rows (a title, dates) every role reads them; their text — the
    document's page — only those roles.reads_document_text lets in."""

    def readable_by(self, user):
        """The documents whose text this user reads (restricted like visible_to)."""
        visible = self.visible_to(user)
        if roles.reads_everything(user):
            return visible
        if not roles.is_partner(user):
            return visible.none()
        conventions, amendments = roles.signed_documents_of(user)
        if self.model._meta.model_name == "amendment":
            return visible.filter(pk__in=amendments)
        return visible.filter(pk__in=conventions)

    def signed(self):
        from conventions.models import DocumentStatus

        return self.filter(status=DocumentStatus.SIGNED) if self.model._meta.model_name == "amendment" else self


class DocumentPartQuerySet(RestrictedQuerySet):
    """What a document says (its articles, its balance, the fiches it lists): read with the document's text
    (roles.reads_document_text), kept by the coordination."""

    def _visible(self, user):
        if roles.reads_everything(user):
            return self.all()
        if not roles.is_partner(user):
            return self.none()
        conventions, amendments = roles.signed_documents_of(user)
        return self.filter(Q(amendment__isnull=True, convention_id__in=conventions) | Q(amendment_id__in=amendments))

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

    def rhythm(self, amendments, today):
        """Per year an avenant asks for a number of comités de projet (project_committees_per_year), up to the
        current year: {"year", "required", "held", "met", "in_progress"}, held counting the comités de projet
        among these meetings. One query for the meetings, whatever the number of years."""
        from conventions.models import CommitteeKind

        required = {}
        for amendment in amendments:
            if amendment.project_committees_per_year and amendment.covers_from and amendment.covers_to:
                for year in range(amendment.covers_from.year, min(amendment.covers_to.year, today.year) + 1):
                    required[year] = max(required.get(year, 0), amendment.project_committees_per_year)
        held = dict(
            self.filter(kind=CommitteeKind.PROJECT, held_on__year__in=list(required), held_on__lte=today)
            .order_by()
            .values_list("held_on__year")
            .annotate(count=models.Count("pk"))
        )
        return [
            {
                "year": year,
                "required": required[year],
                "held": held.get(year, 0),
                "met": held.get(year, 0) >= required[year],
                "in_progress": year == today.year,
            }
            for year in sorted(required, reverse=True)
        ]


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
