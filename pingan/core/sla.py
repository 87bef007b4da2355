"""The SLA clock: deadlines, elapsed working time, time remaining and time overdue.

Every deadline in Pingan (events, disputes, casework) comes from here.

Units
    ``natural_hours``  plain elapsed time; holidays and nights count.
    ``natural_days``   the start day does not count; the deadline is 24:00 of the Nth day
                       after it (the counting rule of Civil Code arts. 201 and 203).
    ``working_hours``  only working periods (default 08:30–12:00 and 14:30–18:00) of working
                       days count.
    ``working_days``   "within N working days" (接诉即办 practice): the start day does not
                       count, whatever the hour; the deadline is the end of the working time
                       (18:00 by default) of the Nth working day after it.

Working days follow the Chinese public-holiday calendar with its make-up working days (调休)
from the ``chinese-calendar`` package; ``CalendarDay`` rows override it date by date and cover
years the package does not know; outside both, Monday to Friday are working days.

Working time is computed on the local wall clock (``settings.TIME_ZONE``, Asia/Shanghai, which
has no daylight saving time); natural time on UTC. Inputs must be aware datetimes; outputs are
aware datetimes in the local zone (they compare and store like their UTC equivalents).

Pauses are (from, to) intervals during which the clock does not run, e.g. a case waiting for
the reporter. A deadline moves later by exactly the running time (working time for working
units, natural time otherwise) the pauses cover. Pass an ongoing pause as (from, now).

A zero amount means "now": the start itself, or for working units the next instant of working
time, so a working-time deadline never falls outside working time. A deadline may fall exactly
at the end of a working period (12:00, 18:00): the work is due by then.

Pass a :class:`Calendar` as ``calendar=`` when computing many deadlines: :func:`calendar` is the
stored one, kept per process and rebuilt when an admin edits it (what workflows use);
``Calendar.load()`` reads it afresh (two small queries), as each module function otherwise does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import chinese_calendar
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

Amount = int | float | Decimal | dt.timedelta
Pause = tuple[dt.datetime, dt.datetime]
Interval = tuple[dt.datetime, dt.datetime]

DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(14, 30), dt.time(18, 0)),
)
# How far ahead a deadline may lie before add() gives up: a guard against absurd amounts.
HORIZON_DAYS = 3660
# Natural time runs on a naive UTC line, so its "forever" is naive too.
_FAR_FUTURE = dt.datetime.max - dt.timedelta(days=2)  # noqa: DTZ901


class SLAError(ValueError):
    """Bad input to the SLA clock (naive datetime, negative or fractional-day amount, …)."""


class Unit(models.TextChoices):
    NATURAL_HOURS = "natural_hours", _("natural hours")
    NATURAL_DAYS = "natural_days", _("natural days")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")

    @property
    def is_working(self) -> bool:
        return self in (Unit.WORKING_HOURS, Unit.WORKING_DAYS)

    @property
    def is_days(self) -> bool:
        return self in (Unit.NATURAL_DAYS, Unit.WORKING_DAYS)


def package_is_working_day(day: dt.date) -> bool:
    """Return what ``chinese-calendar`` says, or Monday–Friday for a year it does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


