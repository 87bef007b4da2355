"""What the event pages share: the scope helpers, paging without a count, list rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from pingan.accounts.scope import Scope
from pingan.events.models import (
    Assignment,
    Event,
)

PAGE_SIZE = 50


S = Event.Status


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@dataclass
class Window:
    """One page of a list: its rows, and the total only when it came for free."""

    object_list: list
    number: int
    per_page: int
    has_next: bool
    total: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def paginator(self) -> Window:
        """Django's ``Page`` gives its pages and count through its paginator: so does a window."""
        return self

    @property
    def count(self) -> int | None:
        return self.total

    @property
    def num_pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0


def window(
    request: HttpRequest, qs, *, total: int | None = None, per_page: int | None = None
) -> Window:
    """Return the page ``?page=`` of ``qs`` with one LIMIT/OFFSET query (one row extra)."""
    per_page = per_page or PAGE_SIZE
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    if total is not None:
        number = min(number, max(1, math.ceil(total / per_page)))
    start = (number - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return Window(rows[:per_page], number, per_page, len(rows) > per_page, total)


def list_queryset(events: QuerySet[Event]) -> QuerySet[Event]:
    """Return ``events`` with what a list row shows, without geometry or long text."""
    return events.select_related(
        "category", "category__parent", "region", "grid", "department", "township"
    ).defer(
        "region__boundary",
        "township__boundary",
        "grid__geometry",
        "grid__description",
        "reporter_phone_encrypted",
        "category__reply_signed",
        "category__reply_resolved",
        "category__reply_closed",
    )


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def float_or_none(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def pick_map_config() -> dict[str, str]:
    """Return the settings of a map where a click picks a point (hotline, routing test)."""
    return {
        "tileUrl": settings.PINGAN_MAP_TILE_URL or "",
        "tileAttribution": settings.PINGAN_MAP_TILE_ATTRIBUTION or "",
        "regionsUrl": reverse("geo:map_regions") + "?level=township",
    }


def department_events(access: Scope) -> QuerySet[Assignment]:
    """Return the ids of the events the user's departments work or worked on (an index)."""
    return Assignment.objects.filter(department_id__in=sorted(access.department_ids)).values(
        "event_id"
    )
