"""Load the fictional demo county 示范县: regions, grids and their teams, departments, accounts.

``load_demo()`` is idempotent: rows are keyed on their codes and usernames and updated in place,
so running it twice leaves the same rows (and the same ids) behind. Every row it writes is
marked ``is_demo`` and passes ``full_clean()`` first.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts.models import Department, Membership, User
from pingan.core.demo import demo_loader
from pingan.geo import demo_data as data
from pingan.geo.models import Grid, GridMember, Region

Box = tuple[float, float, float, float]  # (west, south, east, north)

# A fixed salt gives the same hash on every run, so re-loading the demo does not sign the demo
# accounts out; the password is public anyway.
DEMO_SALT = "pingandemo2026"  # noqa: S105 -- salt of the public demo password
# Size in degrees (lng, lat) of each kind of dedicated grid: a campus, a market, a valley.
DEDICATED_SIZES = {
    "school": (0.004, 0.003),
    "hospital": (0.004, 0.003),
    "market": (0.003, 0.002),
    "scenic": (0.016, 0.012),
    "enterprise": (0.010, 0.006),
}
# Which Membership field holds each kind of unit named in demo_data.DEMO_ACCOUNTS.
UNIT_FIELDS = {"county": "region", "township": "region", "grid": "grid", "department": "department"}
Member = tuple[str, str, str, str | None]  # (GridMember role, name, work phone, username)


@dataclass
class GridSpec:
    code: str
    name: str
    kind: str
    region_code: str
    box: Box
    households: int
    subkind: str = ""
    description: str = ""
    active_from: dt.date | None = None
    active_until: dt.date | None = None
    team: list[Member] = field(default_factory=list)


def rect(box: Box) -> dict[str, Any]:
    """Return a GeoJSON Polygon for a (west, south, east, north) box, counter-clockwise."""
    w, s, e, n = (round(v, 6) for v in box)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def split(lo: float, hi: float, parts: int) -> list[float]:
    """Return parts + 1 edges from lo to hi, rounded once so that neighbours share them exactly."""
    return [round(lo + (hi - lo) * i / parts, 6) for i in range(parts + 1)]


class People:
    """Invent names and fake work phones, the same ones on every run."""

    def __init__(self) -> None:
        self.rng = random.Random(2026)  # noqa: S311 -- invented names, not secrets
        # Invented people never share a name with a demo account.
        self.used: set[str] = {account[1] for account in data.DEMO_ACCOUNTS}
        self.phones: dict[str, str] = {}

    def name(self, tibetan: bool = False) -> str:
        while True:
            if tibetan and self.rng.random() < 0.6:
                first, second = self.rng.sample(data.TIBETAN_NAMES, 2)
                candidate = first + second
            else:
                candidate = self.rng.choice(data.SURNAMES) + self.rng.choice(data.GIVEN_NAMES)
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate

    def member(self, role: str, name: str, username: str | None = None) -> Member:
        """Return a team member; one person keeps one work phone across grids."""
        if name not in self.phones:
            # 1390000xxxx is not issued to anyone: obviously a demo number.
            self.phones[name] = f"1390000{len(self.phones) + 1:04d}"
        return (role, name, self.phones[name], username)


def plan_places(people: People) -> tuple[list[dict], list[GridSpec], dict[str, str]]:
    """Return the regions (parents first), the grids, and the codes of the demo accounts' grids."""
    county_box = data.COUNTY_BBOX
    regions = [
        {
            "code": data.COUNTY_CODE,
            "name": data.COUNTY_NAME,
            "level": Region.Level.COUNTY,
            "parent": None,
            "boundary": rect(county_box),
        }
    ]
    grids: list[GridSpec] = []
    villages: dict[str, tuple[str, Box]] = {}  # village name -> (code, box)
    for suffix, t_name, t_box, rows, v_names in data.TOWNSHIPS:
        t_code = data.COUNTY_CODE + suffix
        regions.append(
            {
                "code": t_code,
                "name": t_name,
                "level": Region.Level.TOWNSHIP,
                "parent": data.COUNTY_CODE,
                "boundary": rect(t_box),
            }
        )
        urban = t_name.endswith("街道")
        tibetan = suffix in data.TIBETAN_TOWNSHIPS
        lawyers = [people.name(), people.name()]
        names = iter(v_names)
        index = 0
        ys = split(t_box[1], t_box[3], len(rows))
        for row, count in enumerate(rows):
            xs = split(t_box[0], t_box[2], count)
            for col in range(count):
                index += 1
                v_name = next(names)
                v_code = t_code + (f"{index:03d}" if urban else f"{200 + index}")
                v_box = (xs[col], ys[row], xs[col + 1], ys[row + 1])
                villages[v_name] = (v_code, v_box)
                regions.append(
                    {
                        "code": v_code,
                        "name": v_name,
                        "level": Region.Level.VILLAGE,
                        "parent": t_code,
                        "boundary": rect(v_box),
                    }
                )
                grids += plan_base_grids(
                    people, v_code, v_name, v_box, urban, tibetan, lawyers[index % 2]
                )
    for v_name, seq, g_name, subkind, households, description in data.DEDICATED_GRIDS:
        v_code, (w, s, e, n) = villages[v_name]
        dw, dh = DEDICATED_SIZES[subkind]
        cx, cy = (w + e) / 2, (s + n) / 2
        roles = ["grid_chief", "grid_worker", "grid_police"]
        if subkind in ("school", "market", "scenic"):
            roles.append("volunteer")
        team = [people.member(role, people.name()) for role in roles]
        grids.append(
            GridSpec(
                code=f"{v_code}{seq:03d}",
                name=g_name,
                kind=Grid.Kind.DEDICATED,
                subkind=subkind,
                region_code=v_code,
                box=(cx - dw / 2, cy - dh / 2, cx + dw / 2, cy + dh / 2),
                households=households,
                description=description,
                team=team,
            )
        )
    grids.append(plan_mobile_grid(people))
    grid_codes = {
        key: villages[v_name][0] + f"{number:03d}"
        for key, (v_name, number) in data.DEMO_GRIDS.items()
    }
    return regions, grids, grid_codes


