"""Possible duplicates of an event: open events of the same category close by, reported lately.

Shared by the event page (the centre merges with one click) and the API. The radius is per
category (``Category.duplicate_radius_m``; 0 turns the check off), the window is
``settings.PINGAN_DUPLICATE_DAYS`` days before the event's report.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings

from pingan.events.models import Event
from pingan.geo.geometry import EARTH_RADIUS_KM

METRES_PER_DEGREE = math.radians(1) * EARTH_RADIUS_KM * 1000
# Enough for the centre to choose from; a hundred look-alikes would be a different problem.
LIMIT = 20


@dataclass(frozen=True)
class Duplicate:
    """A possible duplicate and how far it lies from the event."""

    event: Event
    distance_m: float


def possible_duplicates(event: Event, user, *, limit: int = LIMIT) -> list[Duplicate]:
    """Return open events like ``event`` that ``user`` may see, the nearest first.

    Like means: the same category, within the category's duplicate radius, reported in the
    ``PINGAN_DUPLICATE_DAYS`` days before ``event`` (or after it). A bounding box narrows the
    rows in SQL; the exact great-circle distance decides in Python.
    """
    category = event.category
    if category is None or not event.has_point or not event.is_open:
        return []
    radius = category.duplicate_radius_m
    if not radius:
        return []
    dlat = radius / METRES_PER_DEGREE
    cos_lat = max(math.cos(math.radians(event.lat)), 0.01)
    dlng = radius / (METRES_PER_DEGREE * cos_lat)
    since = event.reported_at - dt.timedelta(days=settings.PINGAN_DUPLICATE_DAYS)
    candidates = (
        Event.objects.visible_to(user)
        .open()
        .filter(
            category_id=category.pk,
            reported_at__gte=since,
            lng__range=(event.lng - dlng, event.lng + dlng),
            lat__range=(event.lat - dlat, event.lat + dlat),
        )
        .exclude(pk=event.pk)
        .select_related("category", "department", "grid")
        .order_by("-reported_at")[: limit * 5]
    )
    found = [
        Duplicate(other, distance)
        for other in candidates
        if (distance := event.distance_m(other.lng, other.lat)) <= radius
    ]
    found.sort(key=lambda d: (d.distance_m, -d.event.reported_at.timestamp()))
    return found[:limit]