class Calendar:
    """Working days and working periods, loaded once so that many computations need no queries.

    Build it with :meth:`load` (from the database) or directly (tests, tools): ``overrides``
    maps a date to True (working) or False (holiday); ``periods`` are (start, end) times.
    """

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        periods: Iterable[tuple[dt.time, dt.time]] | None = None,
        tz: dt.tzinfo | None = None,
    ) -> None:
        self.overrides: dict[dt.date, bool] = dict(overrides or {})
        self.periods: tuple[tuple[dt.time, dt.time], ...] = (
            tuple(sorted(periods or ())) or DEFAULT_PERIODS
        )
        for start, end in self.periods:
            if start >= end:
                raise SLAError(f"working period {start}–{end} must end after it starts")
        for (_s1, e1), (s2, _e2) in zip(self.periods, self.periods[1:], strict=False):
            if s2 < e1:
                raise SLAError("working periods must not overlap")
        self.tz = tz or timezone.get_default_timezone()
        self._days: dict[dt.date, bool] = {}

    @classmethod
    def load(cls) -> Calendar:
        """Return the calendar stored in the database (CalendarDay and WorkingPeriod rows)."""
        from pingan.core.models import CalendarDay, WorkingPeriod

        overrides = {
            date: kind == CalendarDay.Kind.WORKDAY
            for date, kind in CalendarDay.objects.values_list("date", "kind")
        }
        periods = list(WorkingPeriod.objects.values_list("start", "end"))
        return cls(overrides, periods)

    def __repr__(self) -> str:
        hours = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)
        return f"<Calendar {len(self.overrides)} overrides, {hours}, {self.tz}>"

    # Days -------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """Return whether ``day`` is a working day: override first, then the package."""
        known = self._days.get(day)
        if known is None:
            known = self.overrides.get(day)
            if known is None:
                known = package_is_working_day(day)
            self._days[day] = known
        return known

    def working_days_after(self, day: dt.date, count: int) -> dt.date:
        """Return the ``count``-th working day after ``day`` (``day`` itself does not count)."""
        found = 0
        current = day
        limit = day + dt.timedelta(days=HORIZON_DAYS)
        while found < count:
            current += dt.timedelta(days=1)
            if current > limit:
                raise SLAError("the deadline lies more than ten years ahead")
            if self.is_working_day(current):
                found += 1
        return current

    def working_intervals(self, day: dt.date) -> list[Interval]:
        """Return the working periods of ``day`` as naive local datetimes (none on a holiday)."""
        if not self.is_working_day(day):
            return []
        return [(dt.datetime.combine(day, s), dt.datetime.combine(day, e)) for s, e in self.periods]

    def end_of_working_time(self, day: dt.date) -> dt.datetime:
        """Return the end of the last working period of ``day`` as an aware local datetime."""
        return self._aware(dt.datetime.combine(day, self.periods[-1][1]))

    def is_working_time(self, moment: dt.datetime) -> bool:
        """Return whether ``moment`` lies in a working period, both ends included."""
        local = self._local(moment)
        return any(a <= local <= b for a, b in self.working_intervals(local.date()))

    # Time lines -------------------------------------------------------------------------

    def _local(self, moment: dt.datetime) -> dt.datetime:
        _require_aware(moment)
        return timezone.localtime(moment, self.tz).replace(tzinfo=None)

    def _aware(self, local: dt.datetime) -> dt.datetime:
        return timezone.make_aware(local, self.tz)

    def _working_stream(self, since: dt.datetime, horizon: dt.date | None) -> Iterator[Interval]:
        """Yield working intervals (naive local) from ``since`` on, the first one clipped."""
        day = since.date()
        while True:
            if horizon is not None and day > horizon:
                raise SLAError("the deadline lies more than ten years ahead")
            for a, b in self.working_intervals(day):
                if b >= since:
                    yield max(a, since), b
            day += dt.timedelta(days=1)


def _require_aware(moment: dt.datetime) -> None:
    if not isinstance(moment, dt.datetime):
        raise SLAError(f"expected a datetime, not {type(moment).__name__}")
    if timezone.is_naive(moment):
        raise SLAError("the SLA clock needs timezone-aware datetimes")


def _utc(moment: dt.datetime) -> dt.datetime:
    _require_aware(moment)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _to_timedelta(amount: Amount, unit: Unit) -> dt.timedelta:
    """Turn an amount of hours (or a timedelta) into a timedelta; reject bad values."""
    if isinstance(amount, dt.timedelta):
        delta = amount
    elif isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise SLAError(f"an SLA amount must be a number or a timedelta, not {amount!r}")
    else:
        if not math.isfinite(amount):
            raise SLAError(f"an SLA amount must be finite, not {amount}")
        try:
            if isinstance(amount, Decimal):
                delta = dt.timedelta(microseconds=int(amount * 3_600_000_000))
            else:
                delta = dt.timedelta(hours=amount)
        except OverflowError as exc:
            raise SLAError(f"the amount {amount} {unit.label} is too large") from exc
    if delta < dt.timedelta(0):
        raise SLAError(f"an SLA amount cannot be negative ({amount})")
    if delta > dt.timedelta(days=HORIZON_DAYS):
        raise SLAError("the deadline lies more than ten years ahead")
    return delta


