"""Who may read and keep the reports."""

from acv.access import RestrictedQuerySet
from conventions import roles


class SemesterReportQuerySet(RestrictedQuerySet):
    """Reports as presented to the comité: for those who may export programme reports; kept by the
    coordination (who presents them)."""

    def _visible(self, user):
        return self.all() if roles.can_export_programme_reports(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.can_manage_meetings(user) else self.none()
