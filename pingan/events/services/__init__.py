"""Every state change of an event: intake, and each move of the transition table.

``report_event`` takes a report from any channel; ``perform`` makes one move (the kit's
``Workflow.perform``, with the handlers of this package registered on
``pingan.events.transitions.WORKFLOW``). Both run in one transaction: the event row is locked
(``select_for_update``), the move is checked against the table *after* the lock (so of two
people moving the same event at once, the second sees the new state and gets
``IllegalTransition``), a timeline entry is written, deadlines are opened, closed or paused,
and notifications are queued for after the commit.

The modules, by topic: ``intake`` (reports), ``handling`` (the moves through the departments),
``requests`` (extension and hold), ``supervision`` (urge, supervise, escalate, summon, the
ladder and accountability), ``base`` and ``inputs`` (what they share).
"""

from __future__ import annotations

from pingan.core.transitions import IllegalTransition
from pingan.events.models import Event
from pingan.events.services import handling, requests, supervision  # noqa: F401 (handlers)
from pingan.events.services.base import HANDLER, NUMBER_PREFIX
from pingan.events.services.intake import report_event, report_one_key_call
from pingan.events.services.supervision import LADDER, raise_supervision, record_accountability
from pingan.events.transitions import WORKFLOW

__all__ = [
    "HANDLER",
    "LADDER",
    "NUMBER_PREFIX",
    "IllegalTransition",
    "perform",
    "raise_supervision",
    "record_accountability",
    "report_event",
    "report_one_key_call",
]


def perform(event: Event | int, action: str, *, acting_user, **fields) -> Event:
    """Make the move ``action`` on ``event`` for ``acting_user``; return the updated event.

    Raise ``IllegalTransition`` when the table does not allow the move now (for this user),
    ``ValidationError`` (by field) for missing or bad fields. Nothing changes in either case.
    """
    return WORKFLOW.perform(event, action, acting_user=acting_user, **fields)
