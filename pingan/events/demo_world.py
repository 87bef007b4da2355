"""The world of the demo events, and the engine that plays each event's story.

A :class:`Story` makes the moves of one event: each is looked up in
``pingan.events.transitions.TRANSITIONS`` for the status at that moment, its actor must play one
of the move's roles (computed as ``queries.roles_in`` does) and its guard must hold, and its
effects are those of ``pingan.events.services``. Between moves the deadline sweep runs as it
would have: ``Story.fire`` does what ``pingan.events.supervision.on_overdue`` does.
Keep this module in step with services.py and supervision.py: ``tests/test_demo.py`` checks the
timelines it writes against the table.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import shapely
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts.models import Department, Membership, Role, User
from pingan.accounts.scope import scope_for
from pingan.core import sla
from pingan.events import queries, routing
from pingan.events.demo_texts import ALTERNATES, RURAL_SPOTS, URBAN_SPOTS
from pingan.events.models import (
    Assignment,
    Attachment,
    CallTerminal,
    Category,
    Event,
    EventLog,
    KeywordRule,
    Message,
    Request,
    RoutingRule,
)
from pingan.events.transitions import PREVIOUS, TRANSITIONS
from pingan.geo import demo_data as data
from pingan.geo.geometry import parse_polygon
from pingan.geo.locate import locate
from pingan.geo.models import Grid, GridMember, Region
from pingan.workflow import deadlines
from pingan.workflow.models import AccountabilityRecord

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
# The moves whose table entry has a guard, mirrored by Story._guard.
GUARDED = {
    "request_extension",
    "request_hold",
    "approve_extension",
    "approve_hold",
    "refuse_request",
    "rate",
    "reopen",
    "assist_done",
}
KIND_ORDER = {"sign": 0, "resolve": 1, "verify": 2, "yellow": 3, "red": 4}


class Stop(Exception):  # noqa: N818 -- control flow, not an error
    """The story's next move lies after now: the event stays where it is."""


class StoryError(Exception):
    """A story tried a move the transition table does not allow (a bug in this module)."""


@dataclass
class Clock:
    """A deadline of one event while its story is played (a ``Deadline`` row once written)."""

    kind: str
    unit: str
    start: dt.datetime
    due: dt.datetime
    opened: dt.datetime
    lag: int
    amount: Decimal | None = None
    fraction: float | None = None
    warn: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    paused_total: dt.timedelta = dt.timedelta(0)
    overdue_at: dt.datetime | None = None


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


