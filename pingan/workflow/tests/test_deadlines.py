"""The deadline sweep: catch-up after downtime, each hook exactly once, in order, in batches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.core import sla
from pingan.workflow import deadlines
from pingan.workflow.models import Deadline

T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class Recorder:
    """A workflow whose hooks write down what fired, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int]]] = []

    def on_warning(self, rows):
        self.calls.append(("warning", [d.pk for d in rows]))

    def on_overdue(self, rows):
        self.calls.append(("overdue", [d.pk for d in rows]))

    def fired(self) -> list[tuple[str, int]]:
        return [(threshold, pk) for threshold, pks in self.calls for pk in pks]


@pytest.fixture
def recorder(db):
    # Only this test's deadlines: the demo loader's reminder would fire too.
    Deadline.objects.all().delete()
    rec = Recorder()
    deadlines.register("test.recorder", on_warning=rec.on_warning, on_overdue=rec.on_overdue)
    yield rec
    deadlines.unregister("test.recorder")


@pytest.fixture
def item(user):
    return user("center")


def open_at(item, hours: float, kind: str = "due", handler: str = "test.recorder", **kw):
    return deadlines.open_deadline(
        item,
        kind=kind,
        handler=handler,
        start=T0,
        due_at=T0 + hours * HOUR,
        warn_fraction=0.8,
        **kw,
    )


def test_warning_comes_at_the_configured_fraction_of_the_time(recorder, item, settings):
    settings.PINGAN_DEADLINE_WARN_FRACTION = 0.5
    deadline = deadlines.open_deadline(
        item, kind="due", handler="test.recorder", start=T0, amount=10, unit="natural_hours"
    )
    assert deadline.due_at == T0 + 10 * HOUR
    assert deadline.warn_at == T0 + 5 * HOUR


def test_working_hours_warning_does_not_fall_on_the_weekend(recorder, item):
    calendar = sla.Calendar()
    friday_9 = dt.datetime(2026, 3, 13, 1, 0, tzinfo=dt.UTC)  # 9:00 in Shanghai
    deadline = deadlines.open_deadline(
        item,
        kind="due",
        handler="test.recorder",
        start=friday_9,
        amount=10,
        unit=sla.Unit.WORKING_HOURS,
        warn_fraction=0.8,
        calendar=calendar,
    )
    # 8 working hours: Friday 9:00–12:00 and 14:30–18:00 is 6.5 h, then 1.5 h on Monday.
    assert timezone.localtime(deadline.warn_at).weekday() == 0
    assert deadline.warn_at < deadline.due_at


def test_catch_up_after_downtime_fires_each_threshold_once_in_order_of_time(recorder, item):
    first, second, third = (open_at(item, h, kind=f"k{h}") for h in (1, 2, 3))

    # The worker was down for ten hours; on start it sweeps one threshold per batch.
    result = deadlines.sweep(now=T0 + 10 * HOUR, batch_size=1)

    assert recorder.fired() == [
        ("warning", first.pk),  # 0.8 h
        ("overdue", first.pk),  # 1.0 h
        ("warning", second.pk),  # 1.6 h
        ("overdue", second.pk),  # 2.0 h
        ("warning", third.pk),  # 2.4 h
        ("overdue", third.pk),  # 3.0 h
    ]
    assert (result.warned, result.overdue) == (3, 3)

    again = deadlines.sweep(now=T0 + 11 * HOUR)
    assert (again.warned, again.overdue) == (0, 0)
    assert len(recorder.fired()) == 6


def test_an_item_past_both_thresholds_gets_its_warning_before_its_overdue_hook(recorder, item):
    deadline = open_at(item, 1)

    deadlines.sweep(now=T0 + 5 * HOUR)

    assert recorder.calls == [("warning", [deadline.pk]), ("overdue", [deadline.pk])]
    deadline.refresh_from_db()
    assert deadline.warned_at == deadline.overdue_at == T0 + 5 * HOUR


