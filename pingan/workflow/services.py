"""Every state change of a reminder (提醒事项), and the reminder workflow's deadline hooks.

Reminders are the smallest workflow on the deadline machinery: creating one opens a deadline
(handler ``workflow.reminder``, kind ``due``); completing it closes the deadline. At the warning
the owner gets an inbox message; when it is overdue the owner gets another, and so do the group
robots of the grids and departments the owner works in.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.workflow import deadlines
from pingan.workflow.models import Deadline, Reminder

HANDLER = "workflow.reminder"
KIND = "due"


class IllegalTransition(Exception):
    """The action is not allowed from the reminder's current status."""


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
        deadlines.open_deadline(
            reminder, kind=KIND, handler=HANDLER, due_at=due_at, start=timezone.now()
        )
    return reminder


def complete_reminder(reminder: Reminder, *, acting_user) -> Reminder:
    """Mark the reminder done and close its deadline, so no further hook fires."""
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
        if acting_user != reminder.owner and not acting_user.is_superuser:
            raise PermissionDenied(_("Only the person reminded can complete a reminder."))
        target = reminder.allowed_actions().get("complete")
        if target is None:
            raise IllegalTransition(_("This reminder is already done."))
        reminder.status = target
        reminder.completed_at = timezone.now()
        reminder.save(update_fields=["status", "completed_at"])
        deadlines.close_deadline(reminder, kind=KIND)
    return reminder


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


def _units_of(users) -> dict[int, list]:
    """Return the grids and departments whose robots hear about each user's overdue work.

    A member of a grid or a department: that grid or department. A centre dispatcher (role
    ``center`` on a region): the region's governance centre (综治中心) department. Two queries.
    """
    from pingan.accounts.models import Department, Membership, Role

    units: dict[int, list] = {}
    memberships = list(
        Membership.objects.filter(user_id__in=users)
        .filter(Q(grid__isnull=False) | Q(department__isnull=False) | Q(role=Role.CENTER))
        .select_related("grid", "department")
        .order_by("pk")
    )
    centre_regions = {m.region_id for m in memberships if m.role == Role.CENTER and m.region_id}
    centres: dict[int, list] = {}
    if centre_regions:
        for dept in Department.objects.filter(
            region_id__in=centre_regions, kind=Department.Kind.CENTER, is_active=True
        ).order_by("code"):
            centres.setdefault(dept.region_id, []).append(dept)
    for m in memberships:
        found = [m.grid or m.department] if (m.grid_id or m.department_id) else []
        if m.role == Role.CENTER:
            found += centres.get(m.region_id, [])
        for unit in found:
            if unit not in units.setdefault(m.user_id, []):
                units[m.user_id].append(unit)
    return units


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
            users=[reminder.owner],
            template="deadline_warning",
            context=context,
            url=context["url"],
        )


def on_overdue(rows: list[Deadline]) -> None:
    """Tell each owner, and the robots of their grids and departments, that it is overdue."""
    from pingan.notify.services import notify

    reminders = _reminders(rows)
    units = _units_of({r.owner_id for r in reminders.values()})
    by_id = {d.pk: d for d in rows}
    for deadline_id, reminder in reminders.items():
        context = _context(reminder, by_id[deadline_id])
        notify(
            users=[reminder.owner],
            units=units.get(reminder.owner_id, []),
            template="deadline_overdue",
            context=context,
            url=context["url"],
        )


def register_hooks() -> None:
    """Register the reminder workflow with the deadline sweep."""
    deadlines.register(HANDLER, on_warning=on_warning, on_overdue=on_overdue)
