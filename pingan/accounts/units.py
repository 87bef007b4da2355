"""A person's own unit (所在单位), as a timeline names it next to their name.

A user's unit comes from their role memberships: a department handler's department, a grid
worker's grid, a centre dispatcher's governance centre (the 综治中心 department of their region,
or the region), a leader's or mediator's region. For work on one item the unit that fits it is
named: the department among the item's departments, the grid of the item, the centre whose
region holds the item. Timelines store the name when the entry is written, so that history
stays right when the person later moves to another unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pingan.accounts.models import Department, Membership, Role
from pingan.accounts.scope import CENTRE_ROLES, GRID_STAFF_ROLES


@dataclass(frozen=True)
class Unit:
    """One membership's unit: what it is, where it lies and its name."""

    role: str
    name: str
    path: str = ""
    grid_id: int | None = None
    department_id: int | None = None


def _load(user) -> list[Unit]:
    rows = list(
        Membership.objects.filter(user_id=user.pk)
        .order_by("pk")
        .values_list(
            "role",
            "region_id",
            "region__path",
            "region__name",
            "grid_id",
            "grid__path",
            "grid__name",
            "department_id",
            "department__name",
        )
    )
    centre_regions = {row[1] for row in rows if row[0] in CENTRE_ROLES and row[1]}
    centres: dict[int, str] = {}
    if centre_regions:
        for region_id, name in (
            Department.objects.filter(
                region_id__in=centre_regions, kind=Department.Kind.CENTER, is_active=True
            )
            .order_by("-code")
            .values_list("region_id", "name")
        ):
            centres[region_id] = name
    units = []
    for role, region_id, r_path, r_name, grid_id, g_path, g_name, dept_id, dept_name in rows:
        if dept_id:
            units.append(Unit(role, dept_name, department_id=dept_id))
        elif grid_id:
            units.append(Unit(role, g_name, path=g_path or "", grid_id=grid_id))
        elif region_id:
            name = centres.get(region_id, r_name) if role in CENTRE_ROLES else r_name
            units.append(Unit(role, name, path=r_path or ""))
    return units


def units_of(user) -> list[Unit]:
    """Return the units of ``user``'s memberships, loaded once per user object."""
    if not getattr(user, "pk", None):
        return []
    cached = getattr(user, "_pingan_units", None)
    if cached is None:
        cached = _load(user)
        try:
            user._pingan_units = cached
        except AttributeError:
            pass
    return cached


def unit_name(
    user, *, path: str = "", grid_id: int | None = None, department_ids: Iterable[int] = ()
) -> str:
    """Return the name of ``user``'s own unit for work on an item at ``path`` in ``grid_id``.

    ``department_ids``: the departments that work on the item. '' for a user without a unit.
    """
    units = units_of(user)
    if not units:
        return ""
    departments = set(department_ids)
    for unit in units:
        if unit.department_id and unit.department_id in departments:
            return unit.name
    for unit in units:
        if grid_id and unit.grid_id == grid_id and unit.role in GRID_STAFF_ROLES:
            return unit.name
    # The deepest region of theirs that holds the item: centre staff first, then leaders.
    for roles in (CENTRE_ROLES, (Role.LEADER, Role.MEDIATOR)):
        covering = [
            u for u in units if u.role in roles and u.path and path and path.startswith(u.path)
        ]
        if covering:
            return max(covering, key=lambda u: len(u.path)).name
    for kind in ("department_id", "grid_id"):
        for unit in units:
            if getattr(unit, kind):
                return unit.name
    return units[0].name
