"""Events (事件): what is reported, where, by whom, who handles it, and everything that happened.

Routing, SLA policies, classification rules and reply texts are data (categories, routing rules,
keyword rules) edited by admins. Every state change goes through ``pingan.events.services``;
the workflow itself is the table in ``pingan.events.transitions``. Missed deadlines are held
against departments in ``pingan.workflow.models.AccountabilityRecord``.
"""

from pingan.events.models.event import Event, EventQuerySet
from pingan.events.models.handling import (
    Assignment,
    Attachment,
    DeadlineKind,
    EventLog,
    Message,
    Request,
    attachment_path,
)
from pingan.events.models.systems import CallTerminal, IntakeSystem
from pingan.events.models.taxonomy import Category, KeywordRule, Priority, RoutingRule

__all__ = [
    "Assignment",
    "Attachment",
    "CallTerminal",
    "Category",
    "DeadlineKind",
    "Event",
    "EventLog",
    "EventQuerySet",
    "IntakeSystem",
    "KeywordRule",
    "Message",
    "Priority",
    "Request",
    "RoutingRule",
    "attachment_path",
]


from pingan.events import history  # noqa: E402, F401  (edit history of the rules above)
