"""Intake: a report from any channel becomes an event, located, classified, routed and
dispatched in one transaction, idempotent on the client's key."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts import recipients
from pingan.core import numbering
from pingan.events import attachments, classify, queries, routing
from pingan.events.intake_warnings import POINT_OUTSIDE
from pingan.events.models import Category, Event, Priority
from pingan.events.services.base import DISPATCH_FIELDS, NUMBER_PREFIX, S, dispatch, log_entry, save
from pingan.events.services.inputs import (
    as_category,
    as_point,
    as_village,
    place_of,
    source_key,
    township_of,
)
from pingan.geo.models import Region
from pingan.notify import services as notify
from pingan.notify.services import tell


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
    outside every grid is kept unlocated at the county centre, and a point outside the county
    leaves a warning for the reporter, see ``intake_warnings``), classified (the reporter's
    category, else keyword rules), routed and — if a rule names a department and the category
    dispatches automatically — dispatched with its deadlines, all in one transaction.
    Raise ``ValidationError`` (by field) on bad input, ``PermissionDenied`` for someone who
    files no reports (a leader); nothing is stored then.
    """
    refusal = queries.may_not_report(acting_user)
    if refusal:
        raise PermissionDenied(refusal)
    source = source_key(acting_user)
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
        lambda: as_category(category),
        lambda: as_point(lng, lat),
        lambda: as_village(village),
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
            place = place_of(point, village_region, acting_user)
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
                township=township_of(region),
                centre=centre,
                reported_at=now,
                is_demo=is_demo,
            )
            event.save()
            log = log_entry(
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
                    # What was sent stays with the report, whatever later moves do to the
                    # event's point; and what the reporter was told (see intake_warnings).
                    **({"point": list(point)} if point else {}),
                    **({"warnings": [POINT_OUTSIDE]} if place["point_outside"] else {}),
                },
            )
            files = attachments.store(event, photos, stage="report", user=acting_user, log=log)
            timeline, assignments, opened = [log], [], []
            with notify.held() as messages:
                if route and route.department and chosen and chosen.auto_dispatch:
                    event.routing_rule = route.rule
                    assignment, opened, dispatch_log = dispatch(
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
                tell_intake(event, acting_user)
            # The day's counter row stays locked until the commit: take the number last, so
            # concurrent intakes queue only for the few statements that follow.
            event.number = numbering.next_number(NUMBER_PREFIX, timezone.localdate(now))
            fields = ["number"]
            if event.status == S.DISPATCHED:
                fields += DISPATCH_FIELDS
            save(event, *fields)
            notify.send_held(messages)
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


def tell_intake(event: Event, acting_user) -> None:
    """Tell the reporter, the grid (its staff and its group robot) and, if it waits, the centre.

    The notices are held until the event has its number (their titles carry it).
    """
    if event.reporter_id:
        tell(event, "received", users=[event.reporter])
    if event.grid_id:
        # A grid worker's own report needs no message to the grid's staff; its group hears of it.
        staff = recipients.grid_staff(event.grid_id)
        if event.channel == Event.Channel.GRID_WORKER:
            staff = []
        tell(event, "reported", users=staff, units=[event.grid], acting_user=acting_user)
    if event.status == S.REPORTED:
        tell(
            event,
            "queued",
            users=recipients.centre_staff(event.centre),
            units=[event.centre],
            acting_user=acting_user,
        )
