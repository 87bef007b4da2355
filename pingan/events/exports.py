"""The event ledger (事件台账) as Excel: the same scoped, filtered rows as the workbench.

Rows are streamed from the database (``iterator``) into the shared write-only workbook
(``pingan.core.excel``), so a ledger of a year of a county's events never sits in memory as
objects. Reporter phones are
written masked only (ARCHITECTURE rule 6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from pingan.core.excel import stamped_name
from pingan.events.filters import TABS, EventFilter
from pingan.events.models import Event

# The request parameters that make up an event list's filter (the export repeats them).
FILTER_KEYS = tuple(EventFilter.Meta.fields)
CHUNK = 2000


def filter_params(data: Mapping) -> dict[str, list[str]]:
    """Return the filter parameters of a request's GET or POST, as plain lists (JSON-safe)."""
    params: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        values = data.getlist(key) if hasattr(data, "getlist") else data.get(key)
        if values in (None, ""):
            continue
        if isinstance(values, str):
            values = [values]
        values = [str(v) for v in values if str(v).strip()]
        if values:
            params[key] = values
    return params


def filtered_events(user, params: Mapping[str, Sequence[str]]) -> QuerySet[Event]:
    """Return the events ``user`` may see that match the list filter ``params`` (and tab)."""
    data = QueryDict(mutable=True)
    for key, values in params.items():
        if key in FILTER_KEYS:
            data.setlist(key, list(values))
    tab = data.get("tab")
    if tab not in TABS:
        data.pop("tab", None)
    filterset = EventFilter(data, queryset=Event.objects.visible_to(user))
    return filterset.qs


def _local(value: dt.datetime | None):
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


def _flag(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def columns() -> list[tuple[str, int]]:
    """Return the ledger's columns: (heading, width)."""
    return [
        (_("Number"), 20),
        (_("Title"), 24),
        (_("Description"), 40),
        (_("Status"), 12),
        (_("Major category"), 14),
        (_("Category"), 18),
        (_("Priority"), 8),
        (_("Channel"), 12),
        (_("Township"), 12),
        (_("Village / community"), 14),
        (_("Grid"), 22),
        (_("Address"), 24),
        (_("Department"), 20),
        (_("Reporter"), 10),
        (_("Reporter phone"), 14),
        (_("Reported"), 18),
        (_("Dispatched"), 18),
        (_("Signed for"), 18),
        (_("Resolved"), 18),
        (pgettext("event status", "Closed"), 18),
        (_("Sign-for deadline"), 18),
        (_("Resolution deadline"), 18),
        (_("Signed for on time"), 10),
        (_("Resolved on time"), 10),
        (_("Overdue since"), 18),
        (_("Supervision"), 10),
        (_("Urges"), 8),
        (_("Returns"), 8),
        (_("Reworks"), 8),
        (_("Extensions"), 8),
        (_("Rating"), 10),
        (_("Rating comment"), 24),
    ]


def ledger_queryset(events: QuerySet[Event]) -> QuerySet[Event]:
    """Return ``events`` with what the ledger rows read, in one query per chunk."""
    return (
        events.select_related(
            "category", "category__parent", "township", "region", "grid", "department"
        )
        .defer(
            "region__boundary",
            "township__boundary",
            "grid__geometry",
            "grid__description",
            "reporter_phone_encrypted",
        )
        .order_by("reported_at", "id")
    )


def event_row(event: Event) -> list[Any]:
    """Return one ledger row (phones masked, times in the local time zone)."""
    category = event.category
    major = category.parent if category and category.parent_id else category
    return [
        event.number,
        event.title,
        event.description,
        event.get_status_display(),
        major.name if major else "",
        category.name if category and category.parent_id else "",
        event.get_priority_display(),
        event.get_channel_display(),
        event.township.name if event.township_id else "",
        event.region.name if event.region.level == "village" else "",
        event.grid.name if event.grid_id else "",
        event.address,
        event.department.name if event.department_id else "",
        event.reporter_name,
        event.reporter_phone_masked,
        _local(event.reported_at),
        _local(event.dispatched_at),
        _local(event.signed_at),
        _local(event.resolved_at),
        _local(event.closed_at),
        _local(event.sign_due_at),
        _local(event.resolve_due_at),
        _flag(event.signed_on_time),
        _flag(event.resolved_on_time),
        _local(event.overdue_since),
        event.get_supervision_display() if event.supervision else "",
        event.urge_count,
        event.return_count,
        event.rework_count,
        event.extension_count,
        event.get_rating_display() if event.rating else "",
        event.rating_comment,
    ]


def event_rows(events: QuerySet[Event]) -> Iterator[list[Any]]:
    """Yield the ledger rows of ``events``, streamed in chunks."""
    for event in ledger_queryset(events).iterator(chunk_size=CHUNK):
        yield event_row(event)


def ledger_filename() -> str:
    """Return the result file's name, e.g. 事件台账-20260314-0930.xlsx."""
    return stamped_name(_("Event ledger"))
