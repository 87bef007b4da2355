"""Background jobs: long work (imports, exports) run by the worker, with progress a user can watch.

A job function is registered by name and receives the :class:`~pingan.core.models.Job` row
first, then the job's parameters as keyword arguments::

    @job_function("geo.import_grids")
    def import_grids_job(job: Job, *, path: str) -> None:
        job.progress(10, "Reading the file")
        ...
        job.set_result_file("report.csv", data)
        job.set_summary({"created": 3})

Start it with :func:`start_job`; the worker runs :func:`run_job`. Only registered functions run:
a job names its function by a string kept in the database, and that string must never be able
to import arbitrary code. Registries live in ``<app>/jobs.py`` modules, found on first use.

Progress is written to the job row at most every ``PROGRESS_INTERVAL`` seconds. A job function
that works inside one big transaction (the grid importer does) cannot make those writes visible
through its own connection, so on PostgreSQL they go through a second connection; on SQLite,
which has one writer at a time, they wait for the transaction to end.

On SQLite a job that streams rows (``iterator()``) keeps a read open on its connection while it
reports progress; once another job has written meanwhile, a write on that connection fails at
once with "database is locked", whatever the busy timeout (the read's snapshot is stale). Such
a write goes through a second connection, which has no read open.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from pingan.core.models import Job
from pingan.core.text import clean_line

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between two progress writes of one job
MAX_MESSAGES = 200  # the oldest lines are dropped past this; the page shows the last ones

JobFunction = Callable[..., Any]
_registry: dict[str, JobFunction] = {}
_discovered = False


class JobError(Exception):
    """A job failed for a reason its user can act on; the message is shown as is."""


class UnknownJobFunction(LookupError):
    """No registered job function has this name."""


def job_function(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job function called ``name``."""

    def register(func: JobFunction) -> JobFunction:
        existing = _registry.get(name)
        if existing is not None and _dotted(existing) != _dotted(func):
            raise ValueError(f"job function {name!r} is already registered as {_dotted(existing)}")
        _registry[name] = func
        func.job_name = name  # type: ignore[attr-defined]
        return func

    return register


def _dotted(func: JobFunction) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _lookup(func_path: str) -> JobFunction | None:
    if func_path in _registry:
        return _registry[func_path]
    for func in _registry.values():
        if _dotted(func) == func_path:
            return func
    return None


def get_job_function(func_path: str) -> JobFunction:
    """Return the registered job function named ``func_path`` (its name or dotted path)."""
    global _discovered
    func = _lookup(func_path)
    if func is None and not _discovered:
        # Import every app's jobs.py once, so the worker knows the functions the web registered.
        autodiscover_modules("jobs")
        _discovered = True
        func = _lookup(func_path)
    if func is None:
        raise UnknownJobFunction(func_path)
    return func


def upload_name(filename: str, folder: str = "imports") -> str:
    """Return a new storage name for an uploaded file, under ``folder``, keeping its name short.

    A file system takes 255 bytes per name: an upload called after its 100 Chinese characters
    (300 bytes in UTF-8) made the save fail. The name is kept to 100 bytes, then its suffix.
    """
    try:
        safe = get_valid_filename(os.path.basename(filename))
    except SuspiciousFileOperation:
        safe = "upload"
    stem, suffix = os.path.splitext(safe)
    stem = stem.encode()[:100].decode(errors="ignore")
    return f"{folder}/{uuid.uuid4().hex}-{stem}{suffix[:10]}"


def start_job(*, kind: str, title: str, user, func_path: str, params: dict | None = None) -> Job:
    """Create a queued job for ``user`` and queue it for the worker once the transaction commits.

    A ``title`` longer than a job's (it often names an uploaded file) is cut with "…".
    """
    get_job_function(func_path)  # refuse an unknown function now, not in the worker
    params = dict(params or {})
    json.dumps(params)  # a TypeError here beats a half-created job
    title = clean_line(str(title))
    limit = Job._meta.get_field("title").max_length
    if len(title) > limit:
        title = title[: limit - 1] + "…"
    job = Job.objects.create(
        kind=kind,
        title=title,
        created_by=user if user is not None and user.is_authenticated else None,
        func_path=func_path,
        params=params,
    )
    from pingan.core.tasks import run_job_task

    transaction.on_commit(lambda: run_job_task(job.pk))
    return job


