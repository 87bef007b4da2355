"""Every state change of an event: intake, and each move of the transition table.

``report_event`` takes a report from any channel; ``perform`` makes one move. Both run in one
transaction: the event row is locked (``select_for_update``), the move is checked against the
table *after* the lock (so of two people moving the same event at once, the second sees the
new state and gets ``IllegalTransition``), a timeline entry is written, deadlines are opened,
closed or paused, and notifications are queued for after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pingan.accounts.models import Department
from pingan.core import numbering, sla
from pingan.core.cache import TableCache
from pingan.core.models import CalendarDay, WorkingPeriod
from pingan.core.transitions import IllegalTransition
from pingan.events import attachments, classify, queries, routing
from pingan.events.models import (
    AccountabilityRecord,
    Assignment,
    Category,
    Event,
    EventLog,
    Message,
    Priority,
    Request,
)
from pingan.events.transitions import PREVIOUS, check
from pingan.geo.models import Grid, Region
from pingan.workflow import deadlines
from pingan.workflow.models import Deadline

logger = logging.getLogger(__name__)

HANDLER = "events.event"
# The working calendar, kept per process and rebuilt when an admin edits it.
CALENDAR = TableCache("calendar", sla.Calendar.load).depends_on([CalendarDay, WorkingPeriod])
NUMBER_PREFIX = "SJ"
S = Event.Status

__all__ = ["IllegalTransition", "perform", "report_event"]

# Headlines of the messages people receive (rendered in Chinese by notify()).
HEADLINES = {
    "reported": gettext_lazy("New report in your grid"),
    "received": gettext_lazy("Report received"),
    "queued": gettext_lazy("New event awaiting dispatch"),
    "dispatched": gettext_lazy("New event dispatched to you"),
    "reply": gettext_lazy("Progress of your report"),
    "returned": gettext_lazy("Event returned by the department"),
    "verify": gettext_lazy("Please verify on site"),
    "rework": gettext_lazy("Rework required"),
    "closed": gettext_lazy("Event closed"),
    "urged": gettext_lazy("Urged (催办)"),
    "supervised": gettext_lazy("Supervision (督办)"),
    "escalated": gettext_lazy("Escalated to your centre (吹哨)"),
    "summoned": gettext_lazy("Your department is summoned to assist"),
    "request": gettext_lazy("Request awaiting your decision"),
    "decided": gettext_lazy("Your request was decided"),
    "message": gettext_lazy("New message"),
    "reopened": gettext_lazy("Event reopened"),
    "rated": gettext_lazy("Reporter's rating"),
    "warning": gettext_lazy("Deadline approaching"),
    "overdue": gettext_lazy("Overdue"),
}

DEFAULT_REPLIES = {
    "signed": gettext_lazy(
        "Your report has been signed for by %(department)s and is being handled."
    ),
    "resolved": gettext_lazy(
        "%(department)s reports the problem resolved; the grid worker will check on site."
    ),
    "closed": gettext_lazy("Your report is closed. Please tell us whether you are satisfied."),
}


# --- small helpers --------------------------------------------------------------------------

_held = threading.local()


@contextmanager
def _held_messages():
    """Hold the messages ``_tell`` is asked to send; the caller sends them with ``_send_held``."""
    _held.messages = []
    try:
        yield _held.messages
    finally:
        _held.messages = None


def _send_held(messages: list) -> None:
    if not messages:
        return
    # One savepoint for all of them (see notify()): a failure loses the messages, not the event.
    with transaction.atomic():
        for event, headline, users, units, note, acting_user in messages:
            _tell(
                event,
                headline,
                users=users,
                units=units,
                note=note,
                acting_user=acting_user,
                savepoint=False,
            )


def _tell(
    event: Event,
    headline: str,
    *,
    users: Iterable = (),
    units: Iterable = (),
    note: str = "",
    acting_user=None,
    savepoint: bool = True,
) -> None:
    """Send ``event``'s message with ``headline`` to ``users`` (not the actor) and ``units``.

    Inside :func:`_held_messages` the message waits until the block ends (intake numbers the
    event last, so the number lock is held as briefly as possible, and messages carry it).
    """
    from pingan.notify.services import notify

    held = getattr(_held, "messages", None)
    if held is not None:
        held.append((event, headline, list(users), list(units), note, acting_user))
        return
    recipients = [u for u in users if u is not None and u != acting_user]
    units = [u for u in units if u is not None]
    if not recipients and not units:
        return
    notify(
        users=recipients,
        units=units,
        template="event_update",
        context={
            "headline": HEADLINES[headline],
            "event": event,
            "status": event.get_status_display(),
            "department": event.department,
            "note": note,
        },
        url=event.get_absolute_url(),
        acting_user=acting_user,
        savepoint=savepoint,
    )


def _reporters(event: Event) -> list:
    people = list(event.followers.all())
    if event.reporter_id and event.reporter not in people:
        people.insert(0, event.reporter)
    return people


def _reply(event: Event, state: str) -> str:
    text = event.category.reply_for(state) if event.category_id else ""
    if not text:
        text = str(DEFAULT_REPLIES[state])
    department = event.department.name if event.department_id else _("the department")
    try:
        return text % {"department": department, "number": event.number}
    except (KeyError, ValueError, TypeError):
        return text


def _log(
    event: Event,
    action: str,
    actor,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    department: Department | None = None,
    data: dict | None = None,
    at: dt.datetime | None = None,
) -> EventLog:
    return EventLog.objects.create(
        event=event,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note or "",
        department=department,
        data=data or {},
    )


def _log_move(event: Event, action: str, actor, before: str, target: str, note: str) -> EventLog:
    """Write the timeline entry of a move that changed the status, by the event's department."""
    return _log(
        event,
        action,
        actor,
        from_status=before,
        to_status=target,
        note=note,
        department=event.department,
    )


