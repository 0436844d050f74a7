"""Who may follow a background job and take its file."""

from acv.access import RestrictedQuerySet
from conventions import roles


class JobQuerySet(RestrictedQuerySet):
    """A job and its file belong to whoever asked for it: the file holds what that person could read when it
    was made (a partner's export holds its own lines), so nobody else takes it — the coordination included,
    which would read another role's selection as if it were the programme. A person who lost every role on the
    programme no longer reaches even its own jobs. Nobody changes a job by hand: the task writes it."""

    def _visible(self, user):
        if not roles.has_programme_role(user):
            return self.none()
        return self.filter(requested_by_id=user.pk)

    def _editable(self, user):
        return self.none()

    def unfinished(self):
        from jobs.models import JobStatus

        return self.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
