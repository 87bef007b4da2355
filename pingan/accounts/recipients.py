"""Who must be told: the people behind a department, a centre, a grid, or one account, and the
units (grids, departments) whose group robots hear of a person's work.

Every workflow's notices start here (``pingan.notify.tell`` sends to what these return). Each
finder is one query and answers only active accounts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from pingan.accounts.models import Department, Membership, Role, User
from pingan.accounts.scope import GRID_STAFF_ROLES


def department_handlers(department_ids: Iterable[int]) -> QuerySet[User]:
    """Return the active users who handle work for these departments."""
    return User.objects.filter(
        is_active=True,
        memberships__role=Role.DEPARTMENT_HANDLER,
        memberships__department_id__in=list(department_ids),
    ).distinct()


def centre_staff(centre) -> QuerySet[User]:
    """Return the dispatchers of a governance centre (role centre on the centre's region)."""
    if centre is None:
        return User.objects.none()
    return User.objects.filter(
        is_active=True, memberships__role=Role.CENTER, memberships__region_id=centre.region_id
    ).distinct()


def grid_staff(grid_id: int | None) -> QuerySet[User]:
    """Return the grid's staff accounts (grid memberships and team members with accounts)."""
    if not grid_id:
        return User.objects.none()
    return User.objects.filter(
        Q(memberships__role__in=GRID_STAFF_ROLES, memberships__grid_id=grid_id)
        | Q(grid_teams__grid_id=grid_id),
        is_active=True,
    ).distinct()


def one_user(user) -> list[User]:
    """Return ``user`` as a list of recipients when it is an active account, else nobody."""
    if getattr(user, "pk", None) is None or not getattr(user, "is_active", False):
        return []
    return [user]


def units_of(users: Iterable[int]) -> dict[int, list]:
    """Return the grids and departments whose robots hear about each user's overdue work.

    A member of a grid or a department: that grid or department. A centre dispatcher (role
    ``center`` on a region): the region's governance centre (综治中心) department. Two queries.
    """
    units: dict[int, list] = {}
    memberships = list(
        Membership.objects.filter(user_id__in=users)
        .filter(Q(grid__isnull=False) | Q(department__isnull=False) | Q(role=Role.CENTER))
        .select_related("grid", "department")
        .order_by("pk")
    )
    centre_regions = {m.region_id for m in memberships if m.role == Role.CENTER and m.region_id}
    centres: dict[int, list] = {}
    if centre_regions:
        for dept in Department.objects.filter(
            region_id__in=centre_regions, kind=Department.Kind.CENTER, is_active=True
        ).order_by("code"):
            centres.setdefault(dept.region_id, []).append(dept)
    for m in memberships:
        found = [m.grid or m.department] if (m.grid_id or m.department_id) else []
        if m.role == Role.CENTER:
            found += centres.get(m.region_id, [])
        for unit in found:
            if unit not in units.setdefault(m.user_id, []):
                units[m.user_id].append(unit)
    return units