def test_thresholds_fire_only_when_their_time_has_come(recorder, item):
    deadline = open_at(item, 10)

    deadlines.sweep(now=T0 + 7 * HOUR)
    assert recorder.fired() == []
    deadlines.sweep(now=T0 + 8 * HOUR)
    assert recorder.fired() == [("warning", deadline.pk)]
    deadlines.sweep(now=T0 + 9 * HOUR)
    assert recorder.fired() == [("warning", deadline.pk)]
    deadlines.sweep(now=T0 + 10 * HOUR)
    assert recorder.fired() == [("warning", deadline.pk), ("overdue", deadline.pk)]


def test_two_sweeps_at_the_same_moment_fire_each_hook_once(recorder, item):
    rows = [open_at(item, 1, kind=f"k{i}") for i in range(5)]

    first = deadlines.sweep(now=T0 + 2 * HOUR)
    second = deadlines.sweep(now=T0 + 2 * HOUR)

    assert (first.warned, first.overdue) == (5, 5)
    assert (second.warned, second.overdue) == (0, 0)
    assert sorted(recorder.fired()) == sorted(
        [("warning", d.pk) for d in rows] + [("overdue", d.pk) for d in rows]
    )


def test_closed_deadlines_never_fire(recorder, item):
    open_at(item, 1, kind="closed")
    kept = open_at(item, 1, kind="kept")
    assert deadlines.close_deadline(item, kind="closed") == 1

    deadlines.sweep(now=T0 + 5 * HOUR)

    assert {pk for _threshold, pk in recorder.fired()} == {kept.pk}


def test_opening_a_deadline_again_replaces_the_open_one(recorder, item):
    old = open_at(item, 1)
    new = open_at(item, 3)

    old.refresh_from_db()
    assert old.closed_at is not None
    assert list(deadlines.open_deadlines(item)) == [new]


def test_a_paused_deadline_does_not_fire_and_resuming_shifts_it_by_the_pause(
    recorder, item, monkeypatch
):
    clock = {"now": T0}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    deadline = deadlines.open_deadline(
        item, kind="due", handler="test.recorder", amount=10, unit="natural_hours"
    )
    clock["now"] = T0 + 2 * HOUR
    assert deadlines.pause_deadline(item) == 1

    deadlines.sweep(now=T0 + 20 * HOUR)
    assert recorder.fired() == []

    clock["now"] = T0 + 5 * HOUR
    (resumed,) = deadlines.resume_deadline(item)
    assert resumed.due_at == T0 + 13 * HOUR  # three hours paused
    assert resumed.warn_at == T0 + 11 * HOUR
    assert resumed.paused_total == 3 * HOUR

    deadlines.sweep(now=T0 + 12 * HOUR)
    assert recorder.fired() == [("warning", deadline.pk)]


def test_hooks_receive_their_deadlines_in_one_batch_per_workflow(recorder, item):
    other = Recorder()
    deadlines.register("test.other", on_warning=other.on_warning, on_overdue=other.on_overdue)
    try:
        mine = [open_at(item, 1, kind=f"m{i}") for i in range(5)]
        theirs = [open_at(item, 1, kind=f"t{i}", handler="test.other") for i in range(3)]

        deadlines.sweep(now=T0 + 2 * HOUR)
    finally:
        deadlines.unregister("test.other")

    assert [(t, sorted(pks)) for t, pks in recorder.calls] == [
        ("warning", sorted(d.pk for d in mine)),
        ("overdue", sorted(d.pk for d in mine)),
    ]
    assert [(t, sorted(pks)) for t, pks in other.calls] == [
        ("warning", sorted(d.pk for d in theirs)),
        ("overdue", sorted(d.pk for d in theirs)),
    ]


def test_a_long_catch_up_runs_in_batches_and_fires_everything_once(recorder, item):
    rows = [open_at(item, 1 + i / 10, kind=f"k{i}") for i in range(30)]

    result = deadlines.sweep(now=T0 + 10 * HOUR, batch_size=7)

    assert (result.warned, result.overdue) == (30, 30)
    assert result.batches >= 60 // 7
    fired = recorder.fired()
    assert sorted(fired) == sorted(
        [("warning", d.pk) for d in rows] + [("overdue", d.pk) for d in rows]
    )
    for d in rows:
        assert fired.index(("warning", d.pk)) < fired.index(("overdue", d.pk))


