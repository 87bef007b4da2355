"""What the event pages share: safe redirects, list rows, small parsers, map settings."""

from __future__ import annotations

import math

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from pingan.core.ids import as_id
from pingan.core.paging import PAGE_SIZE, Window, window
from pingan.core.views import safe_next
from pingan.events.models import Event

__all__ = ["PAGE_SIZE", "Window", "safe_next", "window"]

S = Event.Status


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
    """Return ``value`` as an id, None when it is none (see :func:`pingan.core.ids.as_id`)."""
    return as_id(value)


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