class Story:
    """One event's life, played move by move against the transition table."""

    def __init__(self, world: World, event: Event) -> None:
        self.w = world
        self.rng = world.rng
        self.e = event
        self.t = event.reported_at
        self.logs: list[EventLog] = []
        self.assignments: list[Assignment] = []
        self.requests: list[Request] = []
        self.messages: list[Message] = []
        self.records: list[AccountabilityRecord] = []
        self.clocks: dict[str, Clock] = {}
        self.followers: set[User] = set()
        self.photos: list[tuple[str, EventLog, User | None]] = []
        self.statuses: list[tuple[dt.datetime, str]] = [(self.t, S.REPORTED)]
        self.merge_into: Story | None = None
        self.refs: list[tuple[EventLog, Story, str, str]] = []  # (log, story, key, pk|number)
        self.stopped_at: dt.datetime | None = None
        self.plan_category = event.category

    # the table ----------------------------------------------------------------------------

    def roles(self, user: User | None) -> frozenset[str]:
        """Return the parts ``user`` plays in the event now (as ``queries.roles_in``)."""
        if user is None:
            return frozenset()
        access = scope_for(user)
        e = self.e
        roles = set()
        if access.everything or access.covers(e.path, access.centre_paths):
            roles.add(queries.CENTRE)
        if access.covers(e.path, access.leader_paths):
            roles.add(queries.LEADER)
        if e.grid_id and e.grid_id in access.staff_grid_ids:
            roles.add(queries.GRID)
        for a in self.assignments:
            if a.ended_at is None and a.department_id in access.department_ids:
                roles.add(queries.DEPARTMENT if a.role == "lead" else queries.ASSISTING)
        if e.reporter_id == user.pk or user in self.followers:
            roles.add(queries.REPORTER)
        return frozenset(roles)

    def _guard(self, action: str) -> bool:
        pending = [r for r in self.requests if r.status == Request.Status.PENDING]
        if action in ("request_extension", "request_hold"):
            return not pending
        if action == "approve_extension":
            return any(r.kind == Request.Kind.EXTENSION for r in pending)
        if action == "approve_hold":
            return any(r.kind == Request.Kind.HOLD for r in pending)
        if action == "refuse_request":
            return bool(pending)
        if action == "rate":
            return not self.e.rating and self.e.reporter_id is not None
        if action == "reopen":
            return self.e.rating == Event.Rating.DISSATISFIED and self.e.reopen_count == 0
        if action == "assist_done":
            return any(
                a.role == "assist" and a.ended_at is None and a.done_at is None
                for a in self.assignments
            )
        return True

    def may(self, action: str, user: User | None) -> bool:
        """Return whether the table lets ``user`` make ``action`` now."""
        move = TRANSITIONS.get(self.e.status, {}).get(action)
        return move is not None and bool(move.roles & self.roles(user)) and self._guard(action)

    def step(self, action: str, actor: User, at: dt.datetime) -> tuple[str, str]:
        """Advance to ``at`` and check ``action`` against the table; return (before, target)."""
        at = max(at, self.t)
        if at > self.w.now:
            raise Stop
        self.advance(at)
        self.t = at
        move = TRANSITIONS.get(self.e.status, {}).get(action)
        if move is None:
            raise StoryError(f"{action} is not a move from {self.e.status}")
        if not move.roles & self.roles(actor):
            raise StoryError(f"{actor} may not {action} from {self.e.status}")
        if (move.guard is not None) != (action in GUARDED) or not self._guard(action):
            raise StoryError(f"the guard of {action} does not hold")
        target = move.target
        if target == PREVIOUS:
            target = self.e.resume_status or S.DISPATCHED
        return self.e.status, target

    def status(self, value: str) -> None:
        self.e.status = value
        self.statuses.append((self.t, value))

    def status_at(self, moment: dt.datetime) -> str:
        current = S.REPORTED
        for at, value in self.statuses:
            if at > moment:
                break
            current = value
        return current

    def log(self, action: str, actor: User | None, **fields) -> EventLog:
        entry = EventLog(
            event=self.e,
            at=fields.pop("at", None) or self.t,
            actor=actor,
            action=action,
            from_status=fields.pop("frm", ""),
            to_status=fields.pop("to", ""),
            note=fields.pop("note", "") or "",
            department=fields.pop("department", None),
            data=fields.pop("data", None) or {},
        )
        self.logs.append(entry)
        return entry

    # deadlines (pingan.workflow.deadlines and the sweep) -------------------------------------

    def open_clock(self, kind: str, *, start, amount=None, unit=sla.Unit.NATURAL_HOURS, due=None):
        if due is None:
            due = sla.add(start, amount, unit, calendar=self.w.calendar)
        self.clocks[kind] = Clock(
            kind=kind,
            unit=str(unit),
            start=start,
            due=due,
            opened=self.t,
            lag=self.rng.randint(5, 59),
            amount=Decimal(str(amount)) if amount is not None else None,
            fraction=1.0 if kind in ("yellow", "red") else None,
        )
        return self.clocks[kind]

    def close_clocks(self, *kinds: str) -> None:
        for kind in kinds or list(self.clocks):
            self.clocks.pop(kind, None)

    def warn(self, clock: Clock) -> dt.datetime:
        if clock.warn is None:
            clock.warn = deadlines.compute_warn_at(
                clock.start, clock.due, clock.unit, clock.fraction, self.w.calendar
            )
        return clock.warn

    def pause(self) -> None:
        for clock in self.clocks.values():
            if clock.paused_at is None:
                self.warn(clock)
                clock.paused_at = self.t

    def resume(self) -> None:
        calendar = self.w.calendar
        for clock in self.clocks.values():
            since = clock.paused_at
            if since is None:
                continue
            line = sla.Unit.WORKING_HOURS if sla.Unit(clock.unit).is_working else "natural_hours"
            if clock.due > since:
                left = sla.elapsed(since, clock.due, line, calendar=calendar)
                clock.due = sla.add(self.t, left, line, calendar=calendar)
            if clock.warn > since:
                left = sla.elapsed(since, clock.warn, line, calendar=calendar)
                clock.warn = min(sla.add(self.t, left, line, calendar=calendar), clock.due)
            clock.paused_total += self.t - since
            clock.paused_at = None

    def advance(self, until: dt.datetime, *, final: bool = False) -> None:
        """Fire the overdue hooks the sweep would have fired up to ``until``, in order."""
        while True:
            ready = []
            for clock in self.clocks.values():
                if clock.paused_at is not None or clock.overdue_at is not None:
                    continue
                fire = max(clock.due, clock.opened) + dt.timedelta(seconds=clock.lag)
                if fire > until:
                    if not (final and clock.due <= until):
                        continue
                    fire = until
                ready.append((fire, clock.due, KIND_ORDER[clock.kind], clock))
            if not ready:
                return
            fire, _due, _order, clock = min(ready, key=lambda r: r[:3])
            self.fire(clock, fire)

    def fire(self, clock: Clock, at: dt.datetime) -> None:
        """Do what ``supervision.on_overdue`` does when ``clock`` passes."""
        e = self.e
        clock.overdue_at = at
        order = Event.SUPERVISION_ORDER
        if clock.kind in ("sign", "resolve"):
            if e.department_id and not any(
                r.kind == clock.kind
                and r.due_at == clock.due
                and r.department_id == e.department_id
                for r in self.records
            ):
                self.records.append(
                    AccountabilityRecord(
                        department=e.department,
                        kind=clock.kind,
                        due_at=clock.due,
                        recorded_at=at,
                        county_code=e.county_code,
                    )
                )
            if e.overdue_since is None:
                e.overdue_since = clock.due
            self.log(
                "overdue",
                None,
                at=at,
                department=e.department,
                data={"kind": clock.kind, "due_at": clock.due.isoformat()},
            )
            note = _("Deadline was %(due)s") % {"due": _local(clock.due)}
            if order[e.supervision] < 1:
                self.supervision(Event.Supervision.NORMAL, None, note=note, at=at, automatic=True)
            if "yellow" not in self.clocks and order[e.supervision] < 2:
                saved, self.t = self.t, at
                self.open_clock(
                    "yellow",
                    start=clock.due,
                    due=clock.due + dt.timedelta(hours=self.w.yellow_hours),
                )
                self.t = saved
        elif clock.kind == "yellow":
            if order[e.supervision] < 2:
                note = _("Overdue for %(h)g hours") % {"h": self.w.yellow_hours}
                self.supervision(Event.Supervision.YELLOW, None, note=note, at=at, automatic=True)
            saved, self.t = self.t, at
            hours = max(self.w.red_hours - self.w.yellow_hours, 0)
            self.open_clock("red", start=clock.due, due=clock.due + dt.timedelta(hours=hours))
            self.t = saved
        elif clock.kind == "red" and order[e.supervision] < 3:
            note = _("Overdue for %(h)g hours") % {"h": self.w.red_hours}
            self.supervision(Event.Supervision.RED, None, note=note, at=at, automatic=True)

    def supervision(self, grade, actor, *, note="", at=None, automatic=False) -> None:
        """``services.raise_supervision``: set the grade, log the change."""
        if grade == self.e.supervision:
            return
        old, self.e.supervision = self.e.supervision, grade
        self.log(
            "supervise",
            actor,
            at=at,
            note=note,
            department=self.e.department,
            data={"from": old, "to": grade, "automatic": automatic},
        )

    # moves (pingan.events.services) -----------------------------------------------------

    def end_assignments(self, role: str | None = None, department=None) -> None:
        for a in self.assignments:
            if a.ended_at is None and (role is None or a.role == role):
                if department is None or a.department_id == department.pk:
                    a.ended_at = self.t

    def dispatch_to(self, department, actor, *, note="", auto=False, action="dispatch") -> None:
        """``services._dispatch``: a new lead department, its deadlines opened."""
        e = self.e
        before = e.status
        self.end_assignments("lead")
        self.end_assignments(department=department)
        self.assignments.append(
            Assignment(event=e, department=department, role="lead", assigned_at=self.t)
        )
        e.department = department
        if e.first_department_id is None:
            e.first_department = department
        self.status(S.DISPATCHED)
        e.dispatched_at = self.t
        e.signed_at = None
        category = e.category
        self.close_clocks("yellow", "red")
        sign = self.open_clock(
            "sign", start=self.t, amount=category.sign_amount, unit=category.sign_unit
        )
        resolve = self.open_clock(
            "resolve", start=self.t, amount=category.resolve_amount, unit=category.resolve_unit
        )
        e.sign_due_at, e.resolve_due_at = sign.due, resolve.due
        e.overdue_since = None
        self.log(
            action,
            actor,
            frm=before,
            to=S.DISPATCHED,
            note=note,
            department=department,
            data={"automatic": auto, "rule": e.routing_rule_id},
        )

    def reclassify(self, category: Category, actor) -> None:
        old = self.e.category
        if old is not None and old.pk == category.pk:
            return
        self.e.category = category
        self.e.category_source = Event.CategorySource.PERSON
        self.e.keyword_rule = None
        self.log(
            "classify",
            actor,
            note=str(category),
            data={"from": old.code if old else "", "to": category.code},
        )

    def dispatch(self, actor, at, department, *, category=None, note="") -> None:
        self.step("dispatch", actor, at)
        if category is not None:
            self.reclassify(category, actor)
        self.e.routing_rule = None
        self.dispatch_to(department, actor, note=note)

    def reassign(self, actor, at, department, note="") -> None:
        self.step("reassign", actor, at)
        self.e.routing_rule = None
        self.dispatch_to(department, actor, note=note, action="reassign")

    def sign(self, actor, at, note="") -> None:
        before, target = self.step("sign", actor, at)
        e = self.e
        self.status(target)
        e.signed_at = self.t
        e.signed_on_time = e.sign_due_at is None or self.t <= e.sign_due_at
        self.close_clocks("sign")
        if e.resolve_due_at is None or e.resolve_due_at > self.t:
            self.close_clocks("yellow")
            self.close_clocks("red")
            e.overdue_since = None
        for a in self.assignments:
            if a.ended_at is None and a.role == "lead":
                a.signed_at = self.t
        self.log("sign", actor, frm=before, to=target, note=note, department=e.department)

    def start(self, actor, at, note="") -> None:
        before, target = self.step("start", actor, at)
        self.status(target)
        self.log("start", actor, frm=before, to=target, note=note, department=self.e.department)

    def resolve(self, actor, at, note) -> None:
        before, target = self.step("resolve", actor, at)
        e = self.e
        self.status(target)
        e.resolved_at = self.t
        e.resolved_on_time = e.resolve_due_at is None or self.t <= e.resolve_due_at
        self.close_clocks()
        self.open_clock("verify", start=self.t, amount=self.w.verify_hours)
        entry = self.log(
            "resolve", actor, frm=before, to=target, note=note, department=e.department
        )
        self.photos.append((Attachment.Stage.RESOLUTION, entry, actor))

    def verify(self, actor, at, note="") -> None:
        before, target = self.step("verify", actor, at)
        self.status(target)
        self.e.closed_at = self.t
        self.close_clocks()
        for a in self.assignments:
            if a.role == "lead" and a.ended_at is None and a.done_at is None:
                a.done_at = self.t
        self.end_assignments()
        self.log("verify", actor, frm=before, to=target, note=note, department=self.e.department)

    def rework(self, actor, at, note) -> None:
        before, target = self.step("rework", actor, at)
        e = self.e
        self.status(target)
        e.rework_count += 1
        e.resolved_at = None
        e.resolved_on_time = None
        self.close_clocks()
        self.open_clock("resolve", start=self.t, due=e.resolve_due_at)
        self.log("rework", actor, frm=before, to=target, note=note, department=e.department)

    def return_(self, actor, at, note) -> None:
        before, target = self.step("return", actor, at)
        e = self.e
        department = e.department
        self.end_assignments()
        self.close_clocks()
        self.status(target)
        e.department = None
        e.return_count += 1
        e.sign_due_at = e.resolve_due_at = None
        e.overdue_since = None
        self.log("return", actor, frm=before, to=target, note=note, department=department)

    def suspend(self, actor, at, note) -> None:
        before, target = self.step("suspend", actor, at)
        self.e.resume_status = before
        self.status(target)
        self.pause()
        self.log("suspend", actor, frm=before, to=target, note=note, department=self.e.department)

    def resume_(self, actor, at, note="") -> None:
        before, target = self.step("resume", actor, at)
        self.resume()
        for kind in ("sign", "resolve"):
            if kind in self.clocks:
                setattr(self.e, f"{kind}_due_at", self.clocks[kind].due)
        self.status(target)
        self.e.resume_status = ""
        self.log("resume", actor, frm=before, to=target, note=note, department=self.e.department)

    def request(self, kind, actor, at, note, new_due=None) -> None:
        self.step(f"request_{kind}", actor, at)
        if kind == Request.Kind.EXTENSION and not (
            new_due > self.e.resolve_due_at and new_due > self.t
        ):
            raise StoryError("an extension asks for a later deadline")
        self.requests.append(
            Request(
                event=self.e,
                kind=kind,
                department=self.e.department,
                reason=note,
                new_due_at=new_due,
                requested_by=actor,
                requested_at=self.t,
            )
        )
        self.log(
            f"request_{kind}",
            actor,
            note=note,
            department=self.e.department,
            data={"due_at": new_due.isoformat() if new_due else ""},
        )

    def decide(self, request: Request, status: str, actor, note: str) -> None:
        request.status = status
        request.decided_by = actor
        request.decided_at = self.t
        request.decision_note = note

    def pending(self, kind: str | None = None) -> Request:
        return next(
            r
            for r in self.requests
            if r.status == Request.Status.PENDING and (kind is None or r.kind == kind)
        )

    def approve_extension(self, actor, at, note="") -> None:
        self.step("approve_extension", actor, at)
        e = self.e
        request = self.pending(Request.Kind.EXTENSION)
        self.close_clocks("yellow", "red")
        self.open_clock("resolve", start=self.t, due=request.new_due_at)
        e.resolve_due_at = request.new_due_at
        e.extension_count += 1
        if e.signed_at is not None or e.sign_due_at is None or e.sign_due_at > self.t:
            e.overdue_since = None
        self.decide(request, Request.Status.APPROVED, actor, note)
        self.log(
            "approve_extension",
            actor,
            note=note,
            department=e.department,
            data={"due_at": request.new_due_at.isoformat()},
        )

    def approve_hold(self, actor, at, note="") -> None:
        before, target = self.step("approve_hold", actor, at)
        request = self.pending(Request.Kind.HOLD)
        self.e.resume_status = before
        self.status(target)
        self.e.was_on_hold = True
        self.pause()
        self.decide(request, Request.Status.APPROVED, actor, note)
        self.log(
            "approve_hold", actor, frm=before, to=target, note=note, department=self.e.department
        )

    def refuse(self, actor, at, note) -> None:
        self.step("refuse_request", actor, at)
        request = self.pending()
        self.decide(request, Request.Status.REFUSED, actor, note)
        self.log(
            "refuse_request",
            actor,
            note=note,
            department=self.e.department,
            data={"kind": request.kind},
        )

    def urge(self, actor, at, note) -> None:
        self.step("urge", actor, at)
        self.e.urge_count += 1
        self.log("urge", actor, note=note, department=self.e.department)

    def supervise(self, actor, at, grade, note="") -> None:
        self.step("supervise", actor, at)
        self.supervision(grade, actor, note=note)

    def escalate(self, actor, at, note) -> None:
        self.step("escalate", actor, at)
        e = self.e
        township = e.township
        current = e.escalated_to
        at_township = current is not None and township and current.region_id == township.pk
        at_county = current is not None and current.region_id == self.w.county.pk
        level = "county" if (at_township or at_county or township is None) else "township"
        centre = self.w.centre_for(township if level == "township" else self.w.county)
        if centre is None or (current and current.pk == centre.pk):
            raise StoryError("no centre to escalate to")
        e.escalated_to = centre
        if Event.SUPERVISION_ORDER[e.supervision] < 1:
            e.supervision = Event.Supervision.NORMAL
        self.log("escalate", actor, note=note, department=centre, data={"level": level})

    def summon(self, actor, at, departments, note) -> list[Department]:
        self.step("summon", actor, at)
        active = {a.department_id for a in self.assignments if a.ended_at is None}
        added = [d for d in departments if d.pk != self.e.department_id and d.pk not in active]
        if not added:
            raise StoryError("nobody new to summon")
        for department in added:
            self.assignments.append(
                Assignment(
                    event=self.e,
                    department=department,
                    role="assist",
                    assigned_at=self.t,
                    note=note,
                )
            )
        self.log("summon", actor, note=note, data={"departments": [d.code for d in added]})
        return added

    def _my_parts(self, actor) -> list[Assignment]:
        mine = scope_for(actor).department_ids
        return [
            a
            for a in self.assignments
            if a.role == "assist" and a.ended_at is None and a.department_id in mine
        ]

    def assist_sign(self, actor, at, note="") -> None:
        self.step("assist_sign", actor, at)
        for part in self._my_parts(actor):
            if part.signed_at is None:
                part.signed_at = self.t
                self.log("assist_sign", actor, note=note, department=part.department)

    def assist_done(self, actor, at, note) -> None:
        self.step("assist_done", actor, at)
        for part in self._my_parts(actor):
            if part.done_at is None:
                part.done_at = self.t
                part.signed_at = part.signed_at or self.t
                part.note = note
                self.log("assist_done", actor, note=note, department=part.department)

    def merge(self, actor, at, survivor: Story, note="") -> None:
        before, target = self.step("merge", actor, at)
        if survivor.status_at(self.t) not in Event.OPEN_STATUSES:
            raise StoryError("merge into an open event")
        self.status(target)
        self.merge_into = survivor
        self.e.closed_at = self.t
        self.close_clocks()
        self.end_assignments()
        entry = self.log("merge", actor, frm=before, to=target, note=note)
        self.refs += [(entry, survivor, "into", "number"), (entry, survivor, "into_id", "pk")]
        reporter = self.e.reporter
        if reporter is not None and reporter.pk != survivor.e.reporter_id:
            survivor.followers.add(reporter)
        absorb = survivor.log("absorb", actor, at=self.t, note=note)
        survivor.refs += [(absorb, self, "merged", "number"), (absorb, self, "merged_id", "pk")]

    def invalidate(self, actor, at, note) -> None:
        before, target = self.step("invalidate", actor, at)
        self.status(target)
        self.e.closed_at = self.t
        self.close_clocks()
        self.end_assignments()
        self.log(
            "invalidate", actor, frm=before, to=target, note=note, department=self.e.department
        )

    def rate(self, actor, at, rating, note="") -> None:
        self.step("rate", actor, at)
        self.e.rating = rating
        self.e.rating_comment = note
        self.e.rated_at = self.t
        self.log("rate", actor, note=note, data={"rating": rating})

    def reopen(self, actor, at, note) -> None:
        self.step("reopen", actor, at)
        e = self.e
        e.reopen_count += 1
        e.rating = e.rating_comment = ""
        e.rated_at = e.closed_at = e.resolved_at = None
        e.resolved_on_time = e.signed_on_time = None
        # One timeline entry, closed → dispatched, as services._do_reopen writes it.
        self.dispatch_to(e.department, actor, note=note, action="reopen")

    def message(self, actor, at, note, internal=False) -> None:
        self.step("message", actor, at)
        if self.roles(actor) == {queries.REPORTER}:
            internal = False
        self.messages.append(
            Message(event=self.e, author=actor, body=note, internal=internal, created_at=self.t)
        )

    def finish(self) -> None:
        """Let the sweep catch up with now: the event is left as a running demo would find it."""
        self.advance(self.w.now, final=True)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
