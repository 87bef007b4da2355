"""Deadlines for any workflow, and the sweep that fires their hooks exactly once.

A workflow registers its hooks once (in its ``AppConfig.ready``)::

    deadlines.register("events.event", on_warning=warn_events, on_overdue=escalate_events,
                       kinds=DeadlineKind.choices)

(``kinds`` names each kind of deadline it opens, for pages and the admin), then opens and
closes deadlines as its items move::

    deadlines.open_deadline(event, kind="sign", handler="events.event", amount=2,
                            unit=Unit.WORKING_HOURS)
    deadlines.close_deadline(event, kind="sign")

:func:`sweep` (run every minute by ``pingan.workflow.tasks``) finds every open deadline whose
warning time or due time has passed, marks it and calls the workflow's hook with the marked
deadlines, batched and grouped by workflow. Because it takes *everything* past its threshold,
oldest first, a worker that was down for hours catches up on its first run, and for each
deadline the warning fires before the overdue hook. Marking and hook share one transaction:
a crash before the commit leaves the deadline unmarked (it fires again), a commit means it fired.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from heapq import merge
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from pingan.core import sla
from pingan.core.sla import Unit
from pingan.workflow.models import Deadline

logger = logging.getLogger(__name__)

Hook = Callable[[list[Deadline]], None]

WARNING = "warning"
OVERDUE = "overdue"
# Warning sorts before overdue when both fall at the same moment.
_RANK = {WARNING: 0, OVERDUE: 1}


@dataclass(frozen=True)
class Handler:
    key: str
    on_warning: Hook | None
    on_overdue: Hook | None
    # kind -> its name as a person reads it (签收, 处置…)
    kinds: dict[str, Any] = field(default_factory=dict)


_handlers: dict[str, Handler] = {}


def register(
    key: str,
    *,
    on_warning: Hook | None = None,
    on_overdue: Hook | None = None,
    kinds: Iterable[tuple[str, Any]] = (),
) -> None:
    """Register the hooks of workflow ``key``; each receives a list of just-marked deadlines.

    ``kinds`` are the (kind, label) pairs of the deadlines it opens (e.g. ``TextChoices.choices``).

    Hooks run inside the sweep's transaction: queue notifications with
    ``transaction.on_commit`` (``pingan.notify.services.notify`` does), load items in bulk
    (:func:`load_items`), and raise only when the whole batch should be retried later.
    """
    _handlers[key] = Handler(key, on_warning, on_overdue, dict(kinds))


def unregister(key: str) -> None:
    """Forget workflow ``key`` (tests)."""
    _handlers.pop(key, None)


def registered(key: str) -> Handler | None:
    return _handlers.get(key)


# --- opening and closing ------------------------------------------------------------------


def warn_fraction() -> float:
    """Return how far (0–1) along a deadline's running time its warning comes."""
    value = float(getattr(settings, "PINGAN_DEADLINE_WARN_FRACTION", 0.8))
    if not 0 <= value <= 1:
        raise sla.SLAError(f"the warning fraction must lie between 0 and 1, not {value}")
    return value


def _line_unit(unit: Unit) -> Unit:
    """Return the hour unit on the same time line (working or natural) as ``unit``."""
    return Unit.WORKING_HOURS if unit.is_working else Unit.NATURAL_HOURS


def compute_warn_at(
    start: dt.datetime,
    due_at: dt.datetime,
    unit: Unit | str = Unit.NATURAL_HOURS,
    fraction: float | None = None,
    calendar: sla.Calendar | None = None,
) -> dt.datetime:
    """Return the moment ``fraction`` of the running time from ``start`` to ``due_at`` has passed.

    Running time is counted on the unit's line: working time for working units, so a warning
    at 80 % of a two-working-day deadline never lands on a Sunday.
    """
    fraction = warn_fraction() if fraction is None else float(fraction)
    if not 0 <= fraction <= 1:
        raise sla.SLAError(f"the warning fraction must lie between 0 and 1, not {fraction}")
    if due_at <= start:
        return due_at
    line = _line_unit(Unit(unit))
    if line == Unit.NATURAL_HOURS:
        return min(start + (due_at - start) * fraction, due_at)
    calendar = calendar or sla.calendar()
    running = sla.elapsed(start, due_at, line, calendar=calendar)
    return min(sla.add(start, running * fraction, line, calendar=calendar), due_at)