def test_the_sweep_runs_the_same_queries_for_10_or_200_due_items(recorder, item):
    def queries_for(count: int, prefix: str) -> int:
        Deadline.objects.bulk_create(
            Deadline(
                content_type_id=open_at(item, 1, kind=f"{prefix}-seed").content_type_id,
                object_id=item.pk + 1000 + i,
                handler="test.recorder",
                kind=prefix,
                starts_at=T0,
                warn_at=T0 + HOUR,
                due_at=T0 + 2 * HOUR,
            )
            for i in range(count)
        )
        with CaptureQueriesContext(connection) as ctx:
            result = deadlines.sweep(now=T0 + 3 * HOUR)
        assert result.overdue >= count
        return len(ctx.captured_queries)

    few = queries_for(10, "few")
    many = queries_for(200, "many")

    assert few == many
    assert few <= 12


def test_a_failing_hook_rolls_back_its_marks_and_fires_again_next_sweep(recorder, item):
    state = {"fail": True}

    def flaky(rows):
        if state["fail"]:
            raise RuntimeError("robot down")
        recorder.calls.append(("flaky-warning", [d.pk for d in rows]))

    deadlines.register("test.flaky", on_warning=flaky, on_overdue=recorder.on_overdue)
    try:
        bad = open_at(item, 1, kind="bad", handler="test.flaky")
        good = open_at(item, 1, kind="good")

        first = deadlines.sweep(now=T0 + 2 * HOUR)
        bad.refresh_from_db()
        assert first.failed == {"test.flaky"}
        assert bad.warned_at is None and bad.overdue_at is None
        assert {pk for _t, pk in recorder.fired()} == {good.pk}

        state["fail"] = False
        second = deadlines.sweep(now=T0 + 2 * HOUR)
    finally:
        deadlines.unregister("test.flaky")

    assert (second.warned, second.overdue) == (1, 1)
    assert recorder.calls[-2:] == [("flaky-warning", [bad.pk]), ("overdue", [bad.pk])]


def test_deadlines_of_an_unknown_workflow_are_skipped_and_kept(recorder, item):
    lost = open_at(item, 1, kind="lost", handler="test.nobody")
    found = open_at(item, 1, kind="found")

    result = deadlines.sweep(now=T0 + 2 * HOUR, batch_size=1)

    assert result.unknown == {"test.nobody"}
    assert {pk for _t, pk in recorder.fired()} == {found.pk}
    lost.refresh_from_db()
    assert lost.warned_at is None


def test_the_periodic_task_sweeps_now(recorder, item, monkeypatch):
    from pingan.workflow import tasks

    deadline = deadlines.open_deadline(
        item, kind="due", handler="test.recorder", due_at=timezone.now() - HOUR
    )

    outcome = tasks.sweep_deadlines.call_local()

    assert outcome["warned"] == outcome["overdue"] == 1
    assert recorder.fired() == [("warning", deadline.pk), ("overdue", deadline.pk)]


def test_the_periodic_task_skips_while_another_sweep_holds_the_lock(recorder, item):
    from huey.contrib.djhuey import HUEY

    from pingan.workflow import tasks

    deadlines.open_deadline(item, kind="due", handler="test.recorder", due_at=timezone.now())
    with HUEY.lock_task(tasks.LOCK):
        assert tasks.sweep_deadlines.call_local() is None
    assert recorder.fired() == []
    tasks.flush_sweep_lock()


def test_the_sweep_is_a_periodic_task_every_minute():
    from huey.contrib.djhuey import HUEY

    periodic = {task.name: task for task in HUEY._registry.periodic_tasks}
    task = periodic["workflow.sweep_deadlines"]
    assert task.validate_datetime(dt.datetime(2026, 3, 10, 9, 1))  # noqa: DTZ001 (huey's clock)
    assert task.validate_datetime(dt.datetime(2026, 3, 10, 9, 2))  # noqa: DTZ001


def test_admins_can_list_deadlines_and_reminders(client_as, user):
    from pingan.workflow.services import create_reminder

    create_reminder(owner=user("center"), title="Admin check", due_at=timezone.now() + HOUR)
    client = client_as("admin")
    for name in ("deadline", "reminder"):
        for query in ("", "?state=open", "?state=overdue"):
            if name == "reminder" and query:
                continue
            response = client.get(f"/admin/workflow/{name}/{query}")
            assert response.status_code == 200, (name, query)
