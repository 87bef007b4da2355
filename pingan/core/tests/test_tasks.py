"""The task queue: failed tasks are kept (and can be retried), Redis works, back-off, the worker."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse
from huey import MemoryHuey, RedisHuey
from huey.contrib.djhuey import HUEY, db_task

from pingan.core.models import FailedTask
from pingan.core.tasks import backoff_delay, connect_failure_recording, retry_failed_task

REDIS_URL = "redis://127.0.0.1:6379/15"

calls: list[str] = []


@db_task(retries=2)
def always_fails(label: str) -> None:
    """A task on the project's queue (immediate in tests) that never succeeds."""
    calls.append(label)
    raise RuntimeError(f"the endpoint for {label} answered 500")


def drain(huey, *, now: dt.datetime | None = None) -> int:
    """Run what ``huey`` has queued, scheduled retries included, like the consumer would.

    ``now`` (naive UTC) may lie in the future so that retries waiting for their delay are due.
    """
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ran = 0
    for _round in range(100):  # a guard: a bug here must not spin for ever
        for task in huey.read_schedule(now):
            huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task, timestamp=now)
        ran += 1
    raise AssertionError("the queue never drained")


@pytest.fixture
def memory_huey():
    huey = MemoryHuey("pingan-test", immediate=False, utc=True)
    connect_failure_recording(huey)
    return huey


def test_backoff_doubles_from_the_base_up_to_the_cap():
    assert [backoff_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_delay(7) == 1920
    assert backoff_delay(8) == 3600  # 3840 capped at an hour
    assert backoff_delay(10_000) == 3600
    assert backoff_delay(3, base=5, cap=12) == 12
    assert backoff_delay(0) == 0


@pytest.mark.django_db
def test_a_task_that_keeps_failing_is_kept_with_its_error_after_its_retries(memory_huey):
    attempts = []

    @memory_huey.task(retries=3, retry_delay=30, retry_backoff=2)
    def push_to_robot(grid_code: str, text: str) -> None:
        attempts.append(grid_code)
        raise ConnectionError("robot webhook timed out")

    push_to_robot("513999001001001", text="巡查提醒")
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    assert drain(memory_huey, now=later) == 4  # the first run and three retries
    assert len(attempts) == 4
    failed = FailedTask.objects.get()
    assert failed.task_name.endswith("push_to_robot")
    assert failed.error == "ConnectionError: robot webhook timed out"
    assert "Traceback" in failed.traceback and "robot webhook timed out" in failed.traceback
    assert failed.retries_used == 3
    assert "513999001001001" in failed.args_repr and "巡查提醒" in failed.args_repr
    assert failed.payload == {"args": ["513999001001001"], "kwargs": {"text": "巡查提醒"}}


@pytest.mark.django_db
def test_a_failure_with_retries_left_is_not_kept_yet(memory_huey):
    @memory_huey.task(retries=1, retry_delay=60)
    def flaky() -> None:
        raise ValueError("not yet")

    flaky()
    assert drain(memory_huey) == 1  # the retry waits for its delay
    assert not FailedTask.objects.exists()
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=5)
    assert drain(memory_huey, now=later) == 1
    assert FailedTask.objects.get().error == "ValueError: not yet"


@pytest.mark.django_db
def test_a_task_that_succeeds_on_retry_leaves_no_failure(memory_huey):
    runs = []

    @memory_huey.task(retries=2)
    def second_time_lucky() -> str:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("first try fails")
        return "ok"

    result = second_time_lucky()
    drain(memory_huey)
    assert result.get() == "ok"
    assert not FailedTask.objects.exists()


@pytest.mark.django_db
def test_the_projects_queue_keeps_a_failed_task_and_retry_queues_it_again():
    calls.clear()
    always_fails("grid-7")  # immediate mode in tests: runs now, retries twice
    assert calls == ["grid-7"] * 3
    failed = FailedTask.objects.get()
    assert failed.task_name == "pingan.core.tests.test_tasks.always_fails"
    assert "answered 500" in failed.error
    new_id = retry_failed_task(failed)
    failed.refresh_from_db()
    assert failed.retried_at is not None and failed.retried_task_id == new_id
    assert calls == ["grid-7"] * 6  # ran again with the same argument (and failed again)
    assert FailedTask.objects.count() == 2


@pytest.mark.django_db
def test_retry_refuses_a_task_that_no_longer_exists():
    failed = FailedTask.objects.create(
        task_name="pingan.gone.tasks.removed", task_id="x", error="E", payload={"args": []}
    )
    with pytest.raises(LookupError):
        retry_failed_task(failed)
    failed.refresh_from_db()
    assert failed.retried_at is None


@pytest.mark.django_db
def test_admin_lists_failed_tasks_and_the_retry_action_requeues(client_as):
    calls.clear()
    always_fails("grid-9")
    failed = FailedTask.objects.get()
    client = client_as("admin")
    url = reverse("admin:core_failedtask_changelist")
    page = client.get(url, {"q": "answered 500"})
    assert page.status_code == 200
    assert "always_fails" in page.content.decode()
    assert client.get(url, {"task_name": failed.task_name}).status_code == 200
    response = client.post(url, {"action": "retry", "_selected_action": [failed.pk]}, follow=True)
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.retried_at is not None
    assert calls.count("grid-9") == 6


def test_failed_tasks_are_registered_in_the_admin():
    assert FailedTask in site._registry


def test_redis_option_enqueues_and_runs_a_task():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {exc}")
    huey = RedisHuey(f"pingan-test-{uuid.uuid4().hex[:8]}", url=REDIS_URL, utc=True)
    try:

        @huey.task()
        def add(a: int, b: int) -> int:
            return a + b

        result = add(2, 3)
        assert huey.pending_count() == 1
        task = huey.dequeue()
        assert task is not None
        huey.execute(task)
        assert result.get() == 5
        assert huey.pending_count() == 0
    finally:
        huey.storage.flush_all()


@pytest.mark.django_db
def test_redis_option_keeps_a_task_that_fails_for_good():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {exc}")
    huey = RedisHuey(f"pingan-test-{uuid.uuid4().hex[:8]}", url=REDIS_URL, utc=True)
    connect_failure_recording(huey)
    try:

        @huey.task(retries=1)
        def broken() -> None:
            raise OSError("disk full")

        broken()
        assert drain(huey) == 2
        assert FailedTask.objects.get().error == "OSError: disk full"
    finally:
        huey.storage.flush_all()


def test_the_project_queue_is_immediate_in_tests():
    assert HUEY.immediate


def test_pingan_worker_help_shows_the_consumer_options():
    result = subprocess.run(
        [sys.executable, "-m", "pingan.cli", "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--workers" in result.stdout
    assert "--periodic" in result.stdout or "--no-periodic" in result.stdout
