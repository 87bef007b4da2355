"""Figures of the event closed loop, for any region and period: the numbers other modules reuse.

``event_figures(region=..., start=..., end=..., by=...)`` answers with counts by status, the
on-time rates, the time each step takes and the satisfaction of reporters, for the whole
selection or grouped by township, department, category or month. The cockpit and the
assessment module call it; pages pass ``events=`` (a visible, filtered queryset).

Each figure counts an event in the period of the moment that figure is about, so that monthly
figures add up to the year's and no event is counted twice:

- ``reported``, ``by_status``, ``open``, ``overdue`` (``OVERDUE``, as the pages count it),
  ``escalated``, ``urges``, ``dispatched``, ``extended`` and ``returned_by_first``: events
  *reported* in the period, as they stand now.
- ``signed`` and ``signed_on_time``: events *signed for* in the period (their latest sign-for).
- ``due``, ``on_hold`` and ``closed_on_time``: events whose resolution fell *due* in the period
  (digital urban management's 应结案数). An event falls due at its resolution deadline
  (``resolve_due_at``, after any approved extension) — or earlier, when the department resolved
  it by the deadline: at that resolution (so an early resolution counts in its own month). Only
  moments up to now count: a deadline still ahead is not due yet. Merged and invalid events are
  never due.
- ``resolved`` and ``reworked``: events *resolved* in the period (their latest resolution).
- ``rated`` and the ratings: events *rated* in the period.
- step times: the step's *end* in the period.

Rates (``None`` when nothing is counted under them):

- 签收及时率 ``sign_on_time_rate`` = signed on time / signed;
- 按期办结率 ``resolution_on_time_rate`` = closed on time / (due − on hold): closed on time is
  a due event that the grid has verified and closed and whose (latest) resolution came by its
  deadline; events that were ever put on hold (缓办) leave both the numerator and the
  denominator, as practice takes them out of the assessment;
- 延期率 ``extension_rate`` = dispatched events granted an extension / dispatched events;
- 准确派遣率 ``correct_dispatch_rate`` = dispatched events the *first* department they were
  dispatched to did not return / dispatched events (a reassignment by the centre is not a
  return);
- 返工率 ``rework_rate`` = resolved events sent back for rework at least once / resolved events;
- 满意率 ``satisfaction_rate`` = (satisfied + basically satisfied) / rated.

Step times in seconds, ``count``, ``avg`` and ``p90`` (90th percentile, linear interpolation as
PostgreSQL's ``percentile_cont``): ``report_to_dispatch`` (reported → the latest dispatch, so a
return and re-dispatch counts as the time it took to reach the right department; reopened events
are left out), ``dispatch_to_sign``, ``sign_to_resolve`` (pauses included) and
``resolve_to_close`` (closed events). PostgreSQL computes them in the database; other databases
fetch the durations and compute them here.

Grouping ``by``: ``"township"`` and ``"category"`` (minor category) group by the event's;
``"department"`` by its current lead department — except the correct-dispatch figures, grouped by
the first department, the one judged; ``"month"`` by the local (Asia/Shanghai) month of each
figure's own moment. ``by=None`` returns one dict; otherwise a list of dicts sorted by ``key``,
each with ``key`` (code or ``YYYY-MM``) and ``label``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from pingan.events.models import Event, EventLog

S = Event.Status
GROUPINGS = ("township", "department", "category", "month")
STEPS = {
    "report_to_dispatch": ("reported_at", "dispatched_at"),
    "dispatch_to_sign": ("dispatched_at", "signed_at"),
    "sign_to_resolve": ("signed_at", "resolved_at"),
    "resolve_to_close": ("resolved_at", "closed_at"),
}
NEVER_DUE = (S.MERGED, S.INVALID)
OPEN = Q(status__in=Event.OPEN_STATUSES)
# Overdue: a deadline was missed and a department still holds the event (not once resolved).
OVERDUE = Q(overdue_since__isnull=False, status__in=Event.OVERDUE_STATUSES)


class _Seconds(Func):
    """The seconds of an interval (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()


class _Percentile(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`` (PostgreSQL)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(values: list[float], fraction: float) -> float | None:
    """Return the ``fraction`` percentile of ``values``, interpolated as ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _moment(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """Return an aware datetime; a date means its local midnight."""
    if value is None or isinstance(value, dt.datetime):
        if value is not None and timezone.is_naive(value):
            return timezone.make_aware(value)
        return value
    return timezone.make_aware(dt.datetime.combine(value, dt.time()))


def _in_period(field: str, start, end) -> Q:
    q = Q(**{f"{field}__isnull": False})
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _group(qs: QuerySet, by: str, moment: str, *, department: str = "department_id"):
    """Annotate ``qs`` with the group key ``g`` of ``by``."""
    if by == "month":
        return qs.annotate(g=TruncMonth(moment, tzinfo=timezone.get_current_timezone()))
    field = {"township": "township_id", "department": department, "category": "category_id"}[by]
    return qs.annotate(g=F(field))


def _rows(qs: QuerySet, by, moment: str, department: str = "department_id", **aggregates):
    """Return {group key: {aggregate: value}} of ``qs`` (one group, key None, without ``by``)."""
    if by is None:
        return {None: qs.aggregate(**aggregates)}
    grouped = _group(qs, by, moment, department=department)
    return {row.pop("g"): row for row in grouped.values("g").annotate(**aggregates).order_by()}


def event_figures(
    *,
    region=None,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    by: str | None = None,
    events: QuerySet | None = None,
) -> dict[str, Any] | list[dict[str, Any]]:
    """Return the figures of the events in ``region`` for the period [start, end) (see above).

    ``region``: a Region or a region code (its subtree counts); ``start``/``end``: dates (local
    midnight) or aware datetimes, either may be open; ``events``: the queryset to count in
    (default every event; pass ``Event.objects.visible_to(user)`` for a person's view).
    """
    if by not in (None, *GROUPINGS):
        raise ValueError(f"group by one of {', '.join(GROUPINGS)} or None, not {by!r}")
    start, end = _moment(start), _moment(end)
    now = timezone.now()
    qs = (events if events is not None else Event.objects.all()).order_by()
    if region is not None:
        from pingan.geo.models import Region

        if not isinstance(region, Region):
            region = Region.objects.get(code=str(region))
        qs = qs.filter(path__startswith=region.path)

    groups: dict[Any, dict[str, Any]] = {}

    def merge(rows: dict) -> None:
        for key, values in rows.items():
            groups.setdefault(key, {}).update(values)

    reported = qs.filter(_in_period("reported_at", start, end))
    dispatched_q = Q(first_department__isnull=False)
    merge(
        _rows(
            reported,
            by,
            "reported_at",
            reported=Count("id"),
            open=Count("id", filter=OPEN),
            overdue=Count("id", filter=OVERDUE),
            escalated=Count("id", filter=Q(escalated_to__isnull=False)),
            urges=Sum("urge_count", default=0),
            dispatched=Count("id", filter=dispatched_q),
            extended=Count("id", filter=dispatched_q & Q(extension_count__gt=0)),
        )
    )
    statuses = reported if by is None else _group(reported, by, "reported_at")
    columns = ("status",) if by is None else ("g", "status")
    for row in statuses.values(*columns).annotate(n=Count("id")).order_by():
        key = row.get("g")
        groups.setdefault(key, {}).setdefault("by_status", {})[row["status"]] = row["n"]
    returned_by_first = EventLog.objects.filter(
        event=OuterRef("pk"), action="return", department=OuterRef("first_department")
    )
    merge(
        _rows(
            reported.filter(dispatched_q).annotate(returned_first=Exists(returned_by_first)),
            by,
            "reported_at",
            department="first_department_id",
            first_dispatched=Count("id"),
            returned_by_first=Count("id", filter=Q(returned_first=True)),
        )
    )
    merge(
        _rows(
            qs.filter(_in_period("signed_at", start, end), signed_on_time__isnull=False),
            by,
            "signed_at",
            signed=Count("id"),
            signed_on_time=Count("id", filter=Q(signed_on_time=True)),
        )
    )
    merge(_due_rows(qs, by, start, end, now))
    merge(
        _rows(
            qs.filter(_in_period("resolved_at", start, end)),
            by,
            "resolved_at",
            resolved=Count("id"),
            reworked=Count("id", filter=Q(rework_count__gt=0)),
        )
    )
    merge(
        _rows(
            qs.filter(_in_period("rated_at", start, end)).exclude(rating=""),
            by,
            "rated_at",
            rated=Count("id"),
            **{rating: Count("id", filter=Q(rating=rating)) for rating in Event.Rating.values},
        )
    )
    for name, (begin, finish) in STEPS.items():
        steps = qs.filter(_in_period(finish, start, end), **{f"{begin}__isnull": False})
        if name == "report_to_dispatch":
            steps = steps.filter(reopen_count=0)
        if name == "resolve_to_close":
            steps = steps.filter(status=S.CLOSED)
        for key, figures in _step_rows(steps, by, begin, finish).items():
            groups.setdefault(key, {}).setdefault("steps", {})[name] = figures

    if by is None:
        return _finish(groups.get(None, {}))
    results = []
    for key, values in groups.items():
        figures = _finish(values)
        figures["key"] = key
        results.append(figures)
    return _label(results, by)


def _due_rows(qs: QuerySet, by, start, end, now) -> dict:
    """The 按期办结率 counts: events that fell due in the period (see the module's docstring)."""
    due = qs.exclude(status__in=NEVER_DUE).filter(resolve_due_at__isnull=False)
    on_time = Q(resolved_on_time=True, resolved_at__isnull=False)
    limit = min(end, now) if end is not None else now
    # Two disjoint sets, each counted at its own moment: on-time resolutions and the rest.
    early = due.filter(on_time & _in_period("resolved_at", start, limit))
    at_deadline = due.exclude(on_time).filter(_in_period("resolve_due_at", start, limit))
    counts = {}
    for rows in (
        _rows(
            early,
            by,
            "resolved_at",
            due=Count("id"),
            on_hold=Count("id", filter=Q(was_on_hold=True)),
            closed_on_time=Count("id", filter=Q(status=S.CLOSED, was_on_hold=False)),
        ),
        _rows(
            at_deadline,
            by,
            "resolve_due_at",
            due=Count("id"),
            on_hold=Count("id", filter=Q(was_on_hold=True)),
        ),
    ):
        for key, values in rows.items():
            into = counts.setdefault(key, {"due": 0, "on_hold": 0, "closed_on_time": 0})
            for name, value in values.items():
                into[name] += value
    return counts


def _step_rows(qs: QuerySet, by, begin: str, finish: str) -> dict:
    """Return {group key: {"count", "avg", "p90"}} of the seconds from ``begin`` to ``finish``."""
    if connection.vendor == "postgresql":
        seconds = _Seconds(F(finish) - F(begin))
        rows = _rows(
            qs,
            by,
            finish,
            count=Count("id"),
            avg=Avg(seconds),
            p90=_Percentile(seconds, 0.9),
        )
        return {
            key: {
                "count": row["count"],
                "avg": round(row["avg"], 1) if row["avg"] is not None else None,
                "p90": round(row["p90"], 1) if row["p90"] is not None else None,
            }
            for key, row in rows.items()
        }
    values: dict[Any, list[float]] = {}
    if by is None:
        rows = ((None, *pair) for pair in qs.values_list(begin, finish).order_by())
    else:
        rows = _group(qs, by, finish).values_list("g", begin, finish).order_by()
    for key, began, ended in rows:
        values.setdefault(key, []).append((ended - began).total_seconds())
    return {
        key: {
            "count": len(seconds),
            "avg": round(sum(seconds) / len(seconds), 1),
            "p90": round(percentile(seconds, 0.9), 1),
        }
        for key, seconds in values.items()
    }


COUNTS = (
    "reported",
    "open",
    "overdue",
    "escalated",
    "urges",
    "dispatched",
    "extended",
    "first_dispatched",
    "returned_by_first",
    "signed",
    "signed_on_time",
    "due",
    "on_hold",
    "closed_on_time",
    "resolved",
    "reworked",
    "rated",
    *Event.Rating.values,
)


def _finish(values: dict[str, Any]) -> dict[str, Any]:
    """Fill the missing counts with 0 and compute the rates."""
    figures = {name: values.get(name) or 0 for name in COUNTS}
    statuses = values.get("by_status", {})
    figures["by_status"] = {status: statuses.get(status, 0) for status in S.values}
    figures["steps"] = {
        name: values.get("steps", {}).get(name, {"count": 0, "avg": None, "p90": None})
        for name in STEPS
    }
    f = figures
    f["sign_on_time_rate"] = _rate(f["signed_on_time"], f["signed"])
    f["resolution_on_time_rate"] = _rate(f["closed_on_time"], f["due"] - f["on_hold"])
    f["extension_rate"] = _rate(f["extended"], f["dispatched"])
    f["correct_dispatch_rate"] = _rate(
        f["first_dispatched"] - f["returned_by_first"], f["first_dispatched"]
    )
    f["rework_rate"] = _rate(f["reworked"], f["resolved"])
    f["satisfaction_rate"] = _rate(f["satisfied"] + f["basic"], f["rated"])
    return figures


def _label(results: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Replace ids by codes and add labels; sort by key."""
    keys = [r["key"] for r in results if r["key"] is not None]
    names: dict[Any, tuple[str, str]] = {}
    if by == "month":
        for key in keys:
            month = timezone.localtime(key) if isinstance(key, dt.datetime) else key
            names[key] = (f"{month:%Y-%m}", f"{month:%Y-%m}")
    else:
        model = _model(by)
        for obj in _objects(model, keys):
            names[obj.pk] = (obj.code, str(obj))
    for result in results:
        result["key"], result["label"] = names.get(result["key"], ("", ""))
    return sorted(results, key=lambda r: (r["key"] == "", r["key"]))


def _model(by: str):
    from pingan.accounts.models import Department
    from pingan.events.models import Category
    from pingan.geo.models import Region

    return {"township": Region, "department": Department, "category": Category}[by]


def _objects(model, keys: Iterable) -> Iterable:
    qs = model.objects.filter(pk__in=list(keys))
    if model.__name__ == "Category":
        qs = qs.select_related("parent")
    return qs


# --- the queues the pages list, and their counts ---------------------------------------------
#
# A count on a page is the length of the list it links to: both come from the definitions
# below, so a home card, a tab's badge and the tab's list can never disagree.


# The workbench's tabs (``?tab=``); "all" has no condition and no count.
WORKBENCH_TABS: dict[str, Q] = {
    "dispatch": Q(status=S.REPORTED),
    "overdue": OVERDUE,
    "escalated": OPEN & (Q(escalated_to__isnull=False) | ~Q(supervision="")),
    "verify": Q(status=S.RESOLVED),
    "open": OPEN,
}

# A department's inbox (``?state=``): what to sign for, what is in hand, what is resolved (and
# waits for the grid's check, or our part finished in the last INBOX_DONE_DAYS days), and
# the events whose deadline we, the lead department, missed.
INBOX_STATES = ("to_sign", "in_hand", "done", "overdue")
INBOX_DONE_DAYS = 30


def workbench_events(user) -> QuerySet:
    """Return the events the workbench of ``user`` lists (before its filters and tab)."""
    from pingan.accounts.scope import scope_for

    events = Event.objects.visible_to(user)
    access = scope_for(user)
    only_departments = access.department_ids and not (
        access.everything or access.centre_paths or access.leader_paths or access.staff_grid_ids
    )
    if only_departments:
        # The scope of a department handler is an OR of subqueries the database cannot drive
        # from an index; their work starts from their departments' assignments instead (what
        # they reported themselves is under "My reports").
        events = events.filter(pk__in=department_events(access.department_ids))
    return events


def workbench_queue(events: QuerySet, tab: str) -> QuerySet:
    """Return the events of ``events`` in the workbench tab ``tab`` (any other: all of them)."""
    condition = WORKBENCH_TABS.get(tab)
    return events if condition is None else events.filter(condition)


def workbench_counts(events: QuerySet) -> dict[str, int]:
    """Return the count of every workbench tab of ``events`` (but "all"), in one query."""
    return events.order_by().aggregate(
        **{tab: Count("pk", filter=condition) for tab, condition in WORKBENCH_TABS.items()}
    )


def department_events(department_ids: Iterable[int]) -> QuerySet:
    """Return the ids of the events these departments work or worked on (an index)."""
    from pingan.events.models import Assignment

    return Assignment.objects.filter(department_id__in=sorted(department_ids)).values("event_id")


def inbox_events(user) -> QuerySet:
    """Return the events a department handler's inbox starts from (visible, ours)."""
    from pingan.accounts.scope import scope_for

    access = scope_for(user)
    return Event.objects.visible_to(user).filter(pk__in=department_events(access.department_ids))


def inbox_conditions(department_ids: Iterable[int], now: dt.datetime | None = None) -> dict:
    """Return the condition of each inbox state for the departments ``department_ids``."""
    from pingan.events.models import Assignment

    ids = sorted(department_ids)
    recent = (now or timezone.now()) - dt.timedelta(days=INBOX_DONE_DAYS)

    def mine(**conditions) -> Q:
        return Q(
            Exists(
                Assignment.objects.filter(event=OuterRef("pk"), department_id__in=ids, **conditions)
            )
        )

    active = {"ended_at__isnull": True}
    handling = OPEN & ~Q(status=S.RESOLVED)
    return {
        "to_sign": mine(signed_at__isnull=True, **active) & handling,
        "in_hand": mine(signed_at__isnull=False, done_at__isnull=True, **active) & handling,
        "done": (Q(status=S.RESOLVED) & mine(**active)) | mine(done_at__gte=recent),
        # The deadlines are the lead department's: an assisting one is not overdue.
        "overdue": OVERDUE & Q(department_id__in=ids),
    }


def inbox_queue(user, state: str) -> QuerySet:
    """Return the events of ``user``'s inbox in ``state`` (one of INBOX_STATES)."""
    from pingan.accounts.scope import scope_for

    conditions = inbox_conditions(scope_for(user).department_ids)
    return inbox_events(user).filter(conditions[state])


def inbox_counts(user) -> dict[str, int]:
    """Return the count of every inbox state of ``user``'s departments, in one query."""
    from pingan.accounts.scope import scope_for

    conditions = inbox_conditions(scope_for(user).department_ids)
    return (
        inbox_events(user)
        .order_by()
        .aggregate(**{state: Count("pk", filter=conditions[state]) for state in INBOX_STATES})
    )


def verify_queue(user) -> QuerySet:
    """Return the resolved events in ``user``'s grids that wait for their on-site check."""
    from pingan.accounts.scope import scope_for

    return Event.objects.visible_to(user).filter(
        status=S.RESOLVED, grid_id__in=scope_for(user).staff_grid_ids
    )


# --- the department record and the overdue board --------------------------------------------


def overdue_now(events: QuerySet) -> QuerySet:
    """Return the events of ``events`` that are overdue now (the overdue board's list)."""
    return events.filter(OVERDUE)


def department_record(department, *, events: QuerySet, records: QuerySet) -> dict[str, int]:
    """Return a department's record: missed deadlines by kind, urges, returns, overdue now.

    ``events`` and ``records`` are what the viewer may see (``visible_to``); the missed
    deadlines are the count of ``records`` the page lists.
    """
    from pingan.workflow.figures import accountability_counts

    misses = accountability_counts(department=department, records=records)
    actions = dict(
        EventLog.objects.filter(department=department, action__in=("urge", "return"))
        .order_by()
        .values_list("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )
    return {
        "records": misses["records"],
        "sign_misses": misses["sign"],
        "resolve_misses": misses["resolve"],
        "urges": actions.get("urge", 0),
        "returns": actions.get("return", 0),
        "overdue_now": overdue_now(events).filter(department=department).count(),
    }


def overdue_board(events: QuerySet) -> list[dict[str, Any]]:
    """Return the overdue events of ``events`` counted by (department, township): one GROUP BY.

    Each row has ``department_id``, ``township_id``, ``n`` (overdue now), ``oldest`` (the
    earliest ``overdue_since``), ``red`` and ``yellow`` (how many carry that card).
    """
    return list(
        overdue_now(events)
        .order_by()
        .values("department_id", "township_id")
        .annotate(
            n=Count("pk"),
            oldest=Min("overdue_since"),
            red=Count("pk", filter=Q(supervision=Event.Supervision.RED)),
            yellow=Count("pk", filter=Q(supervision=Event.Supervision.YELLOW)),
        )
    )
