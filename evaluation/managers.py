"""Who may read and keep the reports and the values of the evaluation grid."""

from django.db.models import Q
from simple_history.manager import HistoricalQuerySet

from acv.access import RestrictedQuerySet
from conventions import roles


class SemesterReportQuerySet(RestrictedQuerySet):
    """Reports as presented to the comité: for those who may export programme reports; kept by the
    coordination (who presents them)."""

    def _visible(self, user):
        return self.all() if roles.can_export_programme_reports(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.can_manage_meetings(user) else self.none()


class IndicatorValueQuerySet(RestrictedQuerySet):
    """The grid's figures are public within the programme: every account with a role reads them (partners
    included: the comité's evaluation is shared with those who fund it); the coordination keeps them."""

    def _visible(self, user):
        return self.all() if roles.has_programme_role(user) else self.none()

    def _editable(self, user):
        return self.all() if roles.can_edit_reference_data(user) else self.none()

    def for_grid(self):
        return self.select_related("territory", "sector", "source", "entered_by")

    def of_period(self, period):
        return self.filter(period_kind=period.kind, year=period.year, number=period.number, day=period.day)

    def in_periods(self, periods):
        """Values of any of these periods, in one condition (no query per period)."""
        condition = Q(pk__in=[])
        for period in periods:
            condition |= Q(period_kind=period.kind, year=period.year, number=period.number, day=period.day)
        return self.filter(condition)


class HistoricalIndicatorValueQuerySet(RestrictedQuerySet, HistoricalQuerySet):
    """The history of the values, read by whoever reads the values; nobody changes a record."""

    programme_paths = ("indicator__criterion__programme",)

    def _visible(self, user):
        return self.all() if roles.has_programme_role(user) else self.none()

    def _editable(self, user):
        return self.none()


class ResultIndicatorLinkQuerySet(RestrictedQuerySet):
    """Which fiche indicators feed which grid indicator: read with the fiche (a partner sees the links of the
    fiches it sees), drawn by the coordination, which keeps the grid."""

    def _visible(self, user):
        from actions.models import Action

        return self.filter(result_indicator__action_id__in=Action.objects.visible_to(user).values("pk"))

    def _editable(self, user):
        return self.all() if roles.can_edit_reference_data(user) else self.none()


class HistoricalResultIndicatorLinkQuerySet(RestrictedQuerySet, HistoricalQuerySet):
    """The history of the links, read by whoever reads them; nobody changes a record."""

    programme_paths = ("indicator__criterion__programme",)

    def _visible(self, user):
        from actions.models import Action, ResultIndicator

        fiches = Action.objects.visible_to(user).values("pk")
        return self.filter(result_indicator_id__in=ResultIndicator.objects.filter(action_id__in=fiches).values("pk"))

    def _editable(self, user):
        return self.none()
