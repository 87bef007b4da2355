"""The event workflow as one table: from each status, the moves, who may make them, what they need.

Read it as the diagram::

    reported ──dispatch──▶ dispatched ──sign──▶ signed ──start──▶ in_progress
        ▲                      │                  │                   │
        └──────return──────────┴──────────────────┘                resolve
                                                                      ▼
    closed ◀──verify── resolved ──rework──▶ in_progress    (closed ──reopen──▶ dispatched, once)

plus side moves: reassign, escalate (吹哨) and summon assisting departments, suspend/resume
(awaiting information, the clock stops), extension and hold requests with the centre's
decision, urge (催办) and supervise (督办), merge into a duplicate, invalidate, and messages.

Roles are the parts a user plays in *this* event (``pingan.events.queries``): ``centre``,
``leader``, ``department`` (lead handler), ``assisting``, ``grid`` (the grid's staff),
``reporter``. A target of ``None`` leaves the status as it is; ``PREVIOUS`` returns to the
status before a pause. Each move carries its button, note label, timeline text and headline;
the handlers are in ``pingan.events.services`` (``@WORKFLOW.handles``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pingan.core.transitions import PREVIOUS, Move, Workflow
from pingan.events.models import Assignment, Event, EventLog, Request
from pingan.events.queries import (
    ASSISTING,
    CENTRE,
    DEPARTMENT,
    GRID,
    LEADER,
    REPORTER,
    actor_unit,
    roles_in,
)

__all__ = ["PREVIOUS", "TRANSITIONS", "WORKFLOW", "allowed_for", "check"]

S = Event.Status
EVERYONE = {CENTRE, LEADER, DEPARTMENT, ASSISTING, GRID, REPORTER}
STAFF = {CENTRE, DEPARTMENT, ASSISTING, GRID}


def _has_pending(kind: str | None = None):
    def guard(event: Event) -> bool:
        qs = event.requests.filter(status=Request.Status.PENDING)
        return qs.filter(kind=kind).exists() if kind else qs.exists()

    return guard


def _no_pending(event: Event) -> bool:
    return not event.requests.filter(status=Request.Status.PENDING).exists()


def _not_rated(event: Event) -> bool:
    return not event.rating and event.reporter_id is not None


def _may_reopen(event: Event) -> bool:
    return event.rating == Event.Rating.DISSATISFIED and event.reopen_count == 0


def _assist_pending(event: Event) -> bool:
    return event.assignments.filter(
        role=Assignment.Role.ASSIST, ended_at__isnull=True, done_at__isnull=True
    ).exists()


NOTE = ("note",)

# --- the moves: where each leads, who may make it, what it needs and how it is shown ----------

DISPATCH = Move(
    S.DISPATCHED,
    {CENTRE},
    fields=("department",),
    optional=NOTE,
    label=_("Dispatch"),
    log_label=_("Dispatched"),
    icon="bi-send",
    primary=4,
)
SIGN = Move(
    S.SIGNED,
    {DEPARTMENT},
    optional=NOTE,
    label=_("Sign for"),
    log_label=_("Signed for"),
    icon="bi-pen",
    primary=1,
)
START = Move(
    S.IN_PROGRESS,
    {DEPARTMENT},
    optional=NOTE,
    label=_("Start work"),
    log_label=_("Work started"),
    icon="bi-play-circle",
    primary=2,
)
RESOLVE = Move(
    S.RESOLVED,
    {DEPARTMENT},
    fields=("note", "photos"),
    label=_("Report resolved"),
    note_label=_("How it was resolved"),
    log_label=_("Resolved"),
    icon="bi-check2-circle",
    style="success",
    primary=3,
)
VERIFY = Move(
    S.CLOSED,
    {GRID, CENTRE},
    optional=("note", "photos"),
    label=_("Verified: close"),
    log_label=_("Verified on site, closed"),
    icon="bi-patch-check",
    style="success",
    primary=5,
)
REWORK = Move(
    S.IN_PROGRESS,
    {GRID, CENTRE},
    fields=NOTE,
    optional=("photos",),
    label=_("Send back for rework"),
    note_label=_("What is still wrong"),
    log_label=_("Sent back for rework"),
    headline=_("Rework required"),
    icon="bi-arrow-counterclockwise",
    style="warning",
    primary=6,
)
RETURN = Move(
    S.REPORTED,
    {DEPARTMENT},
    fields=NOTE,
    label=_("Return to the centre"),
    note_label=_("Reason for returning"),
    log_label=_("Returned to the centre"),
    headline=_("Event returned by the department"),
    icon="bi-reply",
    style="outline-danger",
    confirm=True,
)
REASSIGN = Move(
    S.DISPATCHED,
    {CENTRE},
    fields=("department",),
    optional=NOTE,
    label=_("Reassign"),
    log_label=_("Reassigned"),
    icon="bi-arrow-left-right",
    style="outline-primary",
)
REQUEST_EXTENSION = Move(
    None,
    {DEPARTMENT},
    fields=("note", "due_at"),
    guard=_no_pending,
    label=_("Request an extension"),
    note_label=_("Reason"),
    log_label=_("Extension requested"),
    headline=_("Request awaiting your decision"),
    icon="bi-hourglass-split",
    style="outline-secondary",
)
REQUEST_HOLD = Move(
    None,
    {DEPARTMENT},
    fields=NOTE,
    guard=_no_pending,
    label=_("Request a hold"),
    note_label=_("Reason"),
    log_label=_("Hold requested"),
    headline=_("Request awaiting your decision"),
    icon="bi-pause-circle",
    style="outline-secondary",
)
APPROVE_EXTENSION = Move(
    None,
    {CENTRE},
    optional=NOTE,
    guard=_has_pending(Request.Kind.EXTENSION),
    label=_("Approve the extension"),
    log_label=_("Extension approved"),
    icon="bi-check-lg",
    style="success",
    primary=9,
)
APPROVE_HOLD = Move(
    S.ON_HOLD,
    {CENTRE},
    optional=NOTE,
    guard=_has_pending(Request.Kind.HOLD),
    label=_("Approve the hold"),
    log_label=_("Hold approved"),
    icon="bi-check-lg",
    style="success",
    primary=10,
)
REFUSE_REQUEST = Move(
    None,
    {CENTRE},
    fields=NOTE,
    guard=_has_pending(),
    label=_("Refuse the request"),
    log_label=_("Request refused"),
    icon="bi-x-lg",
    style="outline-danger",
    primary=11,
)
URGE = Move(
    None,
    {CENTRE, LEADER},
    fields=NOTE,
    label=_("Urge"),
    note_label=_("Message to the handler"),
    log_label=_("Urged (催办)"),
    headline=_("Urged (催办)"),
    icon="bi-megaphone",
    style="warning",
)
SUPERVISE = Move(
    None,
    {CENTRE, LEADER},
    fields=("grade",),
    blank=("grade",),
    optional=NOTE,
    label=_("Set supervision"),
    log_label=_("Supervision set (督办)"),
    headline=_("Supervision (督办)"),
    icon="bi-flag",
    style="outline-warning",
)
ESCALATE = Move(
    None,
    {CENTRE, DEPARTMENT, GRID},
    fields=NOTE,
    optional=("level",),
    label=_("Escalate (吹哨)"),
    note_label=_("Why the centre must take command"),
    log_label=_("Escalated (吹哨)"),
    headline=_("Escalated to your centre (吹哨)"),
    icon="bi-broadcast",
    style="outline-danger",
)
SUMMON = Move(
    None,
    {CENTRE},
    fields=("departments",),
    optional=NOTE,
    label=_("Summon departments"),
    log_label=_("Departments summoned"),
    headline=_("Your department is summoned to assist"),
    icon="bi-people",
    style="outline-primary",
)
ASSIST_SIGN = Move(
    None,
    {ASSISTING},
    optional=NOTE,
    label=_("Sign for our part"),
    log_label=_("Assisting department signed for its part"),
    icon="bi-pen",
    primary=7,
)
ASSIST_DONE = Move(
    None,
    {ASSISTING},
    fields=NOTE,
    guard=_assist_pending,
    label=_("Our part is done"),
    log_label=_("Assisting department finished its part"),
    icon="bi-check2-circle",
    style="success",
    primary=8,
)
MESSAGE = Move(
    None,
    EVERYONE,
    fields=NOTE,
    optional=("internal",),
    label=_("Send message"),
    note_label=_("Message"),
    headline=_("New message"),
    icon="bi-chat-dots",
)
UPDATE = Move(
    None,
    {CENTRE},
    optional=("category", "lng", "lat", "village", "title", "priority", "note"),
    label=_("Correct category or place"),
    log_label=_("Details corrected"),
    icon="bi-pencil-square",
    style="outline-secondary",
)
SUSPEND = Move(
    S.SUSPENDED,
    {CENTRE},
    fields=NOTE,
    label=_("Wait for information"),
    note_label=_("What information is missing"),
    log_label=_("Waiting for information"),
    icon="bi-pause",
    style="outline-secondary",
)
RESUME = Move(
    PREVIOUS,
    {CENTRE, DEPARTMENT},
    optional=NOTE,
    label=_("Resume"),
    log_label=_("Resumed"),
    icon="bi-play",
    primary=12,
)
MERGE = Move(
    S.MERGED,
    {CENTRE},
    fields=("into",),
    optional=NOTE,
    label=_("Merge into another event"),
    log_label=_("Merged into another event"),
    icon="bi-union",
    style="outline-danger",
    confirm=True,
)
INVALIDATE = Move(
    S.INVALID,
    {CENTRE},
    fields=NOTE,
    label=_("Mark invalid"),
    note_label=_("Why the report is invalid"),
    log_label=_("Marked invalid"),
    icon="bi-slash-circle",
    style="outline-danger",
    confirm=True,
)
RATE = Move(
    None,
    {REPORTER},
    fields=("rating",),
    optional=NOTE,
    guard=_not_rated,
    label=_("Rate the handling"),
    note_label=_("Comment"),
    log_label=_("Rated by the reporter"),
    headline=_("Reporter's rating"),
    icon="bi-star",
    primary=13,
)
REOPEN = Move(
    S.DISPATCHED,
    {REPORTER, CENTRE},
    fields=NOTE,
    guard=_may_reopen,
    label=_("Reopen"),
    note_label=_("Why it must be handled again"),
    log_label=_("Reopened"),
    icon="bi-arrow-repeat",
    style="outline-danger",
    primary=14,
)

# --- the table ---------------------------------------------------------------------------------


# Moves that keep the status, available while the event is being handled.
def _supervision_moves() -> dict[str, Move]:
    return {
        "urge": URGE,
        "supervise": SUPERVISE,
        "escalate": ESCALATE,
        "summon": SUMMON,
        "assist_sign": ASSIST_SIGN,
        "assist_done": ASSIST_DONE,
        "message": MESSAGE,
    }


def _centre_moves() -> dict[str, Move]:
    return {"update": UPDATE, "suspend": SUSPEND, "merge": MERGE, "invalidate": INVALIDATE}


def _handling_moves() -> dict[str, Move]:
    return {
        "return": RETURN,
        "reassign": REASSIGN,
        "request_extension": REQUEST_EXTENSION,
        "request_hold": REQUEST_HOLD,
        "approve_extension": APPROVE_EXTENSION,
        "approve_hold": APPROVE_HOLD,
        "refuse_request": REFUSE_REQUEST,
    }


TRANSITIONS: dict[str, dict[str, Move]] = {
    S.REPORTED: {
        "dispatch": DISPATCH,
        **_centre_moves(),
        "urge": URGE,
        "supervise": SUPERVISE,
        "message": MESSAGE,
    },
    S.DISPATCHED: {
        "sign": SIGN,
        **_handling_moves(),
        **_centre_moves(),
        **_supervision_moves(),
    },
    S.SIGNED: {
        "start": START,
        "resolve": RESOLVE,
        **_handling_moves(),
        **_centre_moves(),
        "suspend": SUSPEND.but(roles={CENTRE, DEPARTMENT}),
        **_supervision_moves(),
    },
    S.IN_PROGRESS: {
        "resolve": RESOLVE,
        **_handling_moves(),
        **_centre_moves(),
        "suspend": SUSPEND.but(roles={CENTRE, DEPARTMENT}),
        **_supervision_moves(),
    },
    S.RESOLVED: {"verify": VERIFY, "rework": REWORK, "message": MESSAGE, "urge": URGE},
    S.SUSPENDED: {"resume": RESUME, "invalidate": INVALIDATE, "message": MESSAGE},
    S.ON_HOLD: {"resume": RESUME, "message": MESSAGE},
    S.CLOSED: {"rate": RATE, "reopen": REOPEN, "message": MESSAGE},
    S.MERGED: {},
    S.INVALID: {},
}

# Timeline entries that are not a move of their own.
ENTRIES = {
    "report": _("Reported"),
    "reroute": _("Re-routed after a correction"),
    "redispatch": _("Dispatched again"),
    "absorb": _("A duplicate was merged into this event"),
    "classify": _("Category corrected"),
    "relocate": _("Place corrected"),
    "overdue": _("Deadline missed"),
}

# Notices that are not a move's own (moves carry their ``headline``).
HEADLINES = {
    "reported": _("New report in your grid"),
    "received": _("Report received"),
    "queued": _("New event awaiting dispatch"),
    "dispatched": _("New event dispatched to you"),
    "reply": _("Progress of your report"),
    "verify": _("Please verify on site"),
    "closed": _("Event closed"),
    "decided": _("Your request was decided"),
    "warning": _("Deadline approaching"),
    "overdue": _("Overdue"),
}


def _resume_status(event: Event) -> str:
    return event.resume_status or S.DISPATCHED


WORKFLOW = Workflow(
    key="events.event",
    model=Event,
    table=TRANSITIONS,
    roles=roles_in,
    timeline=EventLog,
    resume=_resume_status,
    entries=ENTRIES,
    headlines=HEADLINES,
    lock_related=("category", "department", "centre", "region", "grid"),
    notice_template="event_update",
    unit=actor_unit,
)


def allowed_for(event: Event, user) -> dict[str, Move]:
    """Return the moves ``user`` may make on ``event`` now."""
    return WORKFLOW.allowed(event, user)


def check(event: Event, action: str, user) -> Move:
    """Return the move ``action`` if ``user`` may make it now; raise IllegalTransition if not."""
    return WORKFLOW.check(event, action, user)
