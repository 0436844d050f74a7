"""Who reaches an import and a national submission."""

from acv.access import RestrictedQuerySet
from conventions import roles


class WorkbookImportQuerySet(RestrictedQuerySet):
    """An import belongs to whoever uploaded it: its file and its preview show what that person may read and
    change, so nobody else — the coordination included — opens it. Nobody changes one by hand: the services do."""

    def _visible(self, user):
        if not roles.has_programme_role(user):
            return self.none()
        return self.filter(requested_by_id=user.pk)

    def _editable(self, user):
        return self.filter(requested_by_id=user.pk)


class NationalSubmissionQuerySet(RestrictedQuerySet):
    """The national table holds every fiche of the programme: the roles that read everything read it (the
    coordination and the comité), not partners nor référents; the coordination files it."""

    def _visible(self, user):
        return self.all() if roles.can_export_programme_reports(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.edits_everything(user) else self.none()
