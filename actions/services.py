"""Writes of fiches that touch several rows: one transaction each, and no lost update."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from actions.models import Action, Milestone, ProgressUpdate


class EditConflict(Exception):
    """Someone saved the fiche after it was opened: the save is refused, nothing is written."""

    def __init__(self, action, expected_version):
        super().__init__(f"{action.code} : version {expected_version} dépassée")
        self.action = action
        self.expected_version = expected_version


def _save_formset(formset, *, action, user):
    """Save a formset's rows with the author recorded on each history row (deletions included)."""
    formset.instance = action
    for row in formset.save(commit=False):
        row._history_user = user
        row.save()
    for row in formset.deleted_objects:
        row._history_user = user
        row.delete()


@transaction.atomic
def action_save(*, form, formsets, user, expected_version=None) -> Action:
    """Create or update a fiche with its operations and funding lines, all or nothing.

    An update claims the next version with one UPDATE ... WHERE version = expected_version: if
    another save got there first no row matches and EditConflict is raised before anything is
    written, so the other person's changes are never overwritten silently.
    """
    action = form.instance
    if action.pk is not None:
        claimed = Action.objects.filter(pk=action.pk, version=expected_version).update(version=F("version") + 1)
        if not claimed:
            raise EditConflict(action, expected_version)
        # The row now holds expected + 1; the save below must write the same number.
        action.version = expected_version + 1
    action._history_user = user
    action = form.save()
    # Operations first: a new funding line may point at an operation saved in the same request.
    for formset in formsets:
        _save_formset(formset, action=action, user=user)
    return action


@transaction.atomic
def progress_update_create(*, form, action, user) -> ProgressUpdate:
    """Record the état d'avancement of a semester; the fiche takes the status it declares."""
    update = form.save(commit=False)
    update.action = action
    update.author = user
    update.save()
    if action.status != update.status:
        # A change of status is a change of the fiche: it goes through the version like any edit.
        Action.objects.filter(pk=action.pk).update(version=F("version") + 1)
        action.refresh_from_db(fields=["version"])
        action.status = update.status
        action._history_user = user
        action.save(update_fields=["status", "updated_at"])
    return update


def milestone_achieve(*, milestone: Milestone, achieved_on=None) -> Milestone:
    """Mark a jalon as reached (today unless a date is given)."""
    milestone.achieved_on = achieved_on or timezone.localdate()
    milestone.save(update_fields=["achieved_on"])
    return milestone