def _item_key(item: models.Model) -> tuple[ContentType, int]:
    if item.pk is None:
        raise ValueError("save the item before giving it a deadline")
    return ContentType.objects.get_for_model(item), item.pk


def open_deadline(
    item: models.Model,
    *,
    kind: str,
    handler: str,
    due_at: dt.datetime | None = None,
    amount: sla.Amount | None = None,
    unit: Unit | str | None = None,
    start: dt.datetime | None = None,
    warn_fraction: float | None = None,
    county_code: str | None = None,
    calendar: sla.Calendar | None = None,
    replace: bool = True,
) -> Deadline:
    """Open a deadline of ``kind`` on ``item``, replacing (closing) an open one of that kind.

    ``replace=False`` skips looking for one: for an item created in the same transaction.

    Give either ``due_at`` or ``amount`` and ``unit`` (computed with the SLA clock from ``start``,
    default now; on the stored working calendar, ``sla.calendar()``, unless ``calendar`` is
    given). The warning comes at ``warn_fraction`` (default the setting
    ``PINGAN_DEADLINE_WARN_FRACTION``) of the running time. ``county_code`` defaults to the
    item's ``county_code`` attribute, if it has one.
    """
    now = timezone.now()
    start = start or now
    unit = Unit(unit or Unit.NATURAL_HOURS)
    if (due_at is None) == (amount is None):
        raise ValueError("give either due_at or amount (with unit)")
    if unit.is_working and calendar is None:
        calendar = sla.calendar()
    if due_at is None:
        due_at = sla.add(start, amount, unit, calendar=calendar)
    elif timezone.is_naive(due_at):
        raise sla.SLAError("a deadline needs a timezone-aware datetime")
    warn_at = compute_warn_at(start, due_at, unit, warn_fraction, calendar)
    content_type, object_id = _item_key(item)
    if county_code is None:
        county_code = str(getattr(item, "county_code", "") or "")[:6]
    stored_amount = None
    if amount is not None and not isinstance(amount, dt.timedelta):
        stored_amount = Decimal(str(amount))
    elif isinstance(amount, dt.timedelta):
        stored_amount = Decimal(amount.total_seconds()) / 3600
    # No savepoint: inside a caller's transaction an error aborts it anyway, and intake pays a
    # round trip per savepoint.
    with transaction.atomic(savepoint=False):
        if replace:
            _open(content_type, object_id, kind).update(closed_at=now)
        return Deadline.objects.create(
            content_type=content_type,
            object_id=object_id,
            handler=handler,
            kind=kind,
            unit=unit,
            amount=stored_amount,
            starts_at=start,
            warn_at=warn_at,
            due_at=due_at,
            county_code=county_code,
        )


def _open(content_type: ContentType, object_id: int, kind: str | None) -> models.QuerySet:
    qs = Deadline.objects.filter(
        content_type=content_type, object_id=object_id, closed_at__isnull=True
    )
    return qs.filter(kind=kind) if kind else qs


def open_deadlines(item: models.Model, kind: str | None = None) -> models.QuerySet[Deadline]:
    """Return the open deadlines of ``item`` (of ``kind``, if given)."""
    return _open(*_item_key(item), kind)


def close_deadline(item: models.Model, kind: str | None = None) -> int:
    """Close the open deadlines of ``item`` (all kinds, or ``kind``): no hook fires for them."""
    return open_deadlines(item, kind).update(closed_at=timezone.now())


def pause_deadline(item: models.Model, kind: str | None = None) -> int:
    """Stop the clock of the item's open deadlines (e.g. while waiting for the reporter)."""
    return (
        open_deadlines(item, kind).filter(paused_at__isnull=True).update(paused_at=timezone.now())
    )


