"""The world of the demo events: the county's people, places, categories, routes and clock.

:class:`World` is loaded once per run of ``load_demo_events``; every event's
:class:`~pingan.events.demo_story.Story` plays its moves in it. The names the story modules share
live here too: the personas, ``S``, and the two exceptions a story raises.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from pingan.accounts.models import Department, Membership, Role, User
from pingan.core import sla
from pingan.events import queries, routing
from pingan.events.demo_texts import ALTERNATES, RURAL_SPOTS, URBAN_SPOTS
from pingan.events.models import CallTerminal, Category, Event, KeywordRule, RoutingRule
from pingan.geo import demo_data as data
from pingan.geo.geometry import parse_polygon
from pingan.geo.locate import locate
from pingan.geo.models import Grid, GridMember, Region

S = Event.Status
# The demo accounts that play parts in the stories.
PERSONAS = (
    "center",
    "town01",
    "leader",
    "grid01",
    "grid02",
    "police01",
    "resident01",
    "dept-transport",
    "dept-housing",
)
RESIDENT_ACCOUNTS = 24


class Stop(Exception):  # noqa: N818 -- control flow, not an error
    """The story's next move lies after now: the event stays where it is."""


class StoryError(Exception):
    """A story tried a move the transition table does not allow (a bug in the story modules)."""


