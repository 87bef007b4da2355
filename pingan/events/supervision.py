"""Deadline hooks of events: warnings, overdue flags, accountability, automatic supervision.

Kinds of event deadlines: ``sign`` and ``resolve`` (the department's), ``verify`` (the grid's),
and ``yellow``/``red``: opened when an event goes overdue, they raise its supervision grade
(普通督办 at the deadline, 黄牌 after ``PINGAN_SUPERVISION_YELLOW_HOURS``, 红牌 after
``PINGAN_SUPERVISION_RED_HOURS``). The sweep fires each once, so a worker that was down
catches up in order.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from pingan.events import queries
from pingan.events.models import Event
from pingan.workflow import deadlines
from pingan.workflow.models import Deadline

HANDLER = "events.event"
DEPARTMENT_KINDS = ("sign", "resolve")


def _events(rows: list[Deadline]) -> dict[int, Event]:
    ids = {d.object_id for d in rows}
    return Event.objects.select_related("department", "centre", "category").in_bulk(ids)


def on_warning(rows: list[Deadline]) -> None:
    """Tell the department (sign, resolve) or the grid (verify) that a deadline is near."""
    from pingan.events.services import _tell

    events = _events(rows)
    for deadline in rows:
        event = events.get(deadline.object_id)
        if event is None or not event.is_open:
            continue
        note = _("Due %(due)s") % {"due": _local(deadline.due_at)}
        if deadline.kind in DEPARTMENT_KINDS and event.department_id:
            _tell(
                event,
                "warning",
                users=queries.department_handlers([event.department_id]),
                units=[event.department],
                note=note,
            )
        elif deadline.kind == "verify":
            _tell(event, "warning", users=queries.grid_staff(event.grid_id), note=note)


def _local(moment: dt.datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def on_overdue(rows: list[Deadline]) -> None:
    """Flag overdue events, hold the miss against the department, raise supervision."""
    from pingan.events.services import _log, _tell, raise_supervision, record_accountability

    events = _events(rows)
    yellow = float(settings.PINGAN_SUPERVISION_YELLOW_HOURS)
    red = float(settings.PINGAN_SUPERVISION_RED_HOURS)
    for deadline in rows:
        event = events.get(deadline.object_id)
        if event is None or not event.is_open:
            continue
        if deadline.kind in DEPARTMENT_KINDS:
            record_accountability(event, deadline.kind, deadline.due_at)
            if event.overdue_since is None:
                event.overdue_since = deadline.due_at
                event.save(update_fields=["overdue_since", "updated_at"])
            _log(
                event,
                "overdue",
                None,
                department=event.department,
                data={"kind": deadline.kind, "due_at": deadline.due_at.isoformat()},
            )
            note = _("Deadline was %(due)s") % {"due": _local(deadline.due_at)}
            _tell(
                event,
                "overdue",
                users=[
                    *queries.department_handlers([event.department_id]),
                    *queries.centre_staff(event.centre),
                ],
                units=[event.department],
                note=note,
            )
            if Event.SUPERVISION_ORDER[event.supervision] < 1:
                raise_supervision(event, Event.Supervision.NORMAL, note=note, automatic=True)
            if not deadlines.open_deadlines(event, "yellow").exists() and (
                Event.SUPERVISION_ORDER[event.supervision] < 2
            ):
                deadlines.open_deadline(
                    event,
                    kind="yellow",
                    handler=HANDLER,
                    start=deadline.due_at,
                    due_at=deadline.due_at + dt.timedelta(hours=yellow),
                    warn_fraction=1,
                )
        elif deadline.kind == "yellow":
            if Event.SUPERVISION_ORDER[event.supervision] < 2:
                raise_supervision(
                    event,
                    Event.Supervision.YELLOW,
                    automatic=True,
                    note=_("Overdue for %(h)g hours") % {"h": yellow},
                )
            deadlines.open_deadline(
                event,
                kind="red",
                handler=HANDLER,
                start=deadline.due_at,
                due_at=deadline.due_at + dt.timedelta(hours=max(red - yellow, 0)),
                warn_fraction=1,
            )
        elif deadline.kind == "red":
            if Event.SUPERVISION_ORDER[event.supervision] < 3:
                raise_supervision(
                    event,
                    Event.Supervision.RED,
                    automatic=True,
                    note=_("Overdue for %(h)g hours") % {"h": red},
                )
        elif deadline.kind == "verify":
            _tell(
                event,
                "overdue",
                users=[*queries.grid_staff(event.grid_id), *queries.centre_staff(event.centre)],
                note=_("Verification was due %(due)s") % {"due": _local(deadline.due_at)},
            )


def register_hooks() -> None:
    """Register the event workflow with the deadline sweep."""
    deadlines.register(HANDLER, on_warning=on_warning, on_overdue=on_overdue)
