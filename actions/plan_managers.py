"""QuerySets of the plan's life: what the documents say of the fiches, the links between periods, the fiches as
signed, the partners' validations and the comité decisions naming fiches. Who may read and change them is
decided in conventions.roles, as everywhere."""

from django.db.models import Q
from simple_history.manager import HistoricalQuerySet

from acv.access import RestrictedQuerySet
from conventions import roles


def _visible_fiches(user):
    from actions.models import Action

    return Action.objects.visible_to(user).values("pk")


def _signed_document_filter(user):
    """Rows of the documents this partner signed (their text is what it signed)."""
    conventions, amendments = roles.signed_documents_of(user)
    return Q(amendment__isnull=True, convention_id__in=conventions) | Q(amendment_id__in=amendments)


class ActionDocumentQuerySet(RestrictedQuerySet):
    """The fiches a document introduced, changed or abandoned. The list is the document's own text: a partner
    reads it for the documents it signed, and, on a fiche it sees, which documents speak of that fiche."""

    def _visible(self, user):
        if roles.reads_everything(user):
            return self.all()
        if roles.is_partner(user):
            return self.filter(_signed_document_filter(user) | Q(action_id__in=_visible_fiches(user)))
        return self.none()

    def _editable(self, user):
        return self.all() if roles.can_edit_reference_data(user) else self.none()


class ActionLinkQuerySet(RestrictedQuerySet):
    """Links between fiches of two periods: read when both fiches are (a link must not reveal a fiche)."""

    def _visible(self, user):
        fiches = _visible_fiches(user)
        return self.filter(earlier_id__in=fiches, later_id__in=fiches)

    def _editable(self, user):
        return self.all() if roles.edits_everything(user) else self.none()


class ActionSnapshotQuerySet(RestrictedQuerySet):
    """Fiches as signed: read with the fiche (what a reader gets of the frozen lines is filtered like today's,
    see actions.snapshots.for_viewer); nobody changes a frozen fiche."""

    def _visible(self, user):
        return self.filter(action_id__in=_visible_fiches(user))

    def _editable(self, user):
        return self.none()

    def latest_per_action(self):
        """The last snapshot of each fiche (two queries whatever the number of fiches): {action id: snapshot}."""
        from django.db.models import Max

        latest = self.order_by().values("action_id").annotate(last=Max("pk")).values("last")
        return {snapshot.action_id: snapshot for snapshot in self.filter(pk__in=latest)}


class ActionValidationQuerySet(RestrictedQuerySet):
    """Validations of fiches by the partners that pilot, fund or co-fund them: the roles that read the programme
    read them all; a partner reads its own (another partner's reservations are its negotiation). Each
    organisation records only its own (roles.validating_organisation)."""

    def _visible(self, user):
        if roles.reads_everything(user):
            return self.all()
        if roles.is_partner(user):
            return self.filter(organisation_id=roles.organisation_id_of(user), action_id__in=_visible_fiches(user))
        return self.none()

    def _editable(self, user):
        organisation = roles.validating_organisation(user)
        return self.filter(organisation_id=organisation) if organisation else self.none()

    def to_renew(self):
        return self.filter(to_renew=True)


class HistoricalActionValidationQuerySet(ActionValidationQuerySet, HistoricalQuerySet):
    """The history of validations: read like the validations themselves, changed by nobody."""

    programme_paths = ("action__convention__programme",)

    def _editable(self, user):
        return self.none()


class CommitteeDecisionQuerySet(RestrictedQuerySet):
    """Decisions of a comité naming fiches: read like the meetings (the roles that read the programme), on
    fiches the reader sees; recorded by whoever prepares the comités."""

    def _visible(self, user):
        if not roles.reads_everything(user):
            return self.none()
        return self.filter(action_id__in=_visible_fiches(user))

    def _editable(self, user):
        return self.all() if roles.can_manage_meetings(user) else self.none()


class HistoricalProgressUpdateQuerySet(RestrictedQuerySet, HistoricalQuerySet):
    """The history of états d'avancement (corrections of a frozen semester, with their reason): read with the
    fiche, changed by nobody."""

    programme_paths = ("action__convention__programme",)

    def _visible(self, user):
        return self.filter(action_id__in=_visible_fiches(user))

    def _editable(self, user):
        return self.none()
