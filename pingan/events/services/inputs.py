"""Reading what people give a service: categories, villages, departments, times, places."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from pingan.accounts.models import Department
from pingan.core.ids import as_id
from pingan.events import queries
from pingan.events.models import Category, Event
from pingan.geo.models import Grid, Region


def as_category(value) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        return value
    try:
        return Category.objects.select_related("parent").get(code=str(value), is_active=True)
    except Category.DoesNotExist as exc:
        raise ValidationError(
            {"category": _("No active category has the code “%(code)s”.") % {"code": value}}
        ) from exc


def as_village(value) -> Region | None:
    if value in (None, ""):
        return None
    if isinstance(value, Region):
        return value
    try:
        return Region.objects.get(code=str(value))
    except Region.DoesNotExist as exc:
        raise ValidationError(
            {"village": _("No village or township has the code “%(code)s”.") % {"code": value}}
        ) from exc


def as_department(value, field: str = "department") -> Department:
    if isinstance(value, Department):
        return value
    qs = Department.objects.filter(is_active=True)
    try:
        if as_id(value) is not None:
            return qs.get(pk=as_id(value))
        return qs.get(code=str(value))
    except (Department.DoesNotExist, ValueError) as exc:
        raise ValidationError({field: _("Choose an active department.")}) from exc


def as_datetime(value, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value or ""))
        if moment is None:
            raise ValidationError({field: _("Give a date and time, e.g. 2026-03-14T18:00+08:00.")})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def as_point(lng, lat) -> tuple[float, float] | None:
    if lng in (None, "") and lat in (None, ""):
        return None
    try:
        lng_f, lat_f = float(lng), float(lat)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"lng": _("Give both longitude and latitude as numbers.")}) from exc
    if not (-180 <= lng_f <= 180 and -90 <= lat_f <= 90):
        raise ValidationError({"lng": _("Longitude lies within ±180 and latitude within ±90.")})
    return lng_f, lat_f


def township_of(region: Region) -> Region | None:
    if region.level == Region.Level.TOWNSHIP:
        return region
    if region.level == Region.Level.VILLAGE:
        return region.parent
    return None


def home_county(user) -> Region | None:
    """Return the county of the user's first org unit, else the only county there is."""
    system = queries.intake_system_of(user)
    path = ""
    if system is not None:
        path = system.region.path
    elif getattr(user, "pk", None):
        membership = (
            user.memberships.select_related("region", "grid", "department__region")
            .order_by("pk")
            .first()
        )
        if membership is not None:
            unit = membership.region or membership.grid or membership.department.region
            path = unit.path
    counties = Region.objects.filter(level=Region.Level.COUNTY)
    for code in path.strip("/").split("/"):
        county = counties.filter(code=code).first()
        if county:
            return county
    return counties.order_by("code").first()


def place_of(point, village: Region | None, user) -> dict[str, Any]:
    """Return region, grid, how the report was located and whether its point lies outside.

    ``point_outside`` is true when a point was given but lies in no grid and near no village of
    any county: the chosen village then wins (the point is kept as data), else the report waits
    unlocated at the county centre, and the reporter is told either way.
    """
    from pingan.geo.locate import locate

    outside = False
    if point is not None:
        found = locate(*point)
        if found is not None and found.grid_id:
            # One query for the grid, its village and township (the event's township is read
            # from the village's parent); boundaries are not needed here.
            grid = (
                Grid.objects.select_related("region__parent")
                .defer("geometry", "description", "region__boundary", "region__parent__boundary")
                .get(pk=found.grid_id)
            )
            return {
                "region": grid.region,
                "grid": grid,
                "located_by": Event.LocatedBy.GRID,
                "point_outside": False,
            }
        if found is not None:
            region = (
                Region.objects.select_related("parent")
                .defer("boundary", "parent__boundary")
                .get(pk=found.region_id)
            )
            return {
                "region": region,
                "grid": None,
                "located_by": Event.LocatedBy.NEAREST,
                "point_outside": False,
            }
        outside = True
    if village is not None:
        return {
            "region": village,
            "grid": None,
            "located_by": Event.LocatedBy.VILLAGE,
            "point_outside": outside,
        }
    county = home_county(user)
    if county is None:
        raise ValidationError({"lng": _("The point lies outside every county of this system.")})
    return {
        "region": county,
        "grid": None,
        "located_by": Event.LocatedBy.NONE,
        "point_outside": outside,
    }


def source_key(user) -> str:
    system = queries.intake_system_of(user)
    if system is not None:
        return f"system:{system.pk}"
    return f"user:{user.pk}" if getattr(user, "pk", None) else "anonymous"
