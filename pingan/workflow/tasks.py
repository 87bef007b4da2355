"""The deadline sweep as a periodic task (every minute).

Catch-up needs nothing special: the sweep takes every deadline whose warning or due time lies at
or before now, oldest first, so the first run after the worker was down fires what was missed,
in order, each hook once. A huey lock keeps two sweeps of one queue from overlapping; it is an
economy, not the guarantee (the database marks are), so it is flushed when a worker starts, in
case a killed worker left it behind.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.exceptions import TaskLockedException

from pingan.workflow import deadlines

logger = logging.getLogger(__name__)

LOCK = "workflow.sweep_deadlines"


@HUEY.on_startup(name="workflow_flush_sweep_lock")
def flush_sweep_lock() -> None:
    """Drop a sweep lock left by a worker that was killed mid-sweep."""
    HUEY.flush_locks(LOCK)


@db_periodic_task(crontab(minute="*"), name="workflow.sweep_deadlines")
def sweep_deadlines() -> dict | None:
    """Fire the warning and overdue hooks of every deadline that has passed a threshold."""
    try:
        with HUEY.lock_task(LOCK):
            return deadlines.sweep().as_dict()
    except TaskLockedException:
        logger.info("a deadline sweep is already running; skipping this minute")
        return None