class World:
    """What the stories need, loaded once: people, places, categories, routes and the clock."""

    def __init__(self, now: dt.datetime, rng: random.Random) -> None:
        self.now = now
        self.rng = rng
        self.calendar = sla.Calendar.load()
        self.yellow_hours = float(settings.PINGAN_SUPERVISION_YELLOW_HOURS)
        self.red_hours = float(settings.PINGAN_SUPERVISION_RED_HOURS)
        self.verify_hours = Decimal(str(settings.PINGAN_VERIFY_HOURS))
        self.county = Region.objects.get(code=data.COUNTY_CODE)
        self.regions = {r.pk: r for r in Region.objects.filter(path__startswith=self.county.path)}
        self.users = {u.username: u for u in User.objects.filter(username__in=PERSONAS)}
        missing = set(PERSONAS) - set(self.users)
        if missing:
            raise RuntimeError(f"load the demo county first: no {', '.join(sorted(missing))}")
        self.departments = {
            d.code: d
            for d in Department.objects.filter(code__startswith=self.county.code, is_active=True)
        }
        self.handlers: dict[int, User] = {}
        for m in (
            Membership.objects.filter(
                role=Role.DEPARTMENT_HANDLER,
                department__in=self.departments.values(),
                user__is_active=True,
            )
            .select_related("user")
            .order_by("pk")
        ):
            self.handlers.setdefault(m.department_id, m.user)
        self.categories = {
            c.code: c
            for c in Category.objects.filter(is_active=True, parent__isnull=False).select_related(
                "parent"
            )
        }
        self.keyword_rules: dict[int, KeywordRule] = {}
        for rule in KeywordRule.objects.filter(is_active=True).order_by("-weight", "id"):
            self.keyword_rules.setdefault(rule.category_id, rule)
        # Routes depend on the township only for categories with rules below the county
        # (the demo: police stations), and on the village only if some rule names a village.
        below = RoutingRule.objects.filter(is_active=True, region__isnull=False).exclude(
            region__level=Region.Level.COUNTY
        )
        self.deep_rules = below.filter(region__level=Region.Level.VILLAGE).exists()
        self.local_categories = set(below.values_list("category_id", flat=True))
        self._routes: dict[tuple, routing.Route] = {}
        self._centres: dict[int, Department | None] = {}
        self.used_names = {a[1] for a in data.DEMO_ACCOUNTS}
        self._load_grids()
        self._load_residents()
        self.terminals = list(CallTerminal.objects.filter(is_demo=True, is_active=True))
        self.route_reason_none = _("Not located: the county centre decides.")
        self.caller = 0

    # places -------------------------------------------------------------------------------

    def _load_grids(self) -> None:
        grid01 = self.users["grid01"].memberships.values_list("grid_id", flat=True).first()
        grid02 = self.users["grid02"].memberships.values_list("grid_id", flat=True).first()
        self.grids = list(Grid.objects.filter(path__startswith=self.county.path, is_active=True))
        self.grid_by_id = {g.pk: g for g in self.grids}
        self.polygons = {g.pk: parse_polygon(g.geometry) for g in self.grids}
        self.weights = []
        for grid in self.grids:
            weight = max(grid.households, 60) if grid.kind != Grid.Kind.DEDICATED else 150
            if grid.pk in (grid01, grid02):
                weight *= 3
            self.weights.append(weight)
        self.grid_staff: dict[int, list[User]] = {}
        for m in Membership.objects.filter(
            role__in=queries.GRID_STAFF_ROLES, grid__isnull=False, user__is_active=True
        ).select_related("user"):
            self.grid_staff.setdefault(m.grid_id, []).append(m.user)
        self.grid_workers: dict[int, list[str]] = {}
        for grid_id, name in GridMember.objects.filter(role="grid_worker").values_list(
            "grid_id", "name"
        ):
            self.grid_workers.setdefault(grid_id, []).append(name)

    def point_in(self, grid: Grid) -> tuple[float, float]:
        polygon = self.polygons[grid.pk]
        west, south, east, north = polygon.bounds
        for _attempt in range(100):
            lng = self.rng.uniform(west, east)
            lat = self.rng.uniform(south, north)
            if shapely.contains_xy(polygon, lng, lat):
                return round(lng, 6), round(lat, 6)
        point = polygon.representative_point()
        return round(point.x, 6), round(point.y, 6)

    def place(self, lng: float, lat: float):
        """Return (region, grid id, located by) as ``services._locate`` finds them."""
        found = locate(lng, lat)
        if found is None:
            return self.county, None, Event.LocatedBy.NONE
        method = Event.LocatedBy.GRID if found.grid_id else Event.LocatedBy.NEAREST
        return self.regions[found.region_id], found.grid_id, method

    def township(self, region: Region) -> Region | None:
        if region.level == Region.Level.TOWNSHIP:
            return region
        if region.level == Region.Level.VILLAGE:
            return self.regions.get(region.parent_id)
        return None

    def centre_for(self, region: Region | None) -> Department | None:
        if region is None:
            return None
        if region.pk not in self._centres:
            self._centres[region.pk] = routing.centre_for(region)
        return self._centres[region.pk]

    def route(self, category: Category | None, region: Region) -> routing.Route:
        township = self.township(region)
        local = category is not None and bool(
            {None, category.pk, category.parent_id} & self.local_categories
        )
        if self.deep_rules or township is None:
            place = region.pk
        else:
            place = township.pk if local else None
        # The route's centre is the place's own: callers take it from centre_for().
        key = (category.pk if category else None, place)
        if key not in self._routes:
            self._routes[key] = routing.route(category, region)
        return self._routes[key]

    def spot(self, region: Region) -> str:
        urban = region.name.endswith("社区")
        spot = self.rng.choice(URBAN_SPOTS if urban else RURAL_SPOTS)
        return spot.format(n=self.rng.randint(1, 12), m=self.rng.randint(1, 40))

    # people -------------------------------------------------------------------------------

    def name(self) -> str:
        while True:
            name = self.rng.choice(data.SURNAMES) + self.rng.choice(data.GIVEN_NAMES)
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def _demo_user(self, username: str, role: str, **unit) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=self.name(), is_demo=True)
            user.set_unusable_password()
            user.save()
        Membership.objects.get_or_create(user=user, role=role, **unit)
        return user

    def _load_residents(self) -> None:
        """Residents who report through the app: resident01 and some invented ones."""
        resident01 = self.users["resident01"]
        home = resident01.memberships.values_list("grid_id", flat=True).first()
        self.residents: list[tuple[User, Grid]] = []
        if home in self.grid_by_id:
            self.residents.append((resident01, self.grid_by_id[home]))
        base = [g for g in self.grids if g.kind in (Grid.Kind.RURAL, Grid.Kind.COMMUNITY)]
        for index in range(RESIDENT_ACCOUNTS):
            grid = self.rng.choice(base)
            user = self._demo_user(f"demo-resident-{index + 1:02d}", Role.RESIDENT, grid=grid)
            grid = self.grid_by_id.get(user.memberships.values_list("grid_id", flat=True)[0], grid)
            self.residents.append((user, grid))

    def handler(self, department: Department) -> User:
        """Return a handler of ``department``, creating a demo one when it has none."""
        if department.pk not in self.handlers:
            self.handlers[department.pk] = self._demo_user(
                f"demo-{department.code}", Role.DEPARTMENT_HANDLER, department=department
            )
        return self.handlers[department.pk]

    def department(self, key: str, township: Region | None = None) -> Department | None:
        if township is not None and f"{township.code}-{key}" in self.departments:
            return self.departments[f"{township.code}-{key}"]
        return self.departments.get(f"{self.county.code}-{key}")

    def alternate(self, department: Department) -> Department:
        key = department.code.split("-", 1)[1]
        other = self.department(ALTERNATES.get(key, "enforcement"))
        if other is None or other.pk == department.pk:
            other = self.department("petition")
        return other
