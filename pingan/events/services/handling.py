"""The moves that carry an event through its departments: dispatch, sign, handle, resolve,
verify, rework, return, pause, merge, invalidate, correct, message, rate and reopen."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts import recipients
from pingan.core import sla
from pingan.core.ids import as_id
from pingan.events import attachments, queries, routing
from pingan.events.models import Assignment, DeadlineKind, Event, Message, Priority
from pingan.events.services.base import (
    HANDLER,
    dispatch,
    end_assignments,
    log_entry,
    log_move,
    open_handling_deadlines,
    reclassify,
    reply,
    reporters,
    save,
    sync_due,
    tell_lead,
)
from pingan.events.services.inputs import (
    as_category,
    as_department,
    as_point,
    as_village,
    place_of,
    township_of,
)
from pingan.events.transitions import WORKFLOW
from pingan.notify.services import tell
from pingan.workflow import deadlines
from pingan.workflow import supervision as ladder


@WORKFLOW.handles("dispatch")
def _do_dispatch(event, user, *, before, target, department=None, category=None, note="", **_f):
    department = as_department(department)
    if category not in (None, ""):
        reclassify(event, as_category(category), user)
    if event.category_id is None:
        raise ValidationError({"category": _("Classify the event before dispatching it.")})
    event.routing_rule = None
    dispatch(event, department, user, note=note)


@WORKFLOW.handles("reassign")
def _do_reassign(event, user, *, before, target, department=None, note="", **_f):
    department = as_department(department)
    if department.pk == event.department_id:
        raise ValidationError({"department": _("The event is already with this department.")})
    event.routing_rule = None
    dispatch(event, department, user, note=note, action="reassign")


@WORKFLOW.handles("sign")
def _do_sign(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    event.status = target
    event.signed_at = now
    event.signed_on_time = event.sign_due_at is None or now <= event.sign_due_at
    deadlines.close_deadline(event, DeadlineKind.SIGN)
    if event.resolve_due_at is None or event.resolve_due_at > now:
        # Signed late but the resolution is still on time: the event is no longer overdue and
        # its supervision stops rising (the missed sign-for stays on the department's record).
        ladder.stop(event)
        event.overdue_since = None
    event.assignments.filter(ended_at__isnull=True, role=Assignment.Role.LEAD).update(signed_at=now)
    save(event, "status", "signed_at", "signed_on_time", "overdue_since")
    log_move(event, "sign", user, before, target, note)
    tell(event, "reply", users=reporters(event), note=reply(event, "signed"))


@WORKFLOW.handles("start")
def _do_start(event, user, *, before, target, note="", **_f):
    event.status = target
    save(event, "status")
    log_move(event, "start", user, before, target, note)


@WORKFLOW.handles("resolve")
def _do_resolve(event, user, *, before, target, note="", photos=(), **_f):
    photos = attachments.validate_uploads(photos)
    now = timezone.now()
    event.status = target
    event.resolved_at = now
    event.resolved_on_time = event.resolve_due_at is None or now <= event.resolve_due_at
    deadlines.close_deadline(event)
    deadlines.open_deadline(
        event,
        kind=DeadlineKind.VERIFY,
        handler=HANDLER,
        amount=verify_hours(),
        unit=sla.Unit.NATURAL_HOURS,
        start=now,
    )
    save(event, "status", "resolved_at", "resolved_on_time")
    log = log_move(event, "resolve", user, before, target, note)
    attachments.store(event, photos, stage="resolution", user=user, log=log)
    tell(
        event,
        "verify",
        users=recipients.grid_staff(event.grid_id) or recipients.centre_staff(event.centre),
        note=note,
        acting_user=user,
    )
    tell(event, "reply", users=reporters(event), note=reply(event, "resolved"))


def verify_hours() -> Decimal:
    """Return the hours the grid has to verify a resolution on site."""
    return Decimal(str(settings.PINGAN_VERIFY_HOURS))


@WORKFLOW.handles("verify")
def _do_verify(event, user, *, before, target, note="", photos=(), **_f):
    photos = attachments.validate_uploads(photos)
    now = timezone.now()
    event.status = target
    event.closed_at = now
    deadlines.close_deadline(event)
    # The lead's part is done: its department keeps the closed event in its history.
    event.assignments.filter(
        role=Assignment.Role.LEAD, ended_at__isnull=True, done_at__isnull=True
    ).update(done_at=now)
    end_assignments(event, at=now)
    save(event, "status", "closed_at")
    log = log_move(event, "verify", user, before, target, note)
    attachments.store(event, photos, stage="verification", user=user, log=log)
    tell(event, "reply", users=reporters(event), note=reply(event, "closed"))
    tell(
        event,
        "closed",
        users=recipients.department_handlers([event.department_id]),
        units=[event.grid],
        acting_user=user,
    )


@WORKFLOW.handles("rework")
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
        open_handling_deadlines(event, now)
        deadlines.close_deadline(event, DeadlineKind.SIGN)
    else:
        deadlines.open_deadline(
            event, kind=DeadlineKind.RESOLVE, handler=HANDLER, due_at=due, start=now
        )
    save(
        event,
        "status",
        "rework_count",
        "resolved_at",
        "resolved_on_time",
        "resolve_due_at",
        "sign_due_at",
        "overdue_since",
    )
    log = log_move(event, "rework", user, before, target, note)
    attachments.store(event, photos, stage="verification", user=user, log=log)
    tell_lead(event, "rework", note=note, acting_user=user)


@WORKFLOW.handles("return")
def _do_return(event, user, *, before, target, note="", **_f):
    department = event.department
    now = timezone.now()
    end_assignments(event, at=now)
    deadlines.close_deadline(event)
    event.status = target
    event.department = None
    event.return_count += 1
    event.sign_due_at = event.resolve_due_at = None
    event.overdue_since = None
    save(
        event,
        "status",
        "department",
        "return_count",
        "sign_due_at",
        "resolve_due_at",
        "overdue_since",
    )
    log_entry(
        event,
        "return",
        user,
        from_status=before,
        to_status=target,
        note=note,
        department=department,
    )
    tell(
        event,
        "return",
        users=recipients.centre_staff(event.centre),
        units=[event.centre],
        note=note,
        acting_user=user,
    )


@WORKFLOW.handles("suspend")
def _do_suspend(event, user, *, before, target, note="", **_f):
    event.resume_status = before
    event.status = target
    deadlines.pause_deadline(event)
    save(event, "status", "resume_status")
    log_move(event, "suspend", user, before, target, note)
    tell_lead(event, "message", note=note, acting_user=user, robot=False)


@WORKFLOW.handles("resume")
def _do_resume(event, user, *, before, target, note="", **_f):
    deadlines.resume_deadline(event)
    sync_due(event)
    event.status = target
    event.resume_status = ""
    save(event, "status", "resume_status", "sign_due_at", "resolve_due_at")
    log_move(event, "resume", user, before, target, note)


@WORKFLOW.handles("merge")
def _do_merge(event, user, *, before, target, into=None, note="", **_f):
    survivor = as_event(into, user)
    if survivor.pk == event.pk:
        raise ValidationError({"into": _("An event cannot be merged into itself.")})
    if not survivor.is_open:
        raise ValidationError({"into": _("Merge into an open event.")})
    now = timezone.now()
    event.status = target
    event.merged_into = survivor
    event.closed_at = now
    deadlines.close_deadline(event)
    end_assignments(event, at=now)
    save(event, "status", "merged_into", "closed_at")
    followers = [u for u in reporters(event) if u.pk != survivor.reporter_id]
    if followers:
        survivor.followers.add(*followers)
    log_entry(
        event,
        "merge",
        user,
        from_status=before,
        to_status=target,
        note=note,
        data={"into": survivor.number, "into_id": survivor.pk},
    )
    log_entry(
        survivor, "absorb", user, note=note, data={"merged": event.number, "merged_id": event.pk}
    )
    tell(
        event,
        "message",
        users=followers,
        acting_user=user,
        note=_("Your report was merged into %(number)s; you will follow it.")
        % {"number": survivor.number},
    )


def as_event(value, user) -> Event:
    if isinstance(value, Event):
        return value
    qs = Event.objects.visible_to(user)
    found = None
    if as_id(value) is not None:
        found = qs.filter(pk=as_id(value)).first()
    if found is None and value:
        found = qs.filter(number=str(value)).first()
    if found is None:
        raise ValidationError({"into": _("No such event.")})
    return found


@WORKFLOW.handles("invalidate")
def _do_invalidate(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    event.status = target
    event.closed_at = now
    deadlines.close_deadline(event)
    end_assignments(event, at=now)
    save(event, "status", "closed_at")
    log_move(event, "invalidate", user, before, target, note)
    tell(event, "message", users=reporters(event), note=note, acting_user=user)


@WORKFLOW.handles("update")
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
    changed_route = reclassify(event, as_category(category), user)
    point = as_point(lng, lat)
    village_region = as_village(village)
    if point is not None or village_region is not None:
        place = place_of(point, village_region, user)
        old_region = event.region_id
        moved_from = [event.lng, event.lat] if event.has_point else None
        if point is not None:
            event.lng, event.lat = point
        # A village alone places the event; the reporter's point stays with it as data.
        event.region = place["region"]
        event.grid = place["grid"]
        event.located_by = place["located_by"]
        event.path = event.region.path
        event.county_code = event.region.county_code
        event.township = township_of(event.region)
        event.centre = routing.centre_for(event.region)
        save(
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
        log_entry(
            event,
            "relocate",
            user,
            note=note,
            data={
                "region": event.region.code,
                "grid": event.grid_id,
                **({"from_point": moved_from} if point is not None and moved_from else {}),
            },
        )
        changed_route = changed_route or old_region != event.region_id
    edited = {}
    if title:
        event.title = str(title)[:100]
        save(event, "title")
        edited["title"] = event.title
    if priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Choose a valid priority.")})
        event.priority = priority
        save(event, "priority")
        edited["priority"] = priority
    if edited:
        # Every correction leaves a trace on the timeline, not only re-classifying or moving.
        log_entry(event, "update", user, note=note, data=edited)
    if changed_route and event.status in Event.HANDLING_STATUSES and event.category_id:
        route = routing.route(event.category, event.region)
        if route.department and route.department.pk != event.department_id:
            event.routing_rule = route.rule
            dispatch(event, route.department, user, note=route.reason, action="reroute")


@WORKFLOW.handles("message")
def _do_message(event, user, *, before, target, note="", internal=False, **_f):
    internal = str(internal).lower() in ("1", "true", "on", "yes")
    if queries.REPORTER in queries.roles_in(user, event) and not (
        queries.roles_in(user, event) - {queries.REPORTER}
    ):
        internal = False  # a reporter's message is always visible to the reporter
    Message.objects.create(event=event, author=user, body=note, internal=internal)
    people = list(recipients.centre_staff(event.centre))
    if event.department_id:
        people += list(recipients.department_handlers([event.department_id]))
    people += list(recipients.grid_staff(event.grid_id))
    if not internal:
        people += reporters(event)
    tell(event, "message", users=set(people), note=note, acting_user=user)


@WORKFLOW.handles("rate")
def _do_rate(event, user, *, before, target, rating="", note="", **_f):
    if rating not in Event.Rating.values:
        raise ValidationError(
            {"rating": _("Choose satisfied, basically satisfied or dissatisfied.")}
        )
    event.rating = rating
    event.rating_comment = (note or "")[:500]
    event.rated_at = timezone.now()
    save(event, "rating", "rating_comment", "rated_at")
    log_entry(event, "rate", user, note=note, data={"rating": rating})
    if rating == Event.Rating.DISSATISFIED:
        tell(
            event,
            "rate",
            users=recipients.centre_staff(event.centre),
            note=f"{event.get_rating_display()} {note}",
            acting_user=user,
        )


@WORKFLOW.handles("reopen")
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
    save(
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
    dispatch(event, event.department, user, note=note, action="reopen")