def plan_base_grids(
    people: People, v_code: str, v_name: str, box: Box, urban: bool, tibetan: bool, lawyer: str
) -> list[GridSpec]:
    """Split a village into strips along its longer side, one grid (and team) per strip."""
    count = data.GRID_COUNTS.get(v_name, 2 if urban else 1)
    w, s, e, n = box
    # A degree of longitude is about 0.87 of a degree of latitude at 30°N.
    if (e - w) * 0.87 >= n - s:
        xs = split(w, e, count)
        strips = [(xs[i], s, xs[i + 1], n) for i in range(count)]
    else:
        ys = split(s, n, count)
        strips = [(w, ys[i], e, ys[i + 1]) for i in range(count)]
    rng = people.rng
    secretary = people.name(tibetan)
    police = people.name()  # 一村一警: one officer for all grids of the village
    specs = []
    for i, strip in enumerate(strips, start=1):
        if count == 1:
            g_name = f"{v_name}网格"
        else:
            g_name = f"{v_name}第{data.CHINESE_NUMERALS[i - 1]}网格"
        chief = secretary if i == 1 else people.name(tibetan)
        team = [people.member("grid_chief", chief)]
        team += [
            people.member("grid_worker", people.name(tibetan)) for _n in range(rng.randint(1, 2))
        ]
        team.append(people.member("grid_police", police))
        if rng.random() < 0.5:
            team.append(people.member("legal_adviser", lawyer))
        else:
            team.append(people.member("village_officer", people.name(tibetan)))
        if rng.random() < 0.35:
            team.append(people.member("volunteer", people.name(tibetan)))
        specs.append(
            GridSpec(
                code=f"{v_code}{i:03d}",
                name=g_name,
                kind=Grid.Kind.COMMUNITY if urban else Grid.Kind.RURAL,
                region_code=v_code,
                box=strip,
                households=rng.randint(180, 230) if urban else rng.randint(60, 300),
                team=team,
            )
        )
    return specs


def plan_mobile_grid(people: People) -> GridSpec:
    """Return the seasonal grid over the high pastures of one township."""
    spec = data.MOBILE_GRID
    suffix = spec["township"]
    w, s, e, n = next(t[2] for t in data.TOWNSHIPS if t[0] == suffix)
    fw, fs, fe, fn = spec["extent"]
    box = (w + (e - w) * fw, s + (n - s) * fs, w + (e - w) * fe, s + (n - s) * fn)
    year = timezone.localdate().year
    t_code = data.COUNTY_CODE + suffix
    return GridSpec(
        code=f"{t_code}000{spec['sequence']:03d}",
        name=spec["name"],
        kind=Grid.Kind.MOBILE,
        region_code=t_code,
        box=box,
        households=spec["households"],
        description=spec["description"],
        active_from=dt.date(year, 5, 1),
        active_until=dt.date(year, 8, 31),
        team=[
            people.member("grid_chief", people.name(True)),
            people.member("grid_worker", people.name(True)),
            people.member("grid_worker", people.name(True)),
            people.member("grid_police", people.name()),
            people.member("auxiliary_police", people.name(True)),
            people.member("volunteer", people.name(True)),
        ],
    )


