"""Task-queue plumbing shared by every app: failed tasks are kept, jobs run, back-off is computed.

Tasks are declared with ``huey.contrib.djhuey.db_task`` / ``db_periodic_task`` (see settings.HUEY:
SQLite under var/ by default, Redis when REDIS_URL is set); ``pingan worker`` runs them. A task
that raises is retried as its decorator says (``retries=``, ``retry_delay=``, ``retry_backoff=``);
when no retry is left, :func:`record_failure` keeps it as a :class:`FailedTask` row that an
administrator can read and retry, instead of letting it vanish into a log.
"""

from __future__ import annotations

import json
import logging
import traceback

from django.db import close_old_connections, connection
from django.utils import timezone
from huey import Huey
from huey.api import Task
from huey.contrib.djhuey import HUEY, db_task
from huey.signals import SIGNAL_ERROR, SIGNAL_TIMEOUT

from pingan.core.jobs import run_job
from pingan.core.models import FailedTask

logger = logging.getLogger(__name__)

_connected: set[int] = set()


def backoff_delay(attempt: int, base: float = 30, cap: float = 3600) -> float:
    """Return the seconds to wait before retry number ``attempt`` (1, 2, …): base·2ⁿ⁻¹, capped.

    For example 30, 60, 120, 240 … up to ``cap`` (an hour), so a broken endpoint is asked
    less and less often. Raise ``RetryTask(delay=backoff_delay(n))`` or use it for ``eta``.
    """
    if attempt < 1:
        return 0
    # Bound the exponent first: 2**5000 is fine for ints but overflows a float multiplication.
    exponent = min(attempt - 1, 64)
    return min(cap, base * 2**exponent)


def task_name(huey: Huey, task: Task) -> str:
    """Return the name ``huey`` registered ``task`` under (its module and function name)."""
    return huey._registry.task_to_string(type(task))


def _payload(task: Task) -> dict | None:
    kwargs = {key: value for key, value in (task.kwargs or {}).items() if key != "task"}
    payload = {"args": list(task.args or ()), "kwargs": kwargs}
    try:
        json.dumps(payload)
    except (TypeError, ValueError):
        return None  # not JSON-safe: shown as repr, but "retry" cannot rebuild it
    return payload


def record_failure(huey: Huey, task: Task, exc: BaseException | None, *, timed_out: bool) -> None:
    """Keep ``task`` as a FailedTask row if it has no retry left; otherwise do nothing."""
    if task.retries:
        return  # huey will run it again
    if exc is not None:
        error = f"{type(exc).__name__}: {exc}"
        trace = "".join(traceback.format_exception(exc))
    else:
        error = "Timed out" if timed_out else "Failed"
        trace = ""
    args_repr = repr(task.args or ())
    if task.kwargs:
        args_repr += " " + repr({k: v for k, v in task.kwargs.items() if k != "task"})
    if not huey.immediate and not connection.in_atomic_block:
        close_old_connections()  # the consumer's threads keep connections between tasks
    FailedTask.objects.create(
        task_name=task_name(huey, task),
        task_id=str(task.id),
        args_repr=args_repr[:10_000],
        payload=_payload(task),
        error=error[:10_000],
        traceback=trace[:50_000],
        retries_used=type(task).default_retries,
        failed_at=timezone.now(),
    )
    logger.error("Task %s %s failed for good: %s", task_name(huey, task), task.id, error)


def connect_failure_recording(huey: Huey) -> None:
    """Make ``huey`` keep tasks that fail for good as FailedTask rows (idempotent)."""
    if id(huey) in _connected:
        return
    _connected.add(id(huey))

    def on_error(signal: str, task: Task, exc: BaseException | None = None) -> None:
        record_failure(huey, task, exc, timed_out=signal == SIGNAL_TIMEOUT)

    huey.signal(SIGNAL_ERROR, SIGNAL_TIMEOUT)(on_error)


def retry_failed_task(failed: FailedTask, *, huey: Huey | None = None) -> str:
    """Queue ``failed`` again with its arguments; mark it retried; return the new task id.

    Raise ``LookupError`` when the task is no longer known or its arguments were not kept.
    """
    huey = huey or HUEY
    try:
        task_class = huey._registry.string_to_task(failed.task_name)
    except Exception as exc:  # noqa: BLE001 -- huey raises its own HueyException
        raise LookupError(f"unknown task {failed.task_name}") from exc
    if failed.payload is None:
        raise LookupError("the arguments of this task were not kept")
    task = task_class(args=tuple(failed.payload["args"]), kwargs=dict(failed.payload["kwargs"]))
    failed.retried_at = timezone.now()
    failed.retried_task_id = str(task.id)
    failed.save(update_fields=["retried_at", "retried_task_id"])
    huey.enqueue(task)
    return str(task.id)


@db_task()
def run_job_task(job_id: int) -> None:
    """Run the background job ``job_id`` (see pingan.core.jobs)."""
    run_job(job_id)


connect_failure_recording(HUEY)
