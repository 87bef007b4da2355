"""GeoJSON features for grids and regions: one builder for the map pages and the API."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F, QuerySet
from django.utils import timezone

from pingan.geo.models import Grid, GridMember, Region


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def grid_features(grids: QuerySet[Grid]) -> list[dict]:
    """Return GeoJSON features (with the team for the popup) for ``grids``, in two queries."""
    rows = list(
        grids.annotate(region_name=F("region__name"), region_code=F("region__code")).values(
            "id",
            "code",
            "name",
            "kind",
            "subkind",
            "households",
            "is_active",
            "active_from",
            "active_until",
            "geometry",
            "region_name",
            "region_code",
        )
    )
    teams: dict[int, list[dict]] = defaultdict(list)
    roles = dict(GridMember.Role.choices)
    members = (
        GridMember.objects.filter(grid_id__in=[row["id"] for row in rows])
        .order_by("grid_id", "sort_order", "id")
        .values_list("grid_id", "name", "role")
    )
    for grid_id, name, role in members:
        teams[grid_id].append(
            {"name": name, "role": role, "role_display": str(roles.get(role, role))}
        )
    kinds = dict(Grid.Kind.choices)
    subkinds = dict(Grid.SubKind.choices)
    today = timezone.localdate()
    features = []
    for row in rows:
        season = Grid(
            is_active=row["is_active"],
            active_from=row["active_from"],
            active_until=row["active_until"],
        )
        team = teams.get(row["id"], [])
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": row["geometry"],
                "properties": {
                    "id": row["id"],
                    "code": row["code"],
                    "name": row["name"],
                    "kind": row["kind"],
                    "kind_display": str(kinds.get(row["kind"], row["kind"])),
                    "subkind": row["subkind"],
                    "subkind_display": str(subkinds[sub]) if (sub := row["subkind"]) else "",
                    "households": row["households"],
                    "region_name": row["region_name"],
                    "village": row["region_code"],
                    "is_active": row["is_active"],
                    "active_now": season.is_active_on(today),
                    "active_from": _iso(row["active_from"]),
                    "active_until": _iso(row["active_until"]),
                    "url": Grid(pk=row["id"]).get_absolute_url(),
                    "team_size": len(team),
                    "team": team,
                },
            }
        )
    return features


def region_features(regions: QuerySet[Region]) -> list[dict]:
    """Return GeoJSON features of the regions that have a boundary, in one query."""
    rows = regions.exclude(boundary__isnull=True).values(
        "id", "code", "name", "level", "boundary", parent_code=F("parent__code")
    )
    levels = dict(Region.Level.choices)
    return [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": row["boundary"],
            "properties": {
                "id": row["id"],
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "level_display": str(levels.get(row["level"], row["level"])),
                "parent": row["parent_code"],
                "url": Region(pk=row["id"]).get_absolute_url(),
            },
        }
        for row in rows
        # A JSON null is not SQL NULL on every backend: skip empty boundaries here too.
        if row["boundary"]
    ]
