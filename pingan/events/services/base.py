"""What every move of an event uses: the timeline, saving, deadlines, dispatching, replies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pingan.accounts import recipients
from pingan.accounts.models import Department
from pingan.core import sla
from pingan.events.models import Assignment, Category, DeadlineKind, Event, EventLog
from pingan.events.transitions import WORKFLOW
from pingan.notify.services import tell
from pingan.workflow import deadlines
from pingan.workflow import supervision as ladder
from pingan.workflow.models import Deadline

HANDLER = WORKFLOW.key
NUMBER_PREFIX = "SJ"
S = Event.Status

DEFAULT_REPLIES = {
    "signed": gettext_lazy(
        "Your report has been signed for by %(department)s and is being handled."
    ),
    "resolved": gettext_lazy(
        "%(department)s reports the problem resolved; the grid worker will check on site."
    ),
    "closed": gettext_lazy("Your report is closed. Please tell us whether you are satisfied."),
}


def reporters(event: Event) -> list:
    """Return the reporter and the followers (reporters of merged duplicates)."""
    people = list(event.followers.all())
    if event.reporter_id and event.reporter not in people:
        people.insert(0, event.reporter)
    return people


def tell_lead(
    event: Event, headline: str, *, note: str = "", acting_user=None, robot: bool = True
) -> None:
    """Tell the lead department's handlers (and, with ``robot``, its group robot), if any."""
    if event.department_id is None:
        return
    tell(
        event,
        headline,
        users=recipients.department_handlers([event.department_id]),
        units=[event.department] if robot else [],
        note=note,
        acting_user=acting_user,
    )


def reply(event: Event, state: str) -> str:
    """Return the reply the reporter reads at ``state``: the category's, else the default."""
    text = event.category.reply_for(state) if event.category_id else ""
    if not text:
        text = str(DEFAULT_REPLIES[state])
    department = event.department.name if event.department_id else _("the department")
    try:
        return text % {"department": department, "number": event.number}
    except (KeyError, ValueError, TypeError):
        return text


def log_entry(event: Event, action: str, actor, **values) -> EventLog:
    """Write a timeline entry of ``event`` (``from_status``, ``to_status``, ``note``, ``data``…)."""
    return WORKFLOW.write_entry(event, action, actor, **values)


def log_move(event: Event, action: str, actor, before: str, target: str, note: str) -> EventLog:
    """Write the timeline entry of a move that changed the status, by the event's department."""
    return log_entry(
        event,
        action,
        actor,
        from_status=before,
        to_status=target,
        note=note,
        department=event.department,
    )


def save(event: Event, *fields: str) -> None:
    """Save ``fields`` of the event (and its update time)."""
    event.save(update_fields=[*fields, "updated_at"])


def end_assignments(event: Event, *, role: str | None = None, at=None) -> None:
    """End the event's active assignments (of ``role``, if given)."""
    qs = event.assignments.filter(ended_at__isnull=True)
    if role:
        qs = qs.filter(role=role)
    qs.update(ended_at=at or timezone.now())


DEFAULT_SIGN = (Decimal(2), sla.Unit.WORKING_HOURS)
DEFAULT_RESOLVE = (Decimal(3), sla.Unit.WORKING_DAYS)


def open_handling_deadlines(
    event: Event, start: dt.datetime, *, fresh: bool = False
) -> list[Deadline]:
    """Open the sign-for and resolution deadlines of the event's category from ``start``."""
    category = event.category
    sign = (category.sign_amount, category.sign_unit) if category else DEFAULT_SIGN
    resolve = (category.resolve_amount, category.resolve_unit) if category else DEFAULT_RESOLVE
    calendar = sla.calendar()
    if not fresh:  # a report filed a moment ago has no supervision deadlines to close
        ladder.stop(event)
    opened = [
        deadlines.open_deadline(
            event,
            kind=kind,
            handler=HANDLER,
            amount=amount,
            unit=unit,
            start=start,
            calendar=calendar,
            replace=not fresh,
        )
        for kind, (amount, unit) in ((DeadlineKind.SIGN, sign), (DeadlineKind.RESOLVE, resolve))
    ]
    event.sign_due_at, event.resolve_due_at = (d.due_at for d in opened)
    event.overdue_since = None
    return opened


def sync_due(event: Event) -> None:
    """Copy the open deadlines' due times onto the event (after a pause or an extension)."""
    for deadline in deadlines.open_deadlines(event):
        if deadline.kind == DeadlineKind.SIGN:
            event.sign_due_at = deadline.due_at
        elif deadline.kind == DeadlineKind.RESOLVE:
            event.resolve_due_at = deadline.due_at


# What a dispatch changes on the event row.
DISPATCH_FIELDS = (
    "department",
    "first_department",
    "status",
    "dispatched_at",
    "signed_at",
    "sign_due_at",
    "resolve_due_at",
    "overdue_since",
    "routing_rule",
)


def dispatch(
    event: Event,
    department: Department,
    acting_user,
    *,
    note: str = "",
    at=None,
    auto: bool = False,
    action: str = "dispatch",
    fresh: bool = False,
) -> tuple[Assignment, list[Deadline], EventLog]:
    """Give the event to ``department`` as lead, open its deadlines, tell its handlers.

    ``fresh``: the event was created in this transaction (intake), so it has no assignments
    and no deadlines to end: three UPDATEs that could change nothing are skipped.
    Return the rows written: the assignment, the deadlines and the timeline entry.
    """
    now = at or timezone.now()
    before = event.status
    if not fresh:
        end_assignments(event, role=Assignment.Role.LEAD, at=now)
        event.assignments.filter(department=department, ended_at__isnull=True).update(ended_at=now)
    assignment = Assignment.objects.create(
        event=event, department=department, role=Assignment.Role.LEAD, assigned_at=now
    )
    event.department = department
    if event.first_department_id is None:
        event.first_department = department
    event.status = S.DISPATCHED
    event.dispatched_at = now
    event.signed_at = None
    opened = open_handling_deadlines(event, now, fresh=fresh)
    if not fresh:  # intake writes these fields once, with the number (see report_event)
        save(event, *DISPATCH_FIELDS)
    entry = log_entry(
        event,
        action,
        acting_user,
        from_status=before,
        to_status=S.DISPATCHED,
        note=note,
        department=department,
        data={"automatic": auto, "rule": event.routing_rule_id},
        at=now,
    )
    tell(
        event,
        "dispatched",
        users=recipients.department_handlers([department.pk]),
        units=[department, event.grid],
        note=note,
        acting_user=acting_user,
    )
    return assignment, opened, entry


def reclassify(event: Event, category: Category | None, user) -> bool:
    """Give the event a person's category; return whether it changed."""
    if category is None or category.pk == event.category_id:
        return False
    old = event.category
    event.category = category
    event.category_source = Event.CategorySource.PERSON
    event.keyword_rule = None
    save(event, "category", "category_source", "keyword_rule")
    log_entry(
        event,
        "classify",
        user,
        note=str(category),
        data={"from": old.code if old else "", "to": category.code},
    )
    return True