def _as_category(value) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        return value
    try:
        return Category.objects.select_related("parent").get(code=str(value), is_active=True)
    except Category.DoesNotExist as exc:
        raise ValidationError(
            {"category": _("No active category has the code “%(code)s”.") % {"code": value}}
        ) from exc


def _as_village(value) -> Region | None:
    if value in (None, ""):
        return None
    if isinstance(value, Region):
        return value
    try:
        return Region.objects.get(code=str(value))
    except Region.DoesNotExist as exc:
        raise ValidationError(
            {"village": _("No village or township has the code “%(code)s”.") % {"code": value}}
        ) from exc


def _as_department(value, field: str = "department") -> Department:
    if isinstance(value, Department):
        return value
    qs = Department.objects.filter(is_active=True)
    try:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return qs.get(pk=int(value))
        return qs.get(code=str(value))
    except (Department.DoesNotExist, ValueError) as exc:
        raise ValidationError({field: _("Choose an active department.")}) from exc


def _as_datetime(value, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value or ""))
        if moment is None:
            raise ValidationError({field: _("Give a date and time, e.g. 2026-03-14T18:00+08:00.")})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _point(lng, lat) -> tuple[float, float] | None:
    if lng in (None, "") and lat in (None, ""):
        return None
    try:
        lng_f, lat_f = float(lng), float(lat)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"lng": _("Give both longitude and latitude as numbers.")}) from exc
    if not (-180 <= lng_f <= 180 and -90 <= lat_f <= 90):
        raise ValidationError({"lng": _("Longitude lies within ±180 and latitude within ±90.")})
    return lng_f, lat_f


def _township(region: Region) -> Region | None:
    if region.level == Region.Level.TOWNSHIP:
        return region
    if region.level == Region.Level.VILLAGE:
        return region.parent
    return None


def _home_county(user) -> Region | None:
    """Return the county of the user's first org unit, else the only county there is."""
    system = queries.intake_system_of(user)
    path = ""
    if system is not None:
        path = system.region.path
    elif getattr(user, "pk", None):
        membership = (
            user.memberships.select_related("region", "grid", "department__region")
            .order_by("pk")
            .first()
        )
        if membership is not None:
            unit = membership.region or membership.grid or membership.department.region
            path = unit.path
    counties = Region.objects.filter(level=Region.Level.COUNTY)
    for code in path.strip("/").split("/"):
        county = counties.filter(code=code).first()
        if county:
            return county
    return counties.order_by("code").first()


def _locate(point, village: Region | None, user) -> dict[str, Any]:
    """Return region, grid and how the report was located."""
    from pingan.geo.locate import locate

    if point is not None:
        found = locate(*point)
        if found is not None and found.grid_id:
            # One query for the grid, its village and township (the event's township is read
            # from the village's parent); boundaries are not needed here.
            grid = (
                Grid.objects.select_related("region__parent")
                .defer("geometry", "description", "region__boundary", "region__parent__boundary")
                .get(pk=found.grid_id)
            )
            return {"region": grid.region, "grid": grid, "located_by": Event.LocatedBy.GRID}
        if found is not None:
            region = (
                Region.objects.select_related("parent")
                .defer("boundary", "parent__boundary")
                .get(pk=found.region_id)
            )
            return {"region": region, "grid": None, "located_by": Event.LocatedBy.NEAREST}
    if village is not None:
        return {"region": village, "grid": None, "located_by": Event.LocatedBy.VILLAGE}
    county = _home_county(user)
    if county is None:
        raise ValidationError({"lng": _("The point lies outside every county of this system.")})
    return {"region": county, "grid": None, "located_by": Event.LocatedBy.NONE}


def _source_key(user) -> str:
    system = queries.intake_system_of(user)
    if system is not None:
        return f"system:{system.pk}"
    return f"user:{user.pk}" if getattr(user, "pk", None) else "anonymous"


# --- deadlines ------------------------------------------------------------------------------

DEFAULT_SIGN = (Decimal(2), sla.Unit.WORKING_HOURS)
DEFAULT_RESOLVE = (Decimal(3), sla.Unit.WORKING_DAYS)


def _open_handling_deadlines(
    event: Event, start: dt.datetime, *, fresh: bool = False
) -> list[Deadline]:
    category = event.category
    sign = (category.sign_amount, category.sign_unit) if category else DEFAULT_SIGN
    resolve = (category.resolve_amount, category.resolve_unit) if category else DEFAULT_RESOLVE
    calendar = CALENDAR.get()
    if not fresh:  # a report filed a moment ago has no supervision deadlines to close
        for kind in ("yellow", "red"):
            deadlines.close_deadline(event, kind)
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
        for kind, (amount, unit) in (("sign", sign), ("resolve", resolve))
    ]
    event.sign_due_at, event.resolve_due_at = (d.due_at for d in opened)
    event.overdue_since = None
    return opened


