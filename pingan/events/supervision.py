"""Deadline hooks of events: warnings, overdue flags, accountability, automatic supervision.

Kinds of event deadlines (``DeadlineKind``): ``sign`` and ``resolve`` (the department's),
``verify`` (the grid's), and the supervision ladder's ``yellow``/``red``
(``pingan.workflow.supervision``): a missed department deadline puts the event under 普通督办
at once, 黄牌 after ``PINGAN_SUPERVISION_YELLOW_HOURS`` and 红牌 after
``PINGAN_SUPERVISION_RED_HOURS``. The sweep fires each once, so a worker that was down catches
up in order.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts import recipients
from pingan.events.models import DeadlineKind, Event
from pingan.events.services import HANDLER, LADDER, record_accountability
from pingan.events.services.base import log_entry, tell_lead
from pingan.notify.services import tell
from pingan.workflow import deadlines
from pingan.workflow.models import Deadline

DEPARTMENT_KINDS = (DeadlineKind.SIGN, DeadlineKind.RESOLVE)


def _events(rows: list[Deadline]) -> dict[int, Event]:
    ids = {d.object_id for d in rows}
    return Event.objects.select_related("department", "centre", "category").in_bulk(ids)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def on_warning(rows: list[Deadline]) -> None:
    """Tell the department (sign, resolve) or the grid (verify) that a deadline is near."""
    events = _events(rows)
    for deadline in rows:
        event = events.get(deadline.object_id)
        if event is None or not event.is_open:
            continue
        note = _("Due %(due)s") % {"due": _local(deadline.due_at)}
        if deadline.kind in DEPARTMENT_KINDS:
            tell_lead(event, "warning", note=note)
        elif deadline.kind == DeadlineKind.VERIFY:
            tell(event, "warning", users=recipients.grid_staff(event.grid_id), note=note)


def on_overdue(rows: list[Deadline]) -> None:
    """Flag overdue events, hold the miss against the department, raise supervision."""
    events = _events(rows)
    for deadline in rows:
        event = events.get(deadline.object_id)
        if event is None or not event.is_open:
            continue
        if deadline.kind in DEPARTMENT_KINDS:
            _missed(event, deadline)
        elif LADDER.fired(event, deadline):
            continue
        elif deadline.kind == DeadlineKind.VERIFY:
            tell(
                event,
                "overdue",
                users=[
                    *recipients.grid_staff(event.grid_id),
                    *recipients.centre_staff(event.centre),
                ],
                note=_("Verification was due %(due)s") % {"due": _local(deadline.due_at)},
            )


def _missed(event: Event, deadline: Deadline) -> None:
    """A department missed its deadline: hold it against them, flag, tell, supervise."""
    record_accountability(event, deadline.kind, deadline.due_at)
    if event.overdue_since is None:
        event.overdue_since = deadline.due_at
        event.save(update_fields=["overdue_since", "updated_at"])
    log_entry(
        event,
        "overdue",
        None,
        department=event.department,
        data={"kind": deadline.kind, "due_at": deadline.due_at.isoformat()},
    )
    note = _("Deadline was %(due)s") % {"due": _local(deadline.due_at)}
    tell(
        event,
        "overdue",
        users=[
            *recipients.department_handlers([event.department_id]),
            *recipients.centre_staff(event.centre),
        ],
        units=[event.department],
        note=note,
    )
    LADDER.missed(event, deadline.due_at, note)


def register_hooks() -> None:
    """Register the event workflow with the deadline sweep."""
    deadlines.register(
        HANDLER, on_warning=on_warning, on_overdue=on_overdue, kinds=DeadlineKind.choices
    )