def run_job(job_id: int) -> None:
    """Run the queued job ``job_id``: mark it running, call its function, record the outcome.

    A job that is no longer queued (run already, or delivered twice) is left alone. Whatever
    the function raises, the job ends as failed, never stuck in "running".
    """
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("Job %s is not queued (missing or already run); not running it.", job_id)
        return
    job = Job.objects.get(pk=job_id)
    # Transactions the job function opens lie deeper than this (tests run inside one already).
    job.__dict__["_atomic_depth"] = len(connections[DEFAULT_DB_ALIAS].atomic_blocks)
    try:
        func = get_job_function(job.func_path)
        func(job, **job.params)
    except JobError as exc:
        _finish(job, Job.Status.FAILED, error=str(exc))
    except UnknownJobFunction:
        _finish(
            job,
            Job.Status.FAILED,
            error=_("Unknown job function %(name)s.") % {"name": job.func_path},
        )
    except Exception as exc:
        logger.exception("Job %s (%s) failed.", job.pk, job.func_path)
        # The person who started it reads a reason in their language; the detail stays with it.
        detail = f"{type(exc).__name__}: {exc}"
        _finish(
            job,
            Job.Status.FAILED,
            error=_("An unexpected error stopped the job (%(detail)s); it has been logged.")
            % {"detail": detail},
        )
    except BaseException:
        # The worker is stopping (Ctrl+C, SIGTERM): record it, then let it stop.
        _finish(job, Job.Status.FAILED, error=_("The worker stopped while the job was running."))
        raise
    else:
        _finish(job, Job.Status.SUCCEEDED)
    finally:
        _close_side_connection(job)


def _finish(job: Job, status: str, *, error: str = "") -> None:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    if status == Job.Status.SUCCEEDED:
        job.percent = 100
    fields = ["status", "error", "finished_at", "percent", "messages"]
    try:
        job.save(update_fields=fields)
    except DatabaseError:
        # The job function may have broken this connection; one fresh try before giving up.
        logger.exception("Could not record the end of job %s; retrying once.", job.pk)
        connections[DEFAULT_DB_ALIAS].close()
        job.save(update_fields=fields)


# --- reporting, called through Job.progress / Job.log / Job.set_result_file ---------------------


def report_progress(job: Job, percent: float | None, message: str = "") -> None:
    """Record progress and an optional message; write them when the throttle allows."""
    if percent is not None:
        if isinstance(percent, float) and math.isnan(percent):
            percent = 0
        job.percent = max(0, min(100, int(percent)))
    if message:
        job.messages = [*job.messages, {"at": timezone.now().isoformat(), "text": str(message)}][
            -MAX_MESSAGES:
        ]
    state = job.__dict__.setdefault("_progress_state", {"written_at": -math.inf, "written": None})
    snapshot = (job.percent, len(job.messages), job.messages[-1:] if job.messages else None)
    if snapshot == state["written"]:
        return
    now = time.monotonic()
    if now - state["written_at"] < PROGRESS_INTERVAL:
        return  # run_job writes the last state when the job ends
    if _write_progress(job):
        state["written_at"], state["written"] = now, snapshot


def _write_progress(job: Job) -> bool:
    """Write percent and messages where other processes can see them; return whether done."""
    connection = connections[DEFAULT_DB_ALIAS]
    depth = job.__dict__.get("_atomic_depth", len(connection.atomic_blocks))
    if len(connection.atomic_blocks) <= depth:
        if connection.vendor != "sqlite":
            job.save(update_fields=["percent", "messages"])
            return True
        try:
            job.save(update_fields=["percent", "messages"])
        except OperationalError:
            # A read still open on this connection (rows streamed by iterator()) holds a
            # snapshot older than another job's write: see the module's docstring.
            return _write_on_side_connection(job, connection, skip_locked=False)
        return True
    if connection.vendor != "postgresql":
        return False  # SQLite: the transaction holds the only write lock; wait for the end
    # SKIP LOCKED: if the job function's own transaction holds the row, waiting for it from
    # the same thread would never end.
    return _write_on_side_connection(job, connection, skip_locked=True)


def _write_on_side_connection(job: Job, connection, *, skip_locked: bool) -> bool:
    """Write percent and messages through a second connection, in its own transaction."""
    side = job.__dict__.get("_side_connection")
    if side is None:
        side = job.__dict__["_side_connection"] = connections.create_connection(DEFAULT_DB_ALIAS)
    table = connection.ops.quote_name(Job._meta.db_table)
    messages = Job._meta.get_field("messages").get_db_prep_save(job.messages, connection=side)
    row = (
        f"(SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)"  # noqa: S608 -- quoted table name
        if skip_locked
        else "%s"
    )
    try:
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET percent = %s, messages = %s WHERE id = {row}",  # noqa: S608 -- quoted table name
                [job.percent, messages, job.pk],
            )
            return cursor.rowcount == 1
    except DatabaseError:
        logger.warning("Could not write the progress of job %s.", job.pk, exc_info=True)
        return False


def _close_side_connection(job: Job) -> None:
    side = job.__dict__.pop("_side_connection", None)
    if side is not None:
        side.close()


def store_result_file(job: Job, name: str, content: bytes) -> None:
    """Save ``content`` as the job's result file (under jobs/YYYY/MM/) named ``name``."""
    if job.result_file:
        job.result_file.delete(save=False)
    # A folder of its own per job: two jobs' files of one name never collide, so the stored
    # name stays the name the download is offered under (no storage suffix).
    job.result_file.save(f"{job.pk}/{name}", ContentFile(content), save=False)
    job.save(update_fields=["result_file"])
