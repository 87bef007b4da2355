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
status before a pause.
"""

from __future__ import annotations

from pingan.core.transitions import IllegalTransition, Move, allowed_moves
from pingan.events.models import Event, Request
from pingan.events.queries import (
    ASSISTING,
    CENTRE,
    DEPARTMENT,
    GRID,
    LEADER,
    REPORTER,
    roles_in,
)

S = Event.Status
PREVIOUS = "previous"
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
        role="assist", ended_at__isnull=True, done_at__isnull=True
    ).exists()


# Moves that keep the status, available while the event is being handled.
def _supervision_moves() -> dict[str, Move]:
    return {
        "urge": Move(None, {CENTRE, LEADER}, fields=("note",)),
        "supervise": Move(None, {CENTRE, LEADER}, fields=("grade",), optional=("note",)),
        "escalate": Move(None, {CENTRE, DEPARTMENT, GRID}, fields=("note",), optional=("level",)),
        "summon": Move(None, {CENTRE}, fields=("departments",), optional=("note",)),
        "assist_sign": Move(None, {ASSISTING}, optional=("note",)),
        "assist_done": Move(None, {ASSISTING}, fields=("note",), guard=_assist_pending),
        "message": Move(None, EVERYONE, fields=("note",), optional=("internal",)),
    }


def _centre_moves() -> dict[str, Move]:
    return {
        "update": Move(
            None,
            {CENTRE},
            optional=("category", "lng", "lat", "village", "title", "priority", "note"),
        ),
        "suspend": Move(S.SUSPENDED, {CENTRE}, fields=("note",)),
        "merge": Move(S.MERGED, {CENTRE}, fields=("into",), optional=("note",)),
        "invalidate": Move(S.INVALID, {CENTRE}, fields=("note",)),
    }


def _handling_moves() -> dict[str, Move]:
    return {
        "return": Move(S.REPORTED, {DEPARTMENT}, fields=("note",)),
        "reassign": Move(S.DISPATCHED, {CENTRE}, fields=("department",), optional=("note",)),
        "request_extension": Move(None, {DEPARTMENT}, fields=("note", "due_at"), guard=_no_pending),
        "request_hold": Move(None, {DEPARTMENT}, fields=("note",), guard=_no_pending),
        "approve_extension": Move(
            None, {CENTRE}, optional=("note",), guard=_has_pending(Request.Kind.EXTENSION)
        ),
        "approve_hold": Move(
            S.ON_HOLD, {CENTRE}, optional=("note",), guard=_has_pending(Request.Kind.HOLD)
        ),
        "refuse_request": Move(None, {CENTRE}, fields=("note",), guard=_has_pending()),
    }


TRANSITIONS: dict[str, dict[str, Move]] = {
    S.REPORTED: {
        "dispatch": Move(S.DISPATCHED, {CENTRE}, fields=("department",), optional=("note",)),
        **_centre_moves(),
        "urge": Move(None, {CENTRE, LEADER}, fields=("note",)),
        "supervise": Move(None, {CENTRE, LEADER}, fields=("grade",), optional=("note",)),
        "message": Move(None, EVERYONE, fields=("note",), optional=("internal",)),
    },
    S.DISPATCHED: {
        "sign": Move(S.SIGNED, {DEPARTMENT}, optional=("note",)),
        **_handling_moves(),
        **_centre_moves(),
        **_supervision_moves(),
    },
    S.SIGNED: {
        "start": Move(S.IN_PROGRESS, {DEPARTMENT}, optional=("note",)),
        "resolve": Move(S.RESOLVED, {DEPARTMENT}, fields=("note", "photos")),
        **_handling_moves(),
        **_centre_moves(),
        "suspend": Move(S.SUSPENDED, {CENTRE, DEPARTMENT}, fields=("note",)),
        **_supervision_moves(),
    },
    S.IN_PROGRESS: {
        "resolve": Move(S.RESOLVED, {DEPARTMENT}, fields=("note", "photos")),
        **_handling_moves(),
        **_centre_moves(),
        "suspend": Move(S.SUSPENDED, {CENTRE, DEPARTMENT}, fields=("note",)),
        **_supervision_moves(),
    },
    S.RESOLVED: {
        "verify": Move(S.CLOSED, {GRID, CENTRE}, optional=("note", "photos")),
        "rework": Move(S.IN_PROGRESS, {GRID, CENTRE}, fields=("note",), optional=("photos",)),
        "message": Move(None, EVERYONE, fields=("note",), optional=("internal",)),
        "urge": Move(None, {CENTRE, LEADER}, fields=("note",)),
    },
    S.SUSPENDED: {
        "resume": Move(PREVIOUS, {CENTRE, DEPARTMENT}, optional=("note",)),
        "invalidate": Move(S.INVALID, {CENTRE}, fields=("note",)),
        "message": Move(None, EVERYONE, fields=("note",), optional=("internal",)),
    },
    S.ON_HOLD: {
        "resume": Move(PREVIOUS, {CENTRE, DEPARTMENT}, optional=("note",)),
        "message": Move(None, EVERYONE, fields=("note",), optional=("internal",)),
    },
    S.CLOSED: {
        "rate": Move(None, {REPORTER}, fields=("rating",), optional=("note",), guard=_not_rated),
        "reopen": Move(S.DISPATCHED, {REPORTER, CENTRE}, fields=("note",), guard=_may_reopen),
        "message": Move(None, EVERYONE, fields=("note",), optional=("internal",)),
    },
    S.MERGED: {},
    S.INVALID: {},
}


def allowed_for(event: Event, user) -> dict[str, Move]:
    """Return the moves ``user`` may make on ``event`` now."""
    return allowed_moves(TRANSITIONS, event.status, event, roles_in(user, event))


def check(event: Event, action: str, user) -> Move:
    """Return the move ``action`` if ``user`` may make it now; raise IllegalTransition if not."""
    from django.utils.translation import gettext as _

    allowed = allowed_for(event, user)
    if action not in allowed:
        known = any(action in moves for moves in TRANSITIONS.values())
        if known:
            from pingan.events.forms import ACTIONS

            label = ACTIONS[action][0] if action in ACTIONS else action
            message = _("“%(action)s” is not possible for you while the event is “%(status)s”.") % {
                "action": label,
                "status": event.get_status_display(),
            }
        else:
            message = _("Unknown action “%(action)s”.") % {"action": action}
        raise IllegalTransition(message, status=event.status, allowed=sorted(allowed))
    return allowed[action]