def _sync_due(event: Event) -> None:
    """Copy the open deadlines' due times onto the event (after a pause or an extension)."""
    for deadline in deadlines.open_deadlines(event):
        if deadline.kind == "sign":
            event.sign_due_at = deadline.due_at
        elif deadline.kind == "resolve":
            event.resolve_due_at = deadline.due_at


# --- intake ---------------------------------------------------------------------------------


def report_event(
    *,
    acting_user,
    description: str,
    channel: str,
    title: str = "",
    category=None,
    lng=None,
    lat=None,
    village=None,
    address: str = "",
    client_key: str | None = None,
    photos: Iterable = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    priority: str | None = None,
    reported_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> tuple[Event, bool]:
    """File a report from any channel; return (event, created).

    A repeated ``client_key`` from the same source returns the original event and creates
    nothing. The report is located (``locate`` on the point, else the chosen village; a point
    outside every grid is kept unlocated at the county centre), classified (the reporter's
    category, else keyword rules), routed and — if a rule names a department and the category
    dispatches automatically — dispatched with its deadlines, all in one transaction.
    Raise ``ValidationError`` (by field) on bad input; nothing is stored then.
    """
    source = _source_key(acting_user)
    client_key = (client_key or "").strip()
    if client_key:
        existing = Event.objects.filter(source_key=source, client_key=client_key).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("Describe the problem."))
    if channel not in queries.intake_channels(acting_user):
        errors.setdefault("channel", []).append(
            _("You cannot file reports through the channel “%(channel)s”.") % {"channel": channel}
        )
    if client_key and len(client_key) > 64:
        errors.setdefault("client_key", []).append(_("A client key has at most 64 characters."))
    chosen: Category | None = None
    point = village_region = None
    for parse in (
        lambda: _as_category(category),
        lambda: _point(lng, lat),
        lambda: _as_village(village),
    ):
        try:
            value = parse()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        if isinstance(value, Category):
            chosen = value
        elif isinstance(value, tuple):
            point = value
        elif isinstance(value, Region):
            village_region = value
    if point is None and village_region is None and "lng" not in errors and "village" not in errors:
        errors.setdefault("location", []).append(
            _("Give the place: coordinates (lng, lat) or a village.")
        )
    if priority and priority not in Priority.values:
        errors.setdefault("priority", []).append(_("Choose a valid priority."))
    phone_event = Event()
    if reporter_phone:
        try:
            phone_event.set_reporter_phone(reporter_phone)
        except ValidationError as exc:
            errors.setdefault("reporter_phone", []).extend(exc.messages)
    try:
        photos = attachments.validate_uploads(photos)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    text = f"{title}\n{description}"
    category_source = Event.CategorySource.REPORTER if chosen else Event.CategorySource.NONE
    rule = None
    if chosen is None:
        suggestion = classify.classify(text)
        if suggestion is not None:
            chosen, rule = suggestion.category, suggestion.rule
            category_source = Event.CategorySource.RULE
    now = reported_at or timezone.now()
    try:
        with transaction.atomic():
            place = _locate(point, village_region, acting_user)
            region = place["region"]
            route = routing.route(chosen, region) if place["located_by"] != "none" else None
            centre = route.centre if route else routing.centre_for(region)
            event = Event(
                # A placeholder: the human number is taken last (see below).
                number=f"~{uuid.uuid4().hex[:22]}",
                title=(title or "").strip()[:100],
                description=description,
                category=chosen,
                category_source=category_source,
                keyword_rule=rule,
                priority=priority or (chosen.priority if chosen else "normal"),
                channel=channel,
                client_key=client_key or "",
                source_key=source,
                reporter=acting_user if getattr(acting_user, "pk", None) else None,
                reporter_name=(reporter_name or "").strip()[:50]
                or (acting_user.display_name if getattr(acting_user, "pk", None) else ""),
                reporter_phone_encrypted=phone_event.reporter_phone_encrypted,
                reporter_phone_hash=phone_event.reporter_phone_hash,
                reporter_phone_masked=phone_event.reporter_phone_masked,
                lng=point[0] if point else None,
                lat=point[1] if point else None,
                address=(address or "").strip()[:200],
                located_by=place["located_by"],
                region=region,
                grid=place["grid"],
                path=region.path,
                county_code=region.county_code,
                township=_township(region),
                centre=centre,
                reported_at=now,
                is_demo=is_demo,
            )
            event.save()
            log = _log(
                event,
                "report",
                acting_user,
                to_status=S.REPORTED,
                at=now,
                data={
                    "channel": channel,
                    "located_by": place["located_by"],
                    "category_source": category_source,
                    "keyword_rule": rule.phrase if rule else "",
                    "route": route.reason
                    if route
                    else _("Not located: the county centre decides."),
                },
            )
            files = attachments.store(event, photos, stage="report", user=acting_user, log=log)
            timeline, assignments, opened = [log], [], []
            with _held_messages() as messages:
                if route and route.department and chosen and chosen.auto_dispatch:
                    event.routing_rule = route.rule
                    assignment, opened, dispatch_log = _dispatch(
                        event,
                        route.department,
                        None,
                        note=route.reason,
                        at=now,
                        auto=True,
                        fresh=True,
                    )
                    assignments.append(assignment)
                    timeline.append(dispatch_log)
                _tell_intake(event, acting_user)
            # The day's counter row stays locked until the commit: take the number last, so
            # concurrent intakes queue only for the few statements that follow.
            event.number = numbering.next_number(NUMBER_PREFIX, timezone.localdate(now))
            fields = ["number"]
            if event.status == S.DISPATCHED:
                fields += DISPATCH_FIELDS
            _save(event, *fields)
            _send_held(messages)
    except IntegrityError:
        # Two identical submissions raced: the other one won; return it.
        if client_key:
            existing = Event.objects.filter(source_key=source, client_key=client_key).first()
            if existing is not None:
                return existing, False
        raise
    # What intake wrote, so that the answer to a report needs no query (see
    # queries.load_written): a new report has no messages and no merged events yet.
    event.written = {
        "timeline": timeline,
        "assignments": assignments,
        "attachments": files,
        "messages": [],
        "merged_events": [],
        "open_deadlines": opened,
    }
    return event, True