def _to_days(amount: Amount, unit: Unit) -> int:
    """Turn an amount of days into a whole number of days; reject fractions."""
    if isinstance(amount, dt.timedelta):
        if amount % dt.timedelta(days=1):
            raise SLAError(f"{unit.label} must be whole days, not {amount}")
        days = amount.days
    elif isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise SLAError(f"an SLA amount must be a number or a timedelta, not {amount!r}")
    else:
        if not math.isfinite(amount) or amount != int(amount):
            raise SLAError(f"{unit.label} must be whole days, not {amount}")
        days = int(amount)
    if days < 0:
        raise SLAError(f"an SLA amount cannot be negative ({amount})")
    if days > HORIZON_DAYS:
        raise SLAError("the deadline lies more than ten years ahead")
    return days


def _merge_pauses(pauses: Iterable[Pause], convert) -> list[Interval]:
    """Return the pauses on a time line (``convert``), sorted and merged."""
    spans = []
    for pause in pauses:
        try:
            begin, finish = pause
        except (TypeError, ValueError) as exc:
            raise SLAError(f"a pause is a (from, to) pair, not {pause!r}") from exc
        begin, finish = convert(begin), convert(finish)
        if finish < begin:
            raise SLAError("a pause must end after it starts")
        if finish > begin:
            spans.append((begin, finish))
    spans.sort()
    merged: list[Interval] = []
    for begin, finish in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def _subtract(stream: Iterable[Interval], pauses: Sequence[Interval]) -> Iterator[Interval]:
    """Yield the closed intervals of ``stream`` with the (merged, sorted) pauses cut out."""
    first = 0
    for a, b in stream:
        while first < len(pauses) and pauses[first][1] <= a:
            first += 1
        cursor = a
        index = first
        while index < len(pauses) and pauses[index][0] < b:
            begin, finish = pauses[index]
            if begin >= cursor:
                yield cursor, begin
            cursor = max(cursor, finish)
            index += 1
        if cursor <= b:
            yield cursor, b


