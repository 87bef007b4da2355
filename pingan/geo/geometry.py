"""GeoJSON in, shapely out: parsing and checking the polygons of regions and grids."""

from __future__ import annotations

import json
import math
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

# Shared borders computed in floating point may stray by a hair; 1e-7 degrees is about 1 cm.
TOLERANCE_DEG = 1e-7
EARTH_RADIUS_KM = 6371.0088


class GeometryError(ValueError):
    """A geometry that cannot be used, with a message a person can act on."""


def parse_polygon(data: Any) -> Polygon | MultiPolygon:
    """Return the shapely (multi)polygon for a GeoJSON geometry, or raise GeometryError."""
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise GeometryError(_("The geometry must be a GeoJSON Polygon or MultiPolygon."))
    coords = data.get("coordinates")
    polygons = [coords] if data["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise GeometryError(_("The geometry has no coordinates."))
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise GeometryError(_("A polygon has no rings."))
        for ring in polygon:
            _check_ring(ring)
    try:
        geom = shape(data)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        message = _("The coordinates cannot be read: %(error)s") % {"error": exc}
        raise GeometryError(message) from exc
    if geom.is_empty:
        raise GeometryError(_("The geometry is empty."))
    if not geom.is_valid:
        raise GeometryError(
            _("The polygon is not valid: %(reason)s") % {"reason": explain_validity(geom)}
        )
    return geom


def _check_ring(ring: Any) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeometryError(
            _("A ring needs at least four positions (the last equal to the first).")
        )
    for position in ring:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
        ):
            raise GeometryError(_("A position must be [longitude, latitude] numbers."))
        lng, lat = position[0], position[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise GeometryError(
                _("Position %(pos)s is outside longitude −180…180 / latitude −90…90.")
                % {"pos": [lng, lat]}
            )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise GeometryError(_("A ring is not closed: its last position must equal its first."))


def within(inner: Polygon | MultiPolygon, outer: Polygon | MultiPolygon) -> bool:
    """Return whether ``inner`` lies inside ``outer``, forgiving floating-point hairs."""
    return bool(inner.within(outer.buffer(TOLERANCE_DEG)))


def area_km2(geom: Polygon | MultiPolygon) -> float:
    """Return an approximate area in km² (equirectangular at the centroid's latitude)."""
    lat = geom.centroid.y
    kx = math.radians(1) * EARTH_RADIUS_KM * math.cos(math.radians(lat))
    ky = math.radians(1) * EARTH_RADIUS_KM
    return float(geom.area * kx * ky)


def distance_km(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Return the great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def to_geojson(geom: Polygon | MultiPolygon) -> dict:
    """Return a plain GeoJSON dict (lists, not tuples) that JSONField stores as is."""
    return json.loads(shapely.to_geojson(geom))
