"""Demo data for events: routing rules for the demo county (and, below, demo events)."""

from __future__ import annotations

from pingan.accounts.models import Department
from pingan.events.models import Category, RoutingRule
from pingan.events.taxonomy import default_routes
from pingan.geo import demo_data as data
from pingan.geo.models import Region


def load_demo_routing() -> int:
    """Create the demo county's routing rules: county-wide defaults, some township overrides."""
    county = Region.objects.get(code=data.COUNTY_CODE)
    departments = {d.code: d for d in Department.objects.filter(code__startswith=county.code)}
    categories = {c.code: c for c in Category.objects.all()}
    made = 0
    for code, key in default_routes().items():
        department = departments.get(f"{county.code}-{key}")
        if department is None or code not in categories:
            continue
        _rule, created = RoutingRule.objects.get_or_create(
            category=categories[code],
            region=county,
            department=department,
            defaults={"note": "演示：县级默认路由"},
        )
        made += created
    # Public-security matters go to the township's police station (派出所) first.
    for township in Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP):
        station = departments.get(f"{township.code}-police")
        if station is None:
            continue
        for code in ("1001", "0901"):
            _rule, created = RoutingRule.objects.get_or_create(
                category=categories[code],
                region=township,
                department=station,
                defaults={"note": "演示：治安类事件先派属地派出所"},
            )
            made += created
    return made
