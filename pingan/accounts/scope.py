"""What a user may see and which parts they play: the one scope of a user.

Every ``visible_to(user)`` queryset method starts here. Deny by default: an anonymous user, or a
user with no membership, has an empty scope. Superusers see everything.

Besides the union of their org units (``region_paths``, ``grid_ids``, ``department_ids``), the
scope keeps the units by the part they give: the regions a user runs as centre staff or
administrator (``centre_paths``), those they lead (``leader_paths``), and the grids they work as
grid staff (``staff_grid_ids``; a resident's grid is in ``grid_ids`` but not here). Workflows
decide who may make which move from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from pingan.accounts.models import ROLE_UNITS, Membership, Role

# Roles on a region that run its centre (receive, dispatch, supervise), and grid staff roles.
CENTRE_ROLES = (Role.ADMIN, Role.CENTER)
GRID_STAFF_ROLES = (Role.GRID_CHIEF, Role.GRID_WORKER, Role.GRID_POLICE)


@dataclass(frozen=True)
class Scope:
    """The org units of one user's memberships, as a whole and by the part each gives."""

    everything: bool = False
    region_paths: tuple[str, ...] = ()
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    grid_region_ids: frozenset[int] = field(default_factory=frozenset)
    department_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None
    centre_paths: tuple[str, ...] = ()
    leader_paths: tuple[str, ...] = ()
    staff_grid_ids: frozenset[int] = field(default_factory=frozenset)

    def path_q(self, lookup: str) -> Q:
        """Return ``Q(lookup__startswith=p) | …`` for the region paths (empty Q if none)."""
        q = Q()
        for path in self.region_paths:
            q |= Q(**{f"{lookup}__startswith": path})
        return q

    def restrict(self, queryset: QuerySet, path_lookup: str, **id_lookups) -> QuerySet:
        """Return ``queryset`` limited to rows under the scope's regions or matching an id lookup.

        ``id_lookups`` maps a lookup to a set of ids, e.g. ``pk__in=scope.grid_ids``; empty sets
        are ignored. With nothing to match, the result is empty (deny by default).
        """
        if self.everything:
            return queryset
        q = self.path_q(path_lookup)
        for lookup, ids in id_lookups.items():
            if ids:
                q |= Q(**{lookup: ids})
        return queryset.filter(q) if q else queryset.none()

    def has_role(self, *roles: str) -> bool:
        return self.everything or bool(self.roles.intersection(roles))

    @staticmethod
    def covers(path: str, paths: tuple[str, ...]) -> bool:
        """Return whether ``path`` lies under one of ``paths``."""
        return any(path.startswith(p) for p in paths)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.region_paths or self.grid_ids or self.department_ids)

    @property
    def is_centre(self) -> bool:
        """Centre staff (and administrators): receive, dispatch, keep the routing data."""
        return self.everything or bool(self.centre_paths)

    @property
    def is_supervisor(self) -> bool:
        """Centre staff and leaders: supervise and urge."""
        return self.is_centre or bool(self.leader_paths)

    @property
    def is_staff_of_anything(self) -> bool:
        """Whether the user works on cases at all (centre, leader, grid staff, department)."""
        return self.is_supervisor or bool(self.staff_grid_ids or self.department_ids)


EMPTY = Scope()


def _collapse(paths: set[str]) -> tuple[str, ...]:
    """Drop paths that lie under another path of the set."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(sorted(kept))


def compute_scope(user) -> Scope:
    """Return the scope of ``user`` from the database."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY
    if user.is_superuser:
        return Scope(everything=True, roles=frozenset(["admin"]), user_id=user.pk)
    paths: set[str] = set()
    centre: set[str] = set()
    leader: set[str] = set()
    grid_ids: set[int] = set()
    staff_grids: set[int] = set()
    grid_region_ids: set[int] = set()
    department_ids: set[int] = set()
    roles: set[str] = set()
    # Only the columns the scope needs: no region boundary or grid polygon on every request.
    memberships = Membership.objects.filter(user=user).values_list(
        "role", "region_id", "region__path", "grid_id", "grid__region_id", "department_id"
    )
    for role, region_id, region_path, grid_id, grid_region_id, department_id in memberships:
        roles.add(role)
        unit = ROLE_UNITS.get(role)
        if unit == "region" and region_id:
            paths.add(region_path)
            if role in CENTRE_ROLES:
                centre.add(region_path)
            elif role == Role.LEADER:
                leader.add(region_path)
        elif unit == "grid" and grid_id:
            grid_ids.add(grid_id)
            grid_region_ids.add(grid_region_id)
            if role in GRID_STAFF_ROLES:
                staff_grids.add(grid_id)
        elif unit == "department" and department_id:
            department_ids.add(department_id)
    return Scope(
        region_paths=_collapse(paths),
        grid_ids=frozenset(grid_ids),
        grid_region_ids=frozenset(grid_region_ids),
        department_ids=frozenset(department_ids),
        roles=frozenset(roles),
        user_id=user.pk,
        centre_paths=tuple(sorted(centre)),
        leader_paths=tuple(sorted(leader)),
        staff_grid_ids=frozenset(staff_grids),
    )


def scope_for(user) -> Scope:
    """Return the scope of ``user``, computed once per user object (i.e. per request)."""
    if user is None:
        return EMPTY
    cached = getattr(user, "_pingan_scope", None)
    if cached is None:
        cached = compute_scope(user)
        try:
            user._pingan_scope = cached
        except AttributeError:  # AnonymousUser-like objects without a __dict__
            pass
    return cached
