"""Template helpers of the event pages: status and supervision badges, deadlines, durations,
and the event cards of the home page."""

from __future__ import annotations

import datetime as dt

from django import template
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pingan.accounts.scope import scope_for
from pingan.events import queries
from pingan.events.models import Assignment, DeadlineKind, Event

register = template.Library()

S = Event.Status
STATUS_CLASSES = {
    S.REPORTED: "text-bg-secondary",
    S.DISPATCHED: "text-bg-primary",
    S.SIGNED: "text-bg-info",
    S.IN_PROGRESS: "text-bg-info",
    S.RESOLVED: "text-bg-warning",
    S.CLOSED: "text-bg-success",
    S.SUSPENDED: "text-bg-light border",
    S.ON_HOLD: "text-bg-light border",
    S.MERGED: "text-bg-dark",
    S.INVALID: "text-bg-dark",
}
# Marker colours on the maps (events.js), by status.
STATUS_COLORS = {
    S.REPORTED: "#6c757d",
    S.DISPATCHED: "#0d6efd",
    S.SIGNED: "#0dcaf0",
    S.IN_PROGRESS: "#0aa2c0",
    S.RESOLVED: "#ffc107",
    S.CLOSED: "#198754",
    S.SUSPENDED: "#adb5bd",
    S.ON_HOLD: "#adb5bd",
    S.MERGED: "#212529",
    S.INVALID: "#212529",
}
SUPERVISION_CLASSES = {
    "normal": "text-bg-primary",
    "yellow": "text-bg-warning",
    "red": "text-bg-danger",
}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.filter
def supervision_class(grade: str) -> str:
    return SUPERVISION_CLASSES.get(grade, "text-bg-light border")


def format_duration(seconds: float) -> str:
    """Return a short human duration: "9 minutes", "2 hours 5 minutes", "3 days 4 hours"."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts[:2])


@register.filter
def duration(value) -> str:
    """Format a timedelta (or seconds) as a short duration."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    return format_duration(float(value))


def current_deadline(event: Event) -> tuple[str, dt.datetime | None]:
    """Return the deadline that runs now: ("sign"|"resolve", due) or ("", None)."""
    if event.status == S.DISPATCHED:
        return DeadlineKind.SIGN, event.sign_due_at
    if event.status in (S.SIGNED, S.IN_PROGRESS):
        return DeadlineKind.RESOLVE, event.resolve_due_at
    return "", None


@register.inclusion_tag("events/_deadline.html")
def event_deadline(event: Event, now: dt.datetime | None = None) -> dict:
    """Show the running deadline with the time left or the time overdue."""
    kind, due = current_deadline(event)
    now = now or timezone.now()
    info = {"kind": kind, "due": due, "overdue": False, "left": "", "paused": False}
    if event.status in (S.SUSPENDED, S.ON_HOLD):
        info["paused"] = True
    if due is None:
        return info
    delta = (due - now).total_seconds()
    info["overdue"] = delta < 0
    info["left"] = format_duration(delta)
    info["kind_label"] = _("Sign for by") if kind == DeadlineKind.SIGN else _("Resolve by")
    return info


@register.inclusion_tag("events/_status_badge.html")
def event_status(event: Event) -> dict:
    return {"event": event}


@register.inclusion_tag("events/_supervision_badge.html")
def supervision_badge(event: Event, show_none: bool = False) -> dict:
    return {"event": event, "show_none": show_none}


# --- home page cards ---------------------------------------------------------------------------


def open_counts(events) -> dict[str, int]:
    """Return the counts of the workbench tabs over the open events of ``events`` (one query)."""
    return events.filter(status__in=Event.OPEN_STATUSES).aggregate(
        dispatch=Count("pk", filter=Q(status=S.REPORTED)),
        overdue=Count("pk", filter=Q(overdue_since__isnull=False)),
        escalated=Count("pk", filter=Q(escalated_to__isnull=False) | ~Q(supervision="")),
        verify=Count("pk", filter=Q(status=S.RESOLVED)),
        open=Count("pk"),
    )


def inbox_counts(user, department_ids) -> dict[str, int]:
    """Return a department's inbox counts: to sign for, in hand, overdue (one query)."""
    mine = Assignment.objects.filter(
        department_id__in=list(department_ids), ended_at__isnull=True
    ).values("event_id")
    return (
        Event.objects.visible_to(user)
        .filter(pk__in=mine)
        .aggregate(
            to_sign=Count("pk", filter=Q(status=S.DISPATCHED)),
            in_hand=Count("pk", filter=Q(status__in=[S.SIGNED, S.IN_PROGRESS])),
            overdue=Count(
                "pk", filter=Q(overdue_since__isnull=False, status__in=Event.OPEN_STATUSES)
            ),
        )
    )


@register.inclusion_tag("events/home_cards.html", takes_context=True)
def event_home_cards(context) -> dict:
    """Show the event work of the signed-in user's roles on the home page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    access = scope_for(user)
    out: dict = {"access": access, "request": request}
    if access.user_id is None:
        return out
    visible = Event.objects.visible_to(user)
    if access.everything or access.centre_paths or access.leader_paths:
        out["centre_counts"] = open_counts(visible)
        out["is_centre"] = access.everything or bool(access.centre_paths)
    if access.staff_grid_ids:
        out["verify_count"] = visible.filter(
            status=S.RESOLVED, grid_id__in=access.staff_grid_ids
        ).count()
    if access.department_ids:
        out["inbox_counts"] = inbox_counts(user, access.department_ids)
    out["channels"] = queries.intake_channels(user)
    return out