def report_one_key_call(*, acting_user, phone: str, note: str = "", client_key: str = ""):
    """File an elderly one-key call (一键呼): caller and place come from the registered terminal.

    Return (event, created). An unknown number raises ValidationError on ``phone``.
    """
    from pingan.core import crypto
    from pingan.events.models import CallTerminal

    try:
        normal = crypto.validate_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    terminal = (
        CallTerminal.objects.filter(phone_hash=crypto.keyed_hash(normal), is_active=True)
        .select_related("village")
        .first()
    )
    if terminal is None:
        raise ValidationError(
            {"phone": _("No one-key call terminal is registered for this number.")}
        )
    description = _("One-key call from %(name)s at %(address)s.") % {
        "name": terminal.name,
        "address": terminal.address,
    }
    if note:
        description = f"{description}\n{note}"
    return report_event(
        acting_user=acting_user,
        description=description,
        channel=Event.Channel.ONE_KEY_CALL,
        title=_("One-key call: %(name)s") % {"name": terminal.name},
        lng=terminal.lng,
        lat=terminal.lat,
        village=terminal.village if terminal.lng is None else None,
        address=terminal.address,
        client_key=client_key,
        reporter_name=terminal.name,
        reporter_phone=normal,
        priority="high",
    )


def _tell_intake(event: Event, acting_user) -> None:
    if event.reporter_id:
        _tell(
            event, "received", users=[event.reporter], note=_("Number: %(n)s") % {"n": event.number}
        )
    if event.grid_id and event.channel != Event.Channel.GRID_WORKER:
        _tell(event, "reported", users=queries.grid_staff(event.grid_id), acting_user=acting_user)
    if event.status == S.REPORTED:
        _tell(
            event,
            "queued",
            users=queries.centre_staff(event.centre),
            units=[event.centre],
            acting_user=acting_user,
        )


# --- moves ----------------------------------------------------------------------------------


def perform(event: Event | int, action: str, *, acting_user, **fields) -> Event:
    """Make the move ``action`` on ``event`` for ``acting_user``; return the updated event.

    Raise ``IllegalTransition`` when the table does not allow the move now (for this user),
    ``ValidationError`` (by field) for missing or bad fields. Nothing changes in either case.
    """
    handler = _MOVES.get(action)
    pk = event.pk if isinstance(event, Event) else event
    with transaction.atomic():
        locked = (
            Event.objects.select_for_update(of=("self",))
            .select_related("category", "department", "centre", "region", "grid")
            .get(pk=pk)
        )
        move = check(locked, action, acting_user)
        if handler is None:  # pragma: no cover - the table and _MOVES are kept in step
            raise IllegalTransition(_("Unknown action “%(action)s”.") % {"action": action})
        missing = [
            f
            for f in move.fields
            if fields.get(f) in (None, "", [], ())
            and not (f == "grade" and fields.get(f) == "" and "grade" in fields)
        ]
        if missing:
            raise ValidationError({f: _("This field is required.") for f in missing})
        before = locked.status
        target = move.target
        if target == PREVIOUS:
            target = locked.resume_status or S.DISPATCHED
        handler(locked, acting_user, before=before, target=target, **fields)
    return locked


def _save(event: Event, *fields: str) -> None:
    event.save(update_fields=[*fields, "updated_at"])


def _end_assignments(event: Event, *, role: str | None = None, at=None) -> None:
    qs = event.assignments.filter(ended_at__isnull=True)
    if role:
        qs = qs.filter(role=role)
    qs.update(ended_at=at or timezone.now())


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


