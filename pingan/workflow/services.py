"""Reminders (提醒事项): the smallest workflow on the kit, and the worked example of
``docs/workflows.md``.

Its statuses are ``Reminder.Status`` (open → done); its table is :data:`TRANSITIONS`; its roles
are the owner and administrators; its one handler completes a reminder; its deadline (handler
``workflow.reminder``, kind ``due``) is opened with the reminder and closed when it is done;
its notices go to the owner at the warning, and to the owner and the group robots of the
owner's grids and departments when it is overdue.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from pingan.accounts import recipients
from pingan.core.transitions import IllegalTransition, Move, Workflow
from pingan.workflow import deadlines
from pingan.workflow.models import Deadline, Reminder, ReminderEntry

__all__ = ["REMINDERS", "IllegalTransition", "complete_reminder", "create_reminder"]

HANDLER = "workflow.reminder"
KIND = "due"
S = Reminder.Status

# --- roles and the table ----------------------------------------------------------------------

OWNER = "owner"
ADMIN = "admin"


def roles(user, reminder: Reminder) -> set[str]:
    """Return the parts ``user`` plays in ``reminder``: its owner, an administrator."""
    found = set()
    if getattr(user, "pk", None) and user.pk == reminder.owner_id:
        found.add(OWNER)
    if getattr(user, "is_superuser", False):
        found.add(ADMIN)
    return found


TRANSITIONS = {
    S.OPEN: {
        "complete": Move(
            S.DONE,
            {OWNER, ADMIN},
            optional=("note",),
            label=gettext_lazy("Mark as done"),
            log_label=gettext_lazy("Completed"),
            icon="bi-check2",
            style="success",
            primary=1,
        ),
    },
    S.DONE: {},
}

REMINDERS = Workflow(
    key=HANDLER,
    model=Reminder,
    table=TRANSITIONS,
    roles=roles,
    timeline=ReminderEntry,
    entries={"create": gettext_lazy("Created")},
    lock_related=("owner",),
)

# --- creating and moving ----------------------------------------------------------------------


def create_reminder(
    *,
    owner,
    title: str,
    due_at: dt.datetime,
    note: str = "",
    acting_user=None,
    is_demo: bool = False,
) -> Reminder:
    """Create a reminder for ``owner`` and open its deadline; raise ValidationError on bad input."""
    if acting_user is not None and acting_user != owner and not acting_user.is_superuser:
        raise PermissionDenied(_("You can only create reminders for yourself."))
    reminder = Reminder(
        title=title,
        note=note,
        owner=owner,
        created_by=acting_user,
        due_at=due_at,
        is_demo=is_demo,
    )
    reminder.full_clean()
    with transaction.atomic():
        reminder.save()
        REMINDERS.write_entry(reminder, "create", acting_user, to_status=S.OPEN)
        deadlines.open_deadline(
            reminder, kind=KIND, handler=HANDLER, due_at=due_at, start=timezone.now(), replace=False
        )
    return reminder


@REMINDERS.handles("complete")
def _complete(reminder: Reminder, user, *, before, target, note: str = "", **_fields) -> None:
    """Mark the reminder done and close its deadline, so no further hook fires."""
    reminder.status = target
    reminder.completed_at = timezone.now()
    reminder.save(update_fields=["status", "completed_at"])
    deadlines.close_deadline(reminder, kind=KIND)
    REMINDERS.write_entry(
        reminder, "complete", user, from_status=before, to_status=target, note=note
    )


def complete_reminder(reminder: Reminder, *, acting_user) -> Reminder:
    """Mark the reminder done and close its deadline, so no further hook fires."""
    return REMINDERS.perform(reminder, "complete", acting_user=acting_user)


# --- deadline hooks ------------------------------------------------------------------------


def _reminders(rows: list[Deadline]) -> dict[int, Reminder]:
    """Return the open reminders of ``rows`` with their owners, keyed by deadline id."""
    ids = {d.object_id for d in rows}
    found = Reminder.objects.select_related("owner").in_bulk(ids)
    return {
        d.pk: found[d.object_id]
        for d in rows
        if d.object_id in found and found[d.object_id].status == Reminder.Status.OPEN
    }


def _context(reminder: Reminder, deadline: Deadline) -> dict:
    url = reminder.get_absolute_url()
    # `kind` is what the message calls the item; lazy, so it renders in the message's language.
    kind = Reminder._meta.verbose_name
    return {"item": str(reminder), "deadline": deadline.due_at, "url": url, "kind": kind}


def on_warning(rows: list[Deadline]) -> None:
    """Tell each owner that their reminder is nearly due."""
    from pingan.notify.services import notify

    by_id = {d.pk: d for d in rows}
    for deadline_id, reminder in _reminders(rows).items():
        context = _context(reminder, by_id[deadline_id])
        notify(
            users=recipients.one_user(reminder.owner),
            template="deadline_warning",
            context=context,
            url=context["url"],
        )


def on_overdue(rows: list[Deadline]) -> None:
    """Tell each owner, and the robots of their grids and departments, that it is overdue."""
    from pingan.notify.services import notify

    reminders = _reminders(rows)
    units = recipients.units_of({r.owner_id for r in reminders.values()})
    by_id = {d.pk: d for d in rows}
    for deadline_id, reminder in reminders.items():
        context = _context(reminder, by_id[deadline_id])
        notify(
            users=recipients.one_user(reminder.owner),
            units=units.get(reminder.owner_id, []),
            template="deadline_overdue",
            context=context,
            url=context["url"],
        )


def register_hooks() -> None:
    """Register the reminder workflow with the deadline sweep."""
    deadlines.register(
        HANDLER,
        on_warning=on_warning,
        on_overdue=on_overdue,
        kinds=[(KIND, pgettext_lazy("deadline kind", "Due"))],
    )
