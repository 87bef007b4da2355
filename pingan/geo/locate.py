"""locate(lng, lat): which grid is this point in?

An in-memory STRtree over every grid, rebuilt when grids change. Overlay grids (dedicated and
mobile/seasonal) win over the rural/community grid under them; among equals the smallest wins.
When no grid contains the point it falls back to the nearest village within a limit.

The index is per process. A change made in this process invalidates it at once; a change made in
another process (another web worker, the task worker) is noticed within
``PINGAN_LOCATE_RECHECK_SECONDS`` through a version number kept in the shared cache.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from shapely.strtree import STRtree

from pingan.geo import geometry

VERSION_KEY = "pingan:geo:grid-index-version"
KM_PER_DEGREE = math.radians(1) * geometry.EARTH_RADIUS_KM  # along a meridian

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Located:
    """Where a point lies: a grid, or (``grid_id`` None) only the nearest village."""

    region_id: int
    grid_id: int | None = None
    grid_code: str = ""
    grid_name: str = ""
    method: str = "grid"  # "grid" or "nearest_village"
    distance_km: float = 0.0


class GridIndex:
    """An immutable snapshot of grids and villages, ready for point queries."""

    def __init__(self, grids: list[tuple], villages: list[tuple], version: str = "") -> None:
        # grids: (id, code, name, region_id, geom, overlay, area, active_from, active_until)
        # Sorting by rank lets "best match" be the smallest index among the hits.
        grids = sorted(grids, key=lambda g: (not g[5], g[6], g[1]))
        self.version = version
        # Answers are immutable, so one per grid is built here rather than one per lookup.
        self.located = [Located(g[3], g[0], g[1], g[2]) for g in grids]
        self.seasons = [(g[7], g[8]) for g in grids]
        self.tree = STRtree([g[4] for g in grids]) if grids else None
        self.village_ids = [v[0] for v in villages]
        self.village_geoms = [v[1] for v in villages]
        self.village_array = np.array(self.village_geoms, dtype=object)
        self.village_tree = STRtree(self.village_geoms) if villages else None
        self.day = None
        self.active = None
        self.refresh_day()

    def refresh_day(self) -> None:
        """Recompute which seasonal grids are active today."""
        day = timezone.localdate()
        if day == self.day:
            return
        self.active = np.array(
            [(a is None or a <= day) and (b is None or day <= b) for a, b in self.seasons],
            dtype=bool,
        )
        self.all_active = bool(self.active.all()) if len(self.active) else True
        self.day = day

    def locate(self, lng: float, lat: float) -> Located | None:
        """Return the best grid containing the point, else the nearest village, else None."""
        point = shapely.Point(lng, lat)
        if self.tree is not None:
            # "intersects", not "contains": a point on a shared border still finds a grid, and
            # the rank order then picks the same one of the two every time.
            hits = self.tree.query(point, predicate="intersects")
            if hits.size and not self.all_active:
                hits = hits[self.active[hits]]
            # Most points hit one grid; ndarray.min() costs more than the whole lookup then.
            if hits.size == 1:
                return self.located[hits[0]]
            if hits.size:
                return self.located[hits.min()]
        return self.nearest_village(point)

    def nearest_village(self, point: shapely.Point) -> Located | None:
        """Return the village nearest the point (in km) if within the fallback distance."""
        if self.village_tree is None:
            return None
        limit_km = settings.PINGAN_LOCATE_FALLBACK_KM
        # Search a box in degrees that holds the whole limit; a degree of longitude shrinks
        # with latitude, so the candidates are measured in km before one is chosen.
        cos_lat = max(math.cos(math.radians(point.y)), 0.01)
        radius = limit_km / (KM_PER_DEGREE * cos_lat)
        candidates = self.village_tree.query(point, predicate="dwithin", distance=radius)
        if not candidates.size:
            return None
        candidates.sort()  # ties go to the lower index, the same village every time
        lines = shapely.shortest_line(self.village_array[candidates], point)
        near = shapely.get_coordinates(lines)[::2]  # each line runs from the village to the point
        km = _haversine_km(point.x, point.y, near[:, 0], near[:, 1])
        best = int(km.argmin())
        if km[best] > limit_km:
            return None
        return Located(
            self.village_ids[candidates[best]],
            method="nearest_village",
            distance_km=round(float(km[best]), 3),
        )


def _haversine_km(lng: float, lat: float, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Return great-circle distances in km from one point to many (as geometry.distance_km)."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lngs - lng)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * geometry.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def build_index() -> GridIndex:
    """Read every grid in use and every village from the database into a new index."""
    from pingan.geo.models import Grid, Region

    version = cache.get(VERSION_KEY) or ""
    grids = []
    village_parts: dict[int, list] = {}
    rows = Grid.objects.filter(is_active=True).values_list(
        "id", "code", "name", "region_id", "geometry", "kind", "area_km2",
        "active_from", "active_until", "region__level",
    )  # fmt: skip
    for gid, code, name, region_id, geojson, kind, area, a_from, a_until, level in rows:
        try:
            geom = geometry.parse_polygon(geojson)
        except geometry.GeometryError as exc:
            # One grid saved without full_clean() must not stop every other lookup.
            logger.warning("locate: grid %s (id %s) skipped: %s", code, gid, exc)
            continue
        overlay = kind in Grid.OVERLAY_KINDS
        grids.append((gid, code, name, region_id, geom, overlay, area, a_from, a_until))
        if not overlay and level == Region.Level.VILLAGE:
            village_parts.setdefault(region_id, []).append(geom)
    villages = []
    for vid, boundary in Region.objects.filter(level=Region.Level.VILLAGE).values_list(
        "id", "boundary"
    ):
        shape = None
        if boundary:
            try:
                shape = geometry.parse_polygon(boundary)
            except geometry.GeometryError as exc:
                logger.warning("locate: boundary of village id %s skipped: %s", vid, exc)
        if shape is not None:
            villages.append((vid, shape))
        elif vid in village_parts:
            villages.append((vid, shapely.union_all(village_parts[vid])))
    return GridIndex(grids, villages, version)


_lock = threading.Lock()
_index: GridIndex | None = None
_checked_at = 0.0


def get_index() -> GridIndex:
    """Return this process's index, rebuilding it if grids changed anywhere."""
    global _index, _checked_at
    index = _index
    now = time.monotonic()
    if index is not None and now - _checked_at < settings.PINGAN_LOCATE_RECHECK_SECONDS:
        return index
    with _lock:
        if _index is not None and (cache.get(VERSION_KEY) or "") != _index.version:
            _index = None
        if _index is None:
            _index = build_index()
        _index.refresh_day()
        _checked_at = now
        return _index


def locate(lng: float, lat: float) -> Located | None:
    """Return the grid containing (lng, lat), else the nearest village, else None."""
    lng, lat = float(lng), float(lat)
    if not (math.isfinite(lng) and math.isfinite(lat)):
        return None
    return get_index().locate(lng, lat)


def invalidate() -> None:
    """Forget this process's index now, and tell other processes after the commit."""
    global _index
    _index = None
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))