class _Clock:
    """The running time of one unit on its time line, with pauses cut out."""

    def __init__(self, unit: Unit, calendar: Calendar, pauses: Iterable[Pause]) -> None:
        self.working = Unit(unit).is_working
        self.calendar = calendar
        self.convert = calendar._local if self.working else _utc
        self.pauses = _merge_pauses(pauses, self.convert)

    def back(self, line: dt.datetime) -> dt.datetime:
        if self.working:
            return self.calendar._aware(line)
        return line.replace(tzinfo=dt.UTC).astimezone(self.calendar.tz)

    def stream(self, since: dt.datetime, horizon: dt.date | None) -> Iterator[Interval]:
        if self.working:
            base = self.calendar._working_stream(since, horizon)
        else:
            base = iter([(since, _FAR_FUTURE)])
        return _subtract(base, self.pauses)

    def add(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        since = self.convert(start)
        horizon = since.date() + dt.timedelta(days=HORIZON_DAYS)
        left = delta
        for a, b in self.stream(since, horizon):
            if left <= b - a:
                return self.back(a + left)
            left -= b - a
        raise SLAError("the deadline lies too far ahead")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        since, until = self.convert(start), self.convert(end)
        if until < since:
            return -self.elapsed(end, start)
        total = dt.timedelta(0)
        for a, b in self.stream(since, None):
            if a >= until:
                break
            total += min(b, until) - a
        return total


_cached: Any = None


def calendar() -> Calendar:
    """Return the stored calendar, kept per process and rebuilt after an admin edits it."""
    global _cached
    if _cached is None:
        from pingan.core.cache import TableCache
        from pingan.core.models import CalendarDay, WorkingPeriod

        _cached = TableCache("calendar", Calendar.load).depends_on([CalendarDay, WorkingPeriod])
    return _cached.get()


def _calendar(calendar: Calendar | None, unit: Unit) -> Calendar:
    """Return ``calendar``, else the stored one; natural units need no holidays, so no query."""
    if calendar is not None:
        return calendar
    return Calendar.load() if unit.is_working else Calendar()


def is_working_day(day: dt.date, *, calendar: Calendar | None = None) -> bool:
    """Return whether ``day`` is a working day (CalendarDay override, package, Mon–Fri)."""
    if calendar is not None:
        return calendar.is_working_day(day)
    from pingan.core.models import CalendarDay

    kind = CalendarDay.objects.filter(date=day).values_list("kind", flat=True).first()
    if kind is not None:
        return kind == CalendarDay.Kind.WORKDAY
    return package_is_working_day(day)


def add(
    start: dt.datetime,
    amount: Amount,
    unit: Unit | str,
    *,
    calendar: Calendar | None = None,
    pauses: Iterable[Pause] = (),
) -> dt.datetime:
    """Return the deadline ``amount`` ``unit`` after ``start``, extended by the pauses.

    Hours may be fractional (int, float, Decimal or a timedelta); days must be whole.
    Raise ``SLAError`` (a ``ValueError``) for naive datetimes or bad amounts.
    """
    unit = Unit(unit)
    calendar = _calendar(calendar, unit)
    _require_aware(start)
    pauses = list(pauses)
    clock = _Clock(unit, calendar, pauses)
    if not unit.is_days:
        return clock.add(start, _to_timedelta(amount, unit))
    days = _to_days(amount, unit)
    if days == 0:
        return clock.add(start, dt.timedelta(0))
    local_day = calendar._local(start).date()
    if unit == Unit.WORKING_DAYS:
        base = calendar.end_of_working_time(calendar.working_days_after(local_day, days))
    else:
        base = timezone.make_aware(
            dt.datetime.combine(local_day + dt.timedelta(days=days + 1), dt.time(0)), calendar.tz
        )
    if not pauses:
        return base
    # The same running time as the unpaused deadline, with the pauses cut out.
    return clock.add(start, _Clock(unit, calendar, ()).elapsed(start, base))


def elapsed(
    start: dt.datetime,
    end: dt.datetime,
    unit: Unit | str = Unit.NATURAL_HOURS,
    *,
    calendar: Calendar | None = None,
    pauses: Iterable[Pause] = (),
) -> dt.timedelta:
    """Return the running time from ``start`` to ``end``: working time for working units,
    natural time otherwise, less the pauses; negative when ``end`` is before ``start``."""
    unit = Unit(unit)
    return _Clock(unit, _calendar(calendar, unit), pauses).elapsed(start, end)


def remaining(
    deadline: dt.datetime,
    now: dt.datetime | None = None,
    *,
    unit: Unit | str = Unit.NATURAL_HOURS,
    calendar: Calendar | None = None,
) -> dt.timedelta:
    """Return the time left until ``deadline`` (zero once it has passed)."""
    now = now or timezone.now()
    return max(elapsed(now, deadline, unit, calendar=calendar), dt.timedelta(0))


def overdue(
    deadline: dt.datetime,
    now: dt.datetime | None = None,
    *,
    unit: Unit | str = Unit.NATURAL_HOURS,
    calendar: Calendar | None = None,
) -> dt.timedelta:
    """Return how long ``deadline`` has been passed (zero while it has not)."""
    now = now or timezone.now()
    return max(elapsed(deadline, now, unit, calendar=calendar), dt.timedelta(0))


def is_overdue(deadline: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Return whether ``deadline`` has passed."""
    return (now or timezone.now()) > deadline


__all__ = [
    "DEFAULT_PERIODS",
    "Calendar",
    "SLAError",
    "Unit",
    "add",
    "elapsed",
    "is_overdue",
    "is_working_day",
    "overdue",
    "package_is_working_day",
    "remaining",
]