def resume_deadline(item: models.Model, kind: str | None = None) -> list[Deadline]:
    """Restart the clock: the thresholds still ahead at the pause move later by the pause.

    The shift is the running time the pause took on the deadline's time line, so a pause over
    a weekend does not extend a working-hours deadline by two days. Thresholds that had already
    passed when the clock stopped stay where they are (their hook has fired or is about to).
    """
    now = timezone.now()
    resumed = []
    with transaction.atomic():
        paused = list(
            open_deadlines(item, kind).filter(paused_at__isnull=False).select_for_update()
        )
        calendar = (
            sla.calendar() if any(Unit(d.unit).is_working for d in paused) else sla.Calendar()
        )
        for deadline in paused:
            line = _line_unit(Unit(deadline.unit))
            since = deadline.paused_at
            if deadline.due_at > since:
                left = sla.elapsed(since, deadline.due_at, line, calendar=calendar)
                deadline.due_at = sla.add(now, left, line, calendar=calendar)
            if deadline.warn_at > since:
                left = sla.elapsed(since, deadline.warn_at, line, calendar=calendar)
                deadline.warn_at = min(sla.add(now, left, line, calendar=calendar), deadline.due_at)
            deadline.paused_total += now - since
            deadline.paused_at = None
            deadline.save(update_fields=["due_at", "warn_at", "paused_total", "paused_at"])
            resumed.append(deadline)
    return resumed


def load_items(deadlines: Iterable[Deadline]) -> dict[int, models.Model]:
    """Return the items of ``deadlines`` keyed by deadline id: one query per item type."""
    by_type: dict[int, list[Deadline]] = {}
    for deadline in deadlines:
        by_type.setdefault(deadline.content_type_id, []).append(deadline)
    result: dict[int, models.Model] = {}
    for type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        items = model._default_manager.in_bulk([d.object_id for d in group])
        for deadline in group:
            if deadline.object_id in items:
                result[deadline.id] = items[deadline.object_id]
    return result


# --- the sweep ---------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did: hooks fired per threshold, batches, workflows skipped on errors."""

    now: dt.datetime
    warned: int = 0
    overdue: int = 0
    batches: int = 0
    failed: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "now": self.now.isoformat(),
            "warned": self.warned,
            "overdue": self.overdue,
            "batches": self.batches,
            "failed": sorted(self.failed),
            "unknown": sorted(self.unknown),
        }


def sweep_batch_size() -> int:
    return max(1, int(getattr(settings, "PINGAN_SWEEP_BATCH", 1000)))


def _pending(threshold: str, now: dt.datetime, skip_handlers: set[str], skip_ids: set[int]):
    """Return (moment, rank, id) of deadlines past ``threshold``: a scan of a partial index."""
    time_field, mark_field = (
        ("warn_at", "warned_at") if threshold == WARNING else ("due_at", "overdue_at")
    )
    qs = Deadline.objects.filter(
        closed_at__isnull=True,
        paused_at__isnull=True,
        **{f"{mark_field}__isnull": True, f"{time_field}__lte": now},
    )
    if skip_handlers:
        qs = qs.exclude(handler__in=skip_handlers)
    if skip_ids:
        qs = qs.exclude(pk__in=skip_ids)
    rank = _RANK[threshold]
    return qs.order_by(time_field, "pk").values_list(time_field, "pk"), rank


def _candidates(now: dt.datetime, size: int, skip_handlers: set[str], skip_ids: set[int]):
    """Return the next ``size`` (moment, rank, id) thresholds to fire, oldest first (2 queries)."""
    lists = []
    for threshold in (WARNING, OVERDUE):
        qs, rank = _pending(threshold, now, skip_handlers, skip_ids)
        lists.append([(moment, rank, pk) for moment, pk in qs[:size]])
    # The first ``size`` of the merge of two sorted top-``size`` lists is the global first ``size``.
    return list(merge(*lists))[:size]


def _lock(ids: Sequence[int]) -> dict[int, Deadline]:
    """Lock the still-open deadlines among ``ids``; rows another sweep holds are left out.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` returns each row's latest committed version, so a
    mark another sweep committed meanwhile is seen. SQLite has no row locks and needs none: a
    writing transaction holds the database's write lock (``transaction_mode=IMMEDIATE``), so
    two sweeps never interleave.
    """
    qs = Deadline.objects.filter(pk__in=ids, closed_at__isnull=True, paused_at__isnull=True)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return {d.pk: d for d in qs}