def _dispatch(
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
        _end_assignments(event, role="lead", at=now)
        event.assignments.filter(department=department, ended_at__isnull=True).update(ended_at=now)
    assignment = Assignment.objects.create(
        event=event, department=department, role="lead", assigned_at=now
    )
    event.department = department
    if event.first_department_id is None:
        event.first_department = department
    event.status = S.DISPATCHED
    event.dispatched_at = now
    event.signed_at = None
    opened = _open_handling_deadlines(event, now, fresh=fresh)
    if not fresh:  # intake writes these fields once, with the number (see report_event)
        _save(event, *DISPATCH_FIELDS)
    log = _log(
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
    _tell(
        event,
        "dispatched",
        users=queries.department_handlers([department.pk]),
        units=[department],
        note=note,
        acting_user=acting_user,
    )
    return assignment, opened, log


def _do_dispatch(event, user, *, before, target, department=None, category=None, note="", **_f):
    department = _as_department(department)
    if category not in (None, ""):
        _reclassify(event, _as_category(category), user)
    if event.category_id is None:
        raise ValidationError({"category": _("Classify the event before dispatching it.")})
    event.routing_rule = None
    _dispatch(event, department, user, note=note)


def _do_reassign(event, user, *, before, target, department=None, note="", **_f):
    department = _as_department(department)
    if department.pk == event.department_id:
        raise ValidationError({"department": _("The event is already with this department.")})
    event.routing_rule = None
    _dispatch(event, department, user, note=note, action="reassign")


def _do_sign(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    event.status = target
    event.signed_at = now
    event.signed_on_time = event.sign_due_at is None or now <= event.sign_due_at
    deadlines.close_deadline(event, "sign")
    if event.resolve_due_at is None or event.resolve_due_at > now:
        # Signed late but the resolution is still on time: the event is no longer overdue and
        # its supervision stops rising (the missed sign-for stays on the department's record).
        deadlines.close_deadline(event, "yellow")
        deadlines.close_deadline(event, "red")
        event.overdue_since = None
    event.assignments.filter(ended_at__isnull=True, role="lead").update(signed_at=now)
    _save(event, "status", "signed_at", "signed_on_time", "overdue_since")
    _log_move(event, "sign", user, before, target, note)
    _tell(event, "reply", users=_reporters(event), note=_reply(event, "signed"))


def _do_start(event, user, *, before, target, note="", **_f):
    event.status = target
    _save(event, "status")
    _log_move(event, "start", user, before, target, note)


def _do_resolve(event, user, *, before, target, note="", photos=(), **_f):
    photos = attachments.validate_uploads(photos)
    now = timezone.now()
    event.status = target
    event.resolved_at = now
    event.resolved_on_time = event.resolve_due_at is None or now <= event.resolve_due_at
    deadlines.close_deadline(event)
    deadlines.open_deadline(
        event,
        kind="verify",
        handler=HANDLER,
        amount=_verify_hours(),
        unit=sla.Unit.NATURAL_HOURS,
        start=now,
    )
    _save(event, "status", "resolved_at", "resolved_on_time")
    log = _log_move(event, "resolve", user, before, target, note)
    attachments.store(event, photos, stage="resolution", user=user, log=log)
    _tell(
        event,
        "verify",
        users=queries.grid_staff(event.grid_id) or queries.centre_staff(event.centre),
        note=note,
        acting_user=user,
    )
    _tell(event, "reply", users=_reporters(event), note=_reply(event, "resolved"))


def _verify_hours() -> Decimal:
    from django.conf import settings

    return Decimal(str(settings.PINGAN_VERIFY_HOURS))


def _do_verify(event, user, *, before, target, note="", photos=(), **_f):
    photos = attachments.validate_uploads(photos)
    now = timezone.now()
    event.status = target
    event.closed_at = now
    deadlines.close_deadline(event)
    # The lead's part is done: its department keeps the closed event in its history.
    event.assignments.filter(role="lead", ended_at__isnull=True, done_at__isnull=True).update(
        done_at=now
    )
    _end_assignments(event, at=now)
    _save(event, "status", "closed_at")
    log = _log_move(event, "verify", user, before, target, note)
    attachments.store(event, photos, stage="verification", user=user, log=log)
    _tell(event, "reply", users=_reporters(event), note=_reply(event, "closed"))
    _tell(
        event, "closed", users=queries.department_handlers([event.department_id]), acting_user=user
    )


def _do_rework(event, user, *, before, target, note="", photos=(), **_f):
    photos = attachments.validate_uploads(photos)
    now = timezone.now()
    event.status = target
    event.rework_count += 1
    event.resolved_at = None
    event.resolved_on_time = None
    deadlines.close_deadline(event)
    due = event.resolve_due_at
    if due is None:
        _open_handling_deadlines(event, now)
        deadlines.close_deadline(event, "sign")
    else:
        deadlines.open_deadline(event, kind="resolve", handler=HANDLER, due_at=due, start=now)
    _save(
        event,
        "status",
        "rework_count",
        "resolved_at",
        "resolved_on_time",
        "resolve_due_at",
        "sign_due_at",
        "overdue_since",
    )
    log = _log_move(event, "rework", user, before, target, note)
    attachments.store(event, photos, stage="verification", user=user, log=log)
    _tell(
        event,
        "rework",
        users=queries.department_handlers([event.department_id]),
        units=[event.department],
        note=note,
        acting_user=user,
    )


def _do_return(event, user, *, before, target, note="", **_f):
    department = event.department
    now = timezone.now()
    _end_assignments(event, at=now)
    deadlines.close_deadline(event)
    event.status = target
    event.department = None
    event.return_count += 1
    event.sign_due_at = event.resolve_due_at = None
    event.overdue_since = None
    _save(
        event,
        "status",
        "department",
        "return_count",
        "sign_due_at",
        "resolve_due_at",
        "overdue_since",
    )
    _log(
        event,
        "return",
        user,
        from_status=before,
        to_status=target,
        note=note,
        department=department,
    )
    _tell(
        event,
        "returned",
        users=queries.centre_staff(event.centre),
        units=[event.centre],
        note=note,
        acting_user=user,
    )


def _do_suspend(event, user, *, before, target, note="", **_f):
    event.resume_status = before
    event.status = target
    deadlines.pause_deadline(event)
    _save(event, "status", "resume_status")
    _log_move(event, "suspend", user, before, target, note)
    if event.department_id:
        _tell(
            event,
            "message",
            users=queries.department_handlers([event.department_id]),
            note=note,
            acting_user=user,
        )


def _do_resume(event, user, *, before, target, note="", **_f):
    deadlines.resume_deadline(event)
    _sync_due(event)
    event.status = target
    event.resume_status = ""
    _save(event, "status", "resume_status", "sign_due_at", "resolve_due_at")
    _log_move(event, "resume", user, before, target, note)


def _do_merge(event, user, *, before, target, into=None, note="", **_f):
    survivor = _as_event(into, user)
    if survivor.pk == event.pk:
        raise ValidationError({"into": _("An event cannot be merged into itself.")})
    if not survivor.is_open:
        raise ValidationError({"into": _("Merge into an open event.")})
    now = timezone.now()
    event.status = target
    event.merged_into = survivor
    event.closed_at = now
    deadlines.close_deadline(event)
    _end_assignments(event, at=now)
    _save(event, "status", "merged_into", "closed_at")
    followers = [u for u in _reporters(event) if u.pk != survivor.reporter_id]
    if followers:
        survivor.followers.add(*followers)
    _log(
        event,
        "merge",
        user,
        from_status=before,
        to_status=target,
        note=note,
        data={"into": survivor.number, "into_id": survivor.pk},
    )
    _log(survivor, "absorb", user, note=note, data={"merged": event.number, "merged_id": event.pk})
    _tell(
        event,
        "message",
        users=followers,
        acting_user=user,
        note=_("Your report was merged into %(number)s; you will follow it.")
        % {"number": survivor.number},
    )


def _as_event(value, user) -> Event:
    if isinstance(value, Event):
        return value
    qs = Event.objects.visible_to(user)
    found = None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        found = qs.filter(pk=int(value)).first()
    if found is None and value:
        found = qs.filter(number=str(value)).first()
    if found is None:
        raise ValidationError({"into": _("No such event.")})
    return found


def _do_invalidate(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    event.status = target
    event.closed_at = now
    deadlines.close_deadline(event)
    _end_assignments(event, at=now)
    _save(event, "status", "closed_at")
    _log_move(event, "invalidate", user, before, target, note)
    _tell(event, "message", users=_reporters(event), note=note, acting_user=user)


def _reclassify(event: Event, category: Category | None, user) -> bool:
    if category is None or category.pk == event.category_id:
        return False
    old = event.category
    event.category = category
    event.category_source = Event.CategorySource.PERSON
    event.keyword_rule = None
    _save(event, "category", "category_source", "keyword_rule")
    _log(
        event,
        "classify",
        user,
        note=str(category),
        data={"from": old.code if old else "", "to": category.code},
    )
    return True


def _do_update(
    event,
    user,
    *,
    before,
    target,
    category=None,
    lng=None,
    lat=None,
    village=None,
    title=None,
    priority=None,
    note="",
    **_f,
):
    """Correct the category, place, title or priority; re-route when it matters."""
    changed_route = _reclassify(event, _as_category(category), user)
    point = _point(lng, lat)
    village_region = _as_village(village)
    if point is not None or village_region is not None:
        place = _locate(point, village_region, user)
        old_region = event.region_id
        event.lng, event.lat = point if point else (None, None)
        event.region = place["region"]
        event.grid = place["grid"]
        event.located_by = place["located_by"]
        event.path = event.region.path
        event.county_code = event.region.county_code
        event.township = _township(event.region)
        event.centre = routing.centre_for(event.region)
        _save(
            event,
            "lng",
            "lat",
            "region",
            "grid",
            "located_by",
            "path",
            "county_code",
            "township",
            "centre",
        )
        _log(
            event,
            "relocate",
            user,
            note=note,
            data={"region": event.region.code, "grid": event.grid_id},
        )
        changed_route = changed_route or old_region != event.region_id
    edited = {}
    if title:
        event.title = str(title)[:100]
        _save(event, "title")
        edited["title"] = event.title
    if priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Choose a valid priority.")})
        event.priority = priority
        _save(event, "priority")
        edited["priority"] = priority
    if edited:
        # Every correction leaves a trace on the timeline, not only re-classifying or moving.
        _log(event, "update", user, note=note, data=edited)
    if changed_route and event.status in Event.HANDLING_STATUSES and event.category_id:
        route = routing.route(event.category, event.region)
        if route.department and route.department.pk != event.department_id:
            event.routing_rule = route.rule
            _dispatch(event, route.department, user, note=route.reason, action="reroute")


def _do_request(kind):
    def handler(event, user, *, before, target, note="", due_at=None, **_f):
        new_due = None
        if kind == Request.Kind.EXTENSION:
            new_due = _as_datetime(due_at, "due_at")
            if event.resolve_due_at and new_due <= event.resolve_due_at:
                raise ValidationError(
                    {"due_at": _("Ask for a deadline later than the current one.")}
                )
            if new_due <= timezone.now():
                raise ValidationError({"due_at": _("Ask for a deadline in the future.")})
        Request.objects.create(
            event=event,
            kind=kind,
            department=event.department,
            reason=note,
            new_due_at=new_due,
            requested_by=user if getattr(user, "pk", None) else None,
        )
        _log(
            event,
            f"request_{kind}",
            user,
            note=note,
            department=event.department,
            data={"due_at": new_due.isoformat() if new_due else ""},
        )
        _tell(
            event,
            "request",
            users=queries.centre_staff(event.centre),
            units=[event.centre],
            note=note,
            acting_user=user,
        )

    return handler


def _pending_request(event: Event, kind: str | None = None) -> Request:
    qs = event.requests.select_for_update().filter(status=Request.Status.PENDING)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.get()


def _decide(event, user, request: Request, status: str, note: str) -> None:
    request.status = status
    request.decided_by = user if getattr(user, "pk", None) else None
    request.decided_at = timezone.now()
    request.decision_note = note or ""
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    handlers = queries.department_handlers([request.department_id]) if request.department_id else []
    _tell(
        event,
        "decided",
        users=handlers,
        note=f"{request.get_kind_display()}：{request.get_status_display()} {note}",
        acting_user=user,
    )


def _do_approve_extension(event, user, *, before, target, note="", **_f):
    request = _pending_request(event, Request.Kind.EXTENSION)
    for kind in ("yellow", "red"):
        deadlines.close_deadline(event, kind)
    deadlines.open_deadline(event, kind="resolve", handler=HANDLER, due_at=request.new_due_at)
    event.resolve_due_at = request.new_due_at
    event.extension_count += 1
    if (
        event.signed_at is not None
        or event.sign_due_at is None
        or event.sign_due_at > timezone.now()
    ):
        event.overdue_since = None
    _save(event, "resolve_due_at", "extension_count", "overdue_since")
    _decide(event, user, request, Request.Status.APPROVED, note)
    _log(
        event,
        "approve_extension",
        user,
        note=note,
        department=event.department,
        data={"due_at": request.new_due_at.isoformat()},
    )


def _do_approve_hold(event, user, *, before, target, note="", **_f):
    request = _pending_request(event, Request.Kind.HOLD)
    event.resume_status = before
    event.status = target
    event.was_on_hold = True
    deadlines.pause_deadline(event)
    _save(event, "status", "resume_status", "was_on_hold")
    _decide(event, user, request, Request.Status.APPROVED, note)
    _log_move(event, "approve_hold", user, before, target, note)


def _do_refuse_request(event, user, *, before, target, note="", **_f):
    request = _pending_request(event)
    _decide(event, user, request, Request.Status.REFUSED, note)
    _log(
        event,
        "refuse_request",
        user,
        note=note,
        department=event.department,
        data={"kind": request.kind},
    )


def _do_urge(event, user, *, before, target, note="", **_f):
    event.urge_count += 1
    _save(event, "urge_count")
    _log(event, "urge", user, note=note, department=event.department)
    if event.department_id:
        _tell(
            event,
            "urged",
            users=queries.department_handlers([event.department_id]),
            units=[event.department],
            note=note,
            acting_user=user,
        )
    else:
        _tell(
            event,
            "urged",
            users=queries.centre_staff(event.centre),
            units=[event.centre],
            note=note,
            acting_user=user,
        )


def raise_supervision(
    event: Event, grade: str, actor=None, *, note: str = "", automatic: bool = False
) -> bool:
    """Set the supervision grade (督办); return whether it changed. Callers hold the row lock."""
    if grade not in Event.Supervision.values:
        raise ValidationError({"grade": _("Choose a supervision grade.")})
    if grade == event.supervision:
        return False
    old = event.supervision
    event.supervision = grade
    _save(event, "supervision")
    _log(
        event,
        "supervise",
        actor,
        note=note,
        department=event.department,
        data={"from": old, "to": grade, "automatic": automatic},
    )
    if event.department_id:
        _tell(
            event,
            "supervised",
            users=queries.department_handlers([event.department_id]),
            units=[event.department],
            note=f"{event.get_supervision_display()} {note}".strip(),
            acting_user=actor,
        )
    return True


def _do_supervise(event, user, *, before, target, grade="", note="", **_f):
    raise_supervision(event, grade, user, note=note)


def _do_escalate(event, user, *, before, target, note="", level=None, **_f):
    township = event.township
    county = Region.objects.filter(code=event.county_code).first()
    current = event.escalated_to
    if level not in (None, "", "township", "county"):
        raise ValidationError({"level": _("Escalate to the township or the county centre.")})
    if not level:
        at_township = current is not None and township and current.region_id == township.pk
        # Once the county is in command there is nowhere higher: never fall back to the township.
        at_county = current is not None and county is not None and current.region_id == county.pk
        level = "county" if (at_township or at_county or township is None) else "township"
    region = township if level == "township" else county
    centre = routing.centre_for(region) if region else None
    if centre is None:
        raise ValidationError({"level": _("No governance centre at that level.")})
    if current and current.pk == centre.pk:
        raise ValidationError({"level": _("That centre is in command already.")})
    event.escalated_to = centre
    if Event.SUPERVISION_ORDER[event.supervision] < 1:
        event.supervision = Event.Supervision.NORMAL
    _save(event, "escalated_to", "supervision")
    _log(event, "escalate", user, note=note, department=centre, data={"level": level})
    _tell(
        event,
        "escalated",
        users=queries.centre_staff(centre),
        units=[centre],
        note=note,
        acting_user=user,
    )


def _do_summon(event, user, *, before, target, departments=(), note="", **_f):
    if isinstance(departments, (str, int, Department)):
        departments = [departments]
    chosen = [_as_department(d, "departments") for d in departments or []]
    now = timezone.now()
    added = []
    for department in chosen:
        if department.pk == event.department_id:
            continue
        if event.assignments.filter(department=department, ended_at__isnull=True).exists():
            continue
        Assignment.objects.create(
            event=event, department=department, role="assist", assigned_at=now, note=note
        )
        added.append(department)
    if not added:
        raise ValidationError({"departments": _("Choose departments not yet working on it.")})
    _log(event, "summon", user, note=note, data={"departments": [d.code for d in added]})
    _tell(
        event,
        "summoned",
        users=queries.department_handlers([d.pk for d in added]),
        units=added,
        note=note,
        acting_user=user,
    )


def _my_assist(event, user):
    access = queries.access_for(user)
    return event.assignments.filter(
        role="assist", ended_at__isnull=True, department_id__in=access.department_ids
    )


def _do_assist_sign(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    parts = list(_my_assist(event, user).filter(signed_at__isnull=True))
    if not parts:
        raise IllegalTransition(
            _("Your department has signed for its part already."), status=event.status
        )
    for part in parts:
        part.signed_at = now
        part.save(update_fields=["signed_at"])
        _log(event, "assist_sign", user, note=note, department=part.department)


def _do_assist_done(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    parts = list(_my_assist(event, user).filter(done_at__isnull=True))
    if not parts:
        raise IllegalTransition(_("Your department's part is done already."), status=event.status)
    for part in parts:
        part.done_at = now
        part.signed_at = part.signed_at or now
        part.note = (note or "")[:500]
        part.save(update_fields=["done_at", "signed_at", "note"])
        _log(event, "assist_done", user, note=note, department=part.department)
    if event.department_id:
        _tell(
            event,
            "message",
            users=queries.department_handlers([event.department_id]),
            note=note,
            acting_user=user,
        )


def _do_message(event, user, *, before, target, note="", internal=False, **_f):
    internal = str(internal).lower() in ("1", "true", "on", "yes")
    if queries.REPORTER in queries.roles_in(user, event) and not (
        queries.roles_in(user, event) - {queries.REPORTER}
    ):
        internal = False  # a reporter's message is always visible to the reporter
    Message.objects.create(event=event, author=user, body=note, internal=internal)
    people = list(queries.centre_staff(event.centre))
    if event.department_id:
        people += list(queries.department_handlers([event.department_id]))
    people += list(queries.grid_staff(event.grid_id))
    if not internal:
        people += _reporters(event)
    _tell(event, "message", users=set(people), note=note, acting_user=user)


def _do_rate(event, user, *, before, target, rating="", note="", **_f):
    if rating not in Event.Rating.values:
        raise ValidationError(
            {"rating": _("Choose satisfied, basically satisfied or dissatisfied.")}
        )
    event.rating = rating
    event.rating_comment = (note or "")[:500]
    event.rated_at = timezone.now()
    _save(event, "rating", "rating_comment", "rated_at")
    _log(event, "rate", user, note=note, data={"rating": rating})
    if rating == Event.Rating.DISSATISFIED:
        _tell(
            event,
            "rated",
            users=queries.centre_staff(event.centre),
            note=f"{event.get_rating_display()} {note}",
            acting_user=user,
        )


def _do_reopen(event, user, *, before, target, note="", **_f):
    if event.department_id is None:
        raise ValidationError({"note": _("The event has no department to reopen it with.")})
    event.reopen_count += 1
    event.rating = ""
    event.rating_comment = ""
    event.rated_at = None
    event.closed_at = None
    event.resolved_at = None
    event.resolved_on_time = None
    event.signed_on_time = None
    _save(
        event,
        "reopen_count",
        "rating",
        "rating_comment",
        "rated_at",
        "closed_at",
        "resolved_at",
        "resolved_on_time",
        "signed_on_time",
    )
    # One timeline entry, closed → dispatched: the same department takes it up again.
    _dispatch(event, event.department, user, note=note, action="reopen")


_MOVES = {
    "dispatch": _do_dispatch,
    "reassign": _do_reassign,
    "sign": _do_sign,
    "start": _do_start,
    "resolve": _do_resolve,
    "verify": _do_verify,
    "rework": _do_rework,
    "return": _do_return,
    "suspend": _do_suspend,
    "resume": _do_resume,
    "merge": _do_merge,
    "invalidate": _do_invalidate,
    "update": _do_update,
    "request_extension": _do_request(Request.Kind.EXTENSION),
    "request_hold": _do_request(Request.Kind.HOLD),
    "approve_extension": _do_approve_extension,
    "approve_hold": _do_approve_hold,
    "refuse_request": _do_refuse_request,
    "urge": _do_urge,
    "supervise": _do_supervise,
    "escalate": _do_escalate,
    "summon": _do_summon,
    "assist_sign": _do_assist_sign,
    "assist_done": _do_assist_done,
    "message": _do_message,
    "rate": _do_rate,
    "reopen": _do_reopen,
}


def record_accountability(
    event: Event, kind: str, due_at: dt.datetime
) -> AccountabilityRecord | None:
    """Hold a missed deadline against the event's department (once per deadline)."""
    if event.department_id is None:
        return None
    record, _created = AccountabilityRecord.objects.get_or_create(
        event=event,
        department_id=event.department_id,
        kind=kind,
        due_at=due_at,
        defaults={"county_code": event.county_code},
    )
    return record