def upsert(model: type[models.Model], key: dict[str, Any], values: dict[str, Any]):
    """Update the row matching ``key`` (or make a new one) with ``values``; validate; save."""
    obj = model.objects.filter(**key).first() or model(**key)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def place_demo_accounts(people: People, grids: list[GridSpec], grid_codes: dict[str, str]) -> None:
    """Put the demo grid accounts into their grids' teams in place of an invented person."""
    by_code = {g.code: g for g in grids}
    for username, full_name, _label, roles, _staff, _superuser in data.DEMO_ACCOUNTS:
        for role, unit in roles:
            if not unit.startswith("grid:") or role not in ("grid_worker", "grid_police"):
                continue
            team = by_code[grid_codes[unit.removeprefix("grid:")]].team
            i = next(i for i, member in enumerate(team) if member[0] == role)
            team[i] = people.member(role, full_name, username)


@demo_loader(order=10, refreshes=True)
def load_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Create or refresh the demo county and return how many demo rows of each kind exist.

    The first of the demo loaders (``pingan.core.demo``): the apps above seed their own data.
    """
    with transaction.atomic():
        people = People()
        regions, grid_specs, grid_codes = plan_places(people)
        place_demo_accounts(people, grid_specs, grid_codes)
        by_code: dict[str, Region] = {}
        for r in regions:
            parent = by_code[r["parent"]] if r["parent"] else None
            by_code[r["code"]] = upsert(
                Region, {"code": r["code"]}, {**r, "parent": parent, "is_demo": True}
            )
        grids = {spec.code: save_grid(spec, by_code[spec.region_code]) for spec in grid_specs}
        departments = load_departments(by_code)
        units: dict[str, models.Model] = {
            "county": by_code[data.COUNTY_CODE],
            **{f"township:{t[0]}": by_code[data.COUNTY_CODE + t[0]] for t in data.TOWNSHIPS},
            **{f"grid:{key}": grids[code] for key, code in grid_codes.items()},
            **{f"department:{key}": dept for key, dept in departments.items()},
        }
        users = load_accounts(units, stdout)
        save_teams(grids, grid_specs, users)
    return counts()


def save_grid(spec: GridSpec, region: Region) -> Grid:
    """Create or update one demo grid."""
    return upsert(
        Grid,
        {"code": spec.code},
        {
            "name": spec.name,
            "kind": spec.kind,
            "subkind": spec.subkind,
            "region": region,
            "geometry": rect(spec.box),
            "households": spec.households,
            "active_from": spec.active_from,
            "active_until": spec.active_until,
            "is_active": True,
            "description": spec.description,
            "is_demo": True,
        },
    )


def load_departments(by_code: dict[str, Region]) -> dict[str, Department]:
    """Create or update the centres and departments; return them keyed by code suffix."""
    county = by_code[data.COUNTY_CODE]
    phones = iter(range(1, 1000))
    result: dict[str, Department] = {}

    def save(key: str, code: str, name: str, short: str, kind: str, region, parent=None):
        result[key] = upsert(
            Department,
            {"code": code},
            {
                "name": name,
                "short_name": short,
                "kind": kind,
                "region": region,
                "parent": parent,
                # Local numbers never start with 0: obviously a demo number.
                "phone": f"0836-0000{next(phones):03d}",
                "is_active": True,
                "is_demo": True,
            },
        )

    for suffix, name, short, kind in data.COUNTY_DEPARTMENTS:
        save(suffix, f"{data.COUNTY_CODE}-{suffix}", name, short, kind, county)
    for suffix, t_name, *_rest in data.TOWNSHIPS:
        town = by_code[data.COUNTY_CODE + suffix]
        stem = t_name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        prefix = f"{town.code}-"
        save(f"{suffix}-center", prefix + "center", f"{t_name}综治中心", "综治中心", "center", town)
        save(
            f"{suffix}-police",
            prefix + "police",
            f"{stem}派出所",
            f"{stem}所",
            "police",
            town,
            result["police"],
        )
        save(
            f"{suffix}-justice",
            prefix + "justice",
            f"{stem}司法所",
            f"{stem}司法所",
            "judicial",
            town,
            result["justice"],
        )
        if suffix in data.COURT_TOWNSHIPS:
            save(
                f"{suffix}-court",
                prefix + "court",
                f"{stem}人民法庭",
                f"{stem}法庭",
                "judicial",
                town,
                result["court"],
            )
    return result


def load_accounts(units: dict[str, models.Model], stdout: TextIO | None) -> dict[str, User]:
    """Create or refresh the demo accounts and their memberships; leave real accounts alone."""
    password = make_password(data.DEMO_PASSWORD, salt=DEMO_SALT)
    staff_group = centre_staff_group()
    users: dict[str, User] = {}
    for username, full_name, _label, roles, staff, superuser in data.DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is not None and not user.is_demo:
            if stdout is not None:
                stdout.write(
                    _("Skipped %(username)s: a real (not demo) account has this username.\n")
                    % {"username": username}
                )
            continue
        user = user or User(username=username)
        user.full_name = full_name
        user.is_demo = True
        user.is_active = True
        user.is_staff = staff
        user.is_superuser = superuser
        user.password = password
        user.full_clean()
        user.save()
        users[username] = user
        if staff and not superuser:
            user.groups.add(staff_group)
        kept = []
        for role, unit_key in roles:
            unit = units[unit_key]
            field_name = UNIT_FIELDS[unit_key.split(":")[0]]
            kept.append(upsert(Membership, {"user": user, "role": role, field_name: unit}, {}).pk)
        Membership.objects.filter(user=user).exclude(pk__in=kept).delete()
    return users


# What the centre's staff may do in the admin: keep the map and the calendar, read the rest.
CENTRE_STAFF_PERMISSIONS = [
    *(
        f"geo.{verb}_{model}"
        for verb in ("view", "add", "change")
        for model in ("region", "grid", "gridmember")
    ),
    *(
        f"core.{verb}_{model}"
        for verb in ("view", "add", "change")
        for model in ("calendarday", "workingperiod")
    ),
    "accounts.view_department",
    "accounts.view_membership",
    "accounts.view_user",
]


def centre_staff_group() -> Group:
    """Return the demo group that lets the county centre manage grids in the admin."""
    group, _created = Group.objects.get_or_create(name=data.CENTRE_STAFF_GROUP)
    set_centre_staff_permissions(CENTRE_STAFF_PERMISSIONS)
    return group


def set_centre_staff_permissions(permissions: Iterable[str]) -> None:
    """Make ``permissions`` (``app_label.codename``) the demo centre-staff group's for their apps.

    The group's permissions of apps not named here stay: each app above geo sets its own from
    its demo loader (events: its routing data), and reloading one app's demo leaves the others'.
    """
    group, _created = Group.objects.get_or_create(name=data.CENTRE_STAFF_GROUP)
    wanted, labels = [], set()
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        labels.add(app_label)
    others = group.permissions.exclude(content_type__app_label__in=labels)
    group.permissions.set([*wanted, *others])


def save_teams(grids: dict[str, Grid], specs: list[GridSpec], users: dict[str, User]) -> None:
    """Make each demo grid's team match its plan, updating rows in place to keep their ids."""
    existing: dict[int, list[GridMember]] = {}
    for member in GridMember.objects.filter(grid__in=grids.values()).order_by(
        "grid", "sort_order", "id"
    ):
        existing.setdefault(member.grid_id, []).append(member)
    surplus: list[int] = []
    for spec in specs:
        grid = grids[spec.code]
        rows = existing.get(grid.pk, [])
        for order, (role, name, phone, username) in enumerate(spec.team):
            row = rows[order] if order < len(rows) else GridMember(grid=grid)
            row.role, row.name, row.work_phone = role, name, phone
            row.sort_order = (order + 1) * 10
            row.user = users.get(username) if username else None
            row.full_clean()
            row.save()
        surplus += [row.pk for row in rows[len(spec.team) :]]
    GridMember.objects.filter(pk__in=surplus).delete()


def counts() -> dict[str, int]:
    """Return how many demo rows of each kind exist."""
    regions = Region.objects.filter(is_demo=True)
    return {
        "regions": regions.count(),
        "townships": regions.filter(level=Region.Level.TOWNSHIP).count(),
        "villages": regions.filter(level=Region.Level.VILLAGE).count(),
        "grids": Grid.objects.filter(is_demo=True).count(),
        "grid_members": GridMember.objects.filter(grid__is_demo=True).count(),
        "departments": Department.objects.filter(is_demo=True).count(),
        "users": User.objects.filter(is_demo=True).count(),
        "memberships": Membership.objects.filter(user__is_demo=True).count(),
    }
