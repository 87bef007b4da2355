"""Who may see an event, and what part each person plays in it.

Rule 1 of ARCHITECTURE.md for events:

- centre staff and administrators (role on a region) see every event under their regions;
- leaders see the same; they urge and supervise (督查督办) but neither report nor handle;
- grid staff (grid chief, grid worker, grid police) see the events of their grids;
- a department handler sees the events their department works on (lead or assisting) and
  those whose part it completed (a closed event stays in its history); an event it returned
  or that was reassigned away is no longer its business;
- everyone sees the events they reported or follow (a merged duplicate's reporter).

Anything else answers 404.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from pingan.accounts.scope import GRID_STAFF_ROLES, scope_for
from pingan.core.cache import TableCache

__all__ = [
    "GRID_STAFF_ROLES",
    "get_event_for_user",
    "intake_channels",
    "may_not_report",
    "roles_in",
    "visibility_q",
]

# The parts a user can play in one event; the transition table speaks in these.
CENTRE = "centre"
LEADER = "leader"
DEPARTMENT = "department"
ASSISTING = "assisting"
GRID = "grid"
REPORTER = "reporter"


def _paths_q(lookup: str, paths) -> Q:
    q = Q()
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def visibility_q(user) -> Q | None:
    """Return the filter of the events ``user`` may see; None means every event, Q() none."""
    access = scope_for(user)
    if access.everything:
        return None
    if access.user_id is None:
        return Q()
    from pingan.events.models import Assignment, Event

    q = _paths_q("path", access.centre_paths + access.leader_paths)
    if access.staff_grid_ids:
        q |= Q(grid_id__in=access.staff_grid_ids)
    if access.department_ids:
        q |= Q(
            Exists(
                Assignment.objects.filter(
                    Q(ended_at__isnull=True) | Q(done_at__isnull=False),
                    event=OuterRef("pk"),
                    department_id__in=access.department_ids,
                )
            )
        )
    q |= Q(reporter_id=access.user_id)
    q |= Q(
        Exists(
            Event.followers.through.objects.filter(event_id=OuterRef("pk"), user_id=access.user_id)
        )
    )
    return q


def roles_in(user, event) -> frozenset[str]:
    """Return the parts ``user`` plays in ``event`` (centre, department, grid, reporter…)."""
    access = scope_for(user)
    if access.user_id is None:
        return frozenset()
    roles: set[str] = set()
    if access.everything or access.covers(event.path, access.centre_paths):
        roles.add(CENTRE)
    if access.covers(event.path, access.leader_paths):
        roles.add(LEADER)
    if event.grid_id and event.grid_id in access.staff_grid_ids:
        roles.add(GRID)
    if access.department_ids:
        from pingan.events.models import Assignment

        active = _active_assignments(event)
        for assignment in active:
            if assignment.department_id in access.department_ids:
                roles.add(DEPARTMENT if assignment.role == Assignment.Role.LEAD else ASSISTING)
    if event.reporter_id == access.user_id or _follows(event, access.user_id):
        roles.add(REPORTER)
    return frozenset(roles)


def actor_unit(user, event) -> str:
    """Return the name of ``user``'s own unit for their work on ``event`` (for its timeline)."""
    from pingan.accounts.units import unit_name

    access = scope_for(user)
    departments: set[int] = set()
    if len(access.department_ids) > 1:  # which of their departments works on this event
        cache = getattr(event, "_prefetched_objects_cache", {})
        if "assignments" in cache:
            departments = {a.department_id for a in cache["assignments"]}
        elif event.pk:
            departments = set(event.assignments.values_list("department_id", flat=True))
        if event.department_id:
            departments.add(event.department_id)
    else:
        departments = set(access.department_ids)
    return unit_name(user, path=event.path, grid_id=event.grid_id, department_ids=departments)


def _active_assignments(event) -> list:
    cache = getattr(event, "_prefetched_objects_cache", {})
    if "assignments" in cache:
        return [a for a in cache["assignments"] if a.ended_at is None]
    return list(event.assignments.filter(ended_at__isnull=True))


def _follows(event, user_id: int) -> bool:
    if not event.pk:
        return False
    cache = getattr(event, "_prefetched_objects_cache", {})
    if "followers" in cache:  # a list that asks each row's roles prefetches them
        return any(user.pk == user_id for user in cache["followers"])
    return event.followers.filter(pk=user_id).exists()


def load_written(event) -> None:
    """Make the rows intake just wrote (``event.written``) the event's loaded relations.

    As a prefetch would, so the event's JSON is built without a query. Only for showing the
    event at once: the loaded relations do not follow later changes.
    """
    written = event.written
    cache = event.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in written.items():
        if name == "open_deadlines":
            continue
        queryset = getattr(event, name).all()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        cache[name] = queryset
    event.loaded_open_deadlines = written["open_deadlines"]


def get_event_for_user(user, pk, *, queryset: QuerySet | None = None):
    """Return the event ``pk`` if ``user`` may see it; raise Http404 otherwise."""
    from pingan.events.models import Event

    qs = (queryset if queryset is not None else Event.objects.all()).visible_to(user)
    try:
        return qs.get(pk=pk)
    except (Event.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such event") from exc


def _load_system_users() -> frozenset[int]:
    from pingan.events.models import IntakeSystem

    return frozenset(IntakeSystem.objects.values_list("user_id", flat=True))


# The accounts of intake systems: a handful, and most callers are people, not systems.
SYSTEM_USERS = TableCache("intake-system-users", _load_system_users)


def intake_system_of(user):
    """Return the intake system ``user`` is the account of, or None (cached on the user)."""
    if not getattr(user, "pk", None):
        return None
    if "_pingan_intake_system" not in user.__dict__:
        # A missing reverse one-to-one is not cached by Django: each look would be a query.
        is_system = user.pk in SYSTEM_USERS.get()
        user.__dict__["_pingan_intake_system"] = (
            getattr(user, "intake_system", None) if is_system else None
        )
    return user.__dict__["_pingan_intake_system"]


def intake_channels(user) -> list[str]:
    """Return the intake channels ``user`` may file reports through, the usual one first.

    The one rule of who may report (the report page, the home page's button, the API and
    ``services.report_event`` ask it): grid staff report as grid workers; centre staff take
    hotline calls, one-key calls and appeal-box slips (and may file as the centre); an intake
    system reports as a system; anyone signed in may report as a resident — except a leader,
    who urges and supervises (督查督办) the work of others and files none (unless they hold
    another role too).
    """
    from pingan.events.models import Event

    C = Event.Channel
    if not getattr(user, "is_authenticated", False):
        return []
    if intake_system_of(user) is not None:
        return [C.SYSTEM]
    access = scope_for(user)
    if access.leader_paths and not (access.is_centre or access.grid_ids or access.department_ids):
        return []
    channels: list[str] = []
    if access.staff_grid_ids:
        channels.append(C.GRID_WORKER)
    if access.everything or access.centre_paths:
        channels += [C.HOTLINE, C.ONE_KEY_CALL, C.APPEAL_BOX, C.CENTRE]
        if access.everything:
            channels.append(C.SYSTEM)
    channels.append(C.RESIDENT)
    return [str(c) for c in dict.fromkeys(channels)]


def may_not_report(user) -> str:
    """Return why ``user`` may file no report at all ('' when they may file some)."""
    if intake_channels(user):
        return ""
    return _("Leaders urge and supervise the handling of events; they do not file reports.")
