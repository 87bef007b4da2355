"""Pages of the event closed loop, by topic: the centre's workbench and the Excel ledger
(``workbench``), the event page with its action panel (``detail``), the department inbox and
record and the overdue board (``boards``), the grid worker's phone pages and intake (``phone``),
and routing rules (``routing``).

Reads start from ``Event.objects.visible_to(user)`` / ``get_event_for_user`` (404 outside the
user's scope); every change goes through ``pingan.events.services``. Lists are paginated with
LIMIT/OFFSET and count only the open events (the tab counts), never the whole table.
"""

from pingan.events.views.boards import department, inbox, overdue
from pingan.events.views.detail import act, attachment, detail
from pingan.events.views.phone import hotline, mine, one_key, report, verify_tasks
from pingan.events.views.routing import routing_delete, routing_edit, routing_rules, routing_test
from pingan.events.views.workbench import export, workbench

__all__ = [
    "act",
    "attachment",
    "department",
    "detail",
    "export",
    "hotline",
    "inbox",
    "mine",
    "one_key",
    "overdue",
    "report",
    "routing_delete",
    "routing_edit",
    "routing_rules",
    "routing_test",
    "verify_tasks",
    "workbench",
]
