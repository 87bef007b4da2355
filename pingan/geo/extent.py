"""The extent of a county, or of a user's regions: what maps fit, and where a report may lie.

An area is the outline of its regions (a region without a boundary is drawn from the
boundaries and grids below it). A point lies *in* the area when it is inside the outline widened
by the distance ``locate`` still forgives (``PINGAN_LOCATE_FALLBACK_KM``): a phone fix a little
over the border still finds its village, so only a point beyond that is "outside". Maps fit the
outline's bounds, or the points in the area, and never zoom out to a point outside it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from shapely import affinity
from shapely.geometry.base import BaseGeometry

from pingan.geo import geometry
from pingan.geo.models import Grid, Region

KM_PER_DEGREE = math.radians(1) * geometry.EARTH_RADIUS_KM  # along a meridian
# The outline a page receives is simplified to about 50 m and rounded to about 1 m: small
# enough to send with every report form, far finer than the widening.
PAGE_TOLERANCE_DEG = 0.0005
PAGE_DECIMALS = 5

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    """A county's (or a user's) outline: its bounds for maps, its widened shape for points."""

    shape: BaseGeometry  # the outline widened by the fallback distance (prepared)
    bounds: tuple[float, float, float, float]  # of the outline itself: west, south, east, north

    def contains(self, lng: float | None, lat: float | None) -> bool:
        """Return whether the point lies in the area (a missing point lies nowhere)."""
        if lng is None or lat is None:
            return False
        return bool(shapely.intersects_xy(self.shape, float(lng), float(lat)))

    def contains_each(self, lngs: Sequence[float], lats: Sequence[float]) -> list[bool]:
        """Return for each point whether it lies in the area, in one vectorised test."""
        if not len(lngs):
            return []
        found = shapely.intersects_xy(
            self.shape, np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
        )
        return [bool(value) for value in np.atleast_1d(found)]

    def bbox(self) -> list[float]:
        """Return [west, south, east, north] of the outline, as maps fit it."""
        return [round(value, PAGE_DECIMALS) for value in self.bounds]

    def for_page(self) -> dict[str, Any]:
        """Return the bounds and the (simplified) widened outline a page checks points with."""
        outline = self.shape.simplify(PAGE_TOLERANCE_DEG)
        outline = shapely.transform(outline, lambda xy: np.round(xy, PAGE_DECIMALS))
        return {"bbox": self.bbox(), "outline": geometry.to_geojson(outline)}


def area_of(regions: Iterable[Region]) -> Area | None:
    """Return the area of ``regions`` together, or None when none of them has a shape."""
    shapes = [shape for region in regions if (shape := _shape_of(region)) is not None]
    if not shapes:
        return None
    outline = shapely.union_all(shapes)
    if outline.is_empty:
        return None
    bounds = tuple(float(v) for v in outline.bounds)
    widened = _widen(outline, settings.PINGAN_LOCATE_FALLBACK_KM, (bounds[1] + bounds[3]) / 2)
    shapely.prepare(widened)
    return Area(shape=widened, bounds=bounds)  # type: ignore[arg-type]


def county_area(county: Region | None) -> Area | None:
    """Return the area of one county (None without a county or any shape in it)."""
    return area_of([county]) if county is not None else None


def county_area_of_code(county_code: str) -> Area | None:
    """Return the area of the county with this code, if there is one."""
    county = Region.objects.filter(code=county_code, level=Region.Level.COUNTY).first()
    return county_area(county)


def area_for(user) -> Area | None:
    """Return the area of the regions ``user`` works in: their regions, grids' villages and
    departments' regions (everything for a superuser)."""
    from pingan.accounts.models import Department
    from pingan.accounts.scope import scope_for

    scope = scope_for(user)
    if scope.everything:
        return area_of(Region.objects.filter(parent__isnull=True))
    paths = set(scope.region_paths)
    if scope.grid_region_ids:
        paths.update(
            Region.objects.filter(pk__in=scope.grid_region_ids).values_list("path", flat=True)
        )
    if scope.department_ids:
        paths.update(
            Department.objects.filter(pk__in=scope.department_ids).values_list(
                "region__path", flat=True
            )
        )
    roots = [p for p in paths if p and not any(p != q and p.startswith(q) for q in paths)]
    if not roots:
        return None
    return area_of(Region.objects.filter(path__in=roots))


def _shape_of(region: Region) -> BaseGeometry | None:
    """Return the region's boundary, else the union of the boundaries and grids below it."""
    if region.boundary:
        try:
            return geometry.parse_polygon(region.boundary)
        except geometry.GeometryError as exc:
            logger.warning("extent: boundary of region %s skipped: %s", region.code, exc)
    parts = []
    below = (
        Region.objects.filter(path__startswith=region.path, boundary__isnull=False)
        .exclude(pk=region.pk)
        .values_list("boundary", flat=True)
    )
    grids = Grid.objects.filter(path__startswith=region.path).values_list("geometry", flat=True)
    for data in [*below, *grids]:
        try:
            parts.append(geometry.parse_polygon(data))
        except geometry.GeometryError:
            continue  # locate() skips (and logs) the same shapes
    return shapely.union_all(parts) if parts else None


def _widen(shape: BaseGeometry, km: float, lat: float) -> BaseGeometry:
    """Return ``shape`` grown by ``km`` on the ground (a degree of longitude is shorter)."""
    if km <= 0:
        return shape
    squeeze = max(math.cos(math.radians(lat)), 0.01)
    flat = affinity.scale(shape, xfact=squeeze, yfact=1.0, origin=(0, 0))
    grown = flat.buffer(km / KM_PER_DEGREE, quad_segs=4)
    return affinity.scale(grown, xfact=1 / squeeze, yfact=1.0, origin=(0, 0))