def _fire(
    handler: Handler, threshold: str, rows: list[Deadline], now: dt.datetime, result: SweepResult
) -> bool:
    """Mark ``rows`` and call the hook in one savepoint; on error undo both and return False."""
    mark_field = "warned_at" if threshold == WARNING else "overdue_at"
    hook = handler.on_warning if threshold == WARNING else handler.on_overdue
    savepoint = transaction.savepoint()
    Deadline.objects.filter(pk__in=[d.pk for d in rows]).update(**{mark_field: now})
    for deadline in rows:
        setattr(deadline, mark_field, now)
    try:
        if hook is not None:
            hook(rows)
    except Exception:
        transaction.savepoint_rollback(savepoint)
        for deadline in rows:
            setattr(deadline, mark_field, None)
        logger.exception(
            "deadline %s hook of %s failed for %d deadlines; retried next sweep",
            threshold,
            handler.key,
            len(rows),
        )
        result.failed.add(handler.key)
        return False
    transaction.savepoint_commit(savepoint)
    if threshold == WARNING:
        result.warned += len(rows)
    else:
        result.overdue += len(rows)
    return True


def _sweep_batch(now: dt.datetime, size: int, result: SweepResult, skip_ids: set[int]) -> bool:
    """Fire one batch of thresholds; return False when nothing is left to do."""
    skip_handlers = result.failed | result.unknown
    candidates = _candidates(now, size, skip_handlers, skip_ids)
    if not candidates:
        return False
    locked = _lock(sorted({pk for _moment, _rank, pk in candidates}))
    warnings: dict[str, list[Deadline]] = {}
    overdue: dict[str, list[Deadline]] = {}
    claimed_warning: set[int] = set()
    for _moment, rank, pk in candidates:
        deadline = locked.get(pk)
        if deadline is None:
            # Another sweep holds it (or it was closed or paused meanwhile): not ours to fire.
            skip_ids.add(pk)
            continue
        handler = deadline.handler
        if handler not in _handlers:
            if handler not in result.unknown:
                logger.error("deadline %s has no registered workflow %r", pk, handler)
            result.unknown.add(handler)
            continue
        warning_due = deadline.warned_at is None and deadline.warn_at <= now
        if warning_due and pk not in claimed_warning:
            # Also for an overdue row whose warning never fired: the warning goes first.
            warnings.setdefault(handler, []).append(deadline)
            claimed_warning.add(pk)
        if rank == _RANK[OVERDUE] and deadline.overdue_at is None and deadline.due_at <= now:
            overdue.setdefault(handler, []).append(deadline)
    for handler, rows in warnings.items():
        _fire(_handlers[handler], WARNING, rows, now, result)
    for handler, rows in overdue.items():
        if handler in result.failed:
            continue  # its warning failed: the overdue hook must not overtake it
        _fire(_handlers[handler], OVERDUE, rows, now, result)
    result.batches += 1
    return len(candidates) == size


def sweep(now: dt.datetime | None = None, *, batch_size: int | None = None) -> SweepResult:
    """Fire every warning and overdue hook whose moment is at or before ``now``, each once.

    Thresholds are taken oldest first in batches of ``PINGAN_SWEEP_BATCH``, one transaction
    per batch and a constant number of queries per batch (two scans of the partial indexes,
    one locking read, and per workflow and threshold one savepoint with one UPDATE), however
    many deadlines are due. A workflow whose hook raises is skipped for the rest of the sweep
    (its marks rolled back), so the next sweep retries it.
    """
    now = now or timezone.now()
    size = batch_size or sweep_batch_size()
    result = SweepResult(now=now)
    skip_ids: set[int] = set()
    more = True
    while more:
        before = (result.warned, result.overdue, len(result.failed), len(result.unknown))
        before += (len(skip_ids),)
        with transaction.atomic():
            more = _sweep_batch(now, size, result, skip_ids)
        after = (result.warned, result.overdue, len(result.failed), len(result.unknown))
        # A full batch that changed nothing would come back unchanged: stop rather than spin.
        more = more and after + (len(skip_ids),) != before
    if result.warned or result.overdue or result.failed or result.unknown:
        logger.info("deadline sweep: %s", result.as_dict())
    return result
