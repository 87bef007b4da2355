"""Benchmark the deadline sweep: 200,000 open deadlines, one sweep's time and queries.

Run from the repository root: ``.venv/bin/python bench/sweep.py [--items N] [--due-percent P]``.

Uses PostgreSQL at ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/pingan_bench``;
the database is created and migrated if missing, and its deadline table is emptied: never
point it at real data). Of the open deadlines, ``P`` % have passed their warning time and another
``P`` % their due time; a no-op workflow is registered, so the figures are the sweep's own cost.
Prints one JSON object per figure. Also runs two sweeps at once on two connections and checks
that every hook fired exactly once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pingan_bench"
# Settings must load without touching the developer's var/ directory.
_TMP = tempfile.mkdtemp(prefix="pingan-bench-")
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
os.environ.setdefault("PINGAN_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("PINGAN_VAR_DIR", _TMP)
os.environ.setdefault("PINGAN_LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import emit, ensure_database  # noqa: E402 -- after the path is set


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--due-percent", type=float, default=1.0)
    parser.add_argument("--no-concurrency-check", action="store_true")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        ensure_database(url)

    import django

    django.setup()

    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pingan.workflow import deadlines
    from pingan.workflow.models import Deadline

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        _truncate(connection)
    else:
        Deadline.objects.all().delete()

    fired: list[int] = []
    deadlines.register(
        "bench.noop",
        on_warning=lambda rows: fired.append(len(rows)),
        on_overdue=lambda rows: fired.append(len(rows)),
    )

    now = dt.datetime.now(dt.UTC)
    hour = dt.timedelta(hours=1)
    content_type = ContentType.objects.get_for_model(Deadline)
    share = max(1, int(args.items * args.due_percent / 100))
    started = time.perf_counter()
    batch: list[Deadline] = []
    for i in range(args.items):
        if i < share:  # warning time passed, not yet due
            warn_at, due_at, warned_at = now - hour, now + hour, None
        elif i < 2 * share:  # due time passed, warning already sent
            warn_at, due_at, warned_at = now - 3 * hour, now - hour, now - 3 * hour
        else:  # spread over the next thirty days
            offset = dt.timedelta(minutes=10 + (i * 7919) % (30 * 24 * 60))
            warn_at, due_at, warned_at = now + offset * 0.8, now + offset, None
        batch.append(
            Deadline(
                content_type=content_type,
                object_id=i + 1,
                handler="bench.noop",
                kind="bench",
                starts_at=now - 4 * hour,
                warn_at=warn_at,
                due_at=due_at,
                warned_at=warned_at,
                county_code="513999",
            )
        )
        if len(batch) == 10_000:
            Deadline.objects.bulk_create(batch)
            batch = []
    Deadline.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE workflow_deadline" if connection.vendor == "postgresql" else "ANALYZE"
        )
    emit("items", Deadline.objects.filter(closed_at__isnull=True).count(), "open deadlines")
    emit("load_seconds", round(time.perf_counter() - started, 2), "s")
    emit("database", connection.vendor)

    plan = _plan(connection, now)
    emit(
        "index_scan",
        "deadline_warn_pending" in plan and "deadline_due_pending" in plan,
        "",
        plan=plan,
    )

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = deadlines.sweep(now=now)
        elapsed = time.perf_counter() - started
    emit("sweep_seconds", round(elapsed, 3), "s", target="< 2 s on PostgreSQL")
    emit("sweep_queries", len(ctx.captured_queries), "queries", batches=result.batches)
    emit(
        "sweep_queries_per_batch",
        round(len(ctx.captured_queries) / max(result.batches, 1), 1),
        "queries",
        batch_size=deadlines.sweep_batch_size(),
    )
    emit(
        "fired", {"warning": result.warned, "overdue": result.overdue}, "hooks", expected=2 * share
    )
    emit("hook_calls", len(fired), "calls")

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        idle = deadlines.sweep(now=now)
        elapsed = time.perf_counter() - started
    emit("idle_sweep_seconds", round(elapsed, 4), "s", fired=idle.warned + idle.overdue)
    emit("idle_sweep_queries", len(ctx.captured_queries), "queries")

    if not args.no_concurrency_check and connection.vendor == "postgresql":
        _concurrency_check(now, share)
    return 0


def _truncate(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE workflow_deadline")


def _plan(connection, now: dt.datetime) -> str:
    """Return the query plans of the sweep's two candidate scans (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return ""
    from pingan.workflow import deadlines

    lines = []
    for threshold in (deadlines.WARNING, deadlines.OVERDUE):
        qs, _rank = deadlines._pending(threshold, now, set(), set())
        sql, params = qs[:1000].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            lines += [row[0].strip() for row in cursor.fetchall()]
    return " | ".join(lines)


def _concurrency_check(now: dt.datetime, share: int) -> None:
    """Reset the fired marks, run two sweeps on two connections at once, count the hooks."""
    from django.db import connection as main_connection
    from django.db import connections

    from pingan.workflow import deadlines
    from pingan.workflow.models import Deadline

    Deadline.objects.filter(warn_at__lte=now, due_at__gt=now).update(warned_at=None)
    Deadline.objects.filter(due_at__lte=now).update(overdue_at=None)
    main_connection.close()

    seen: dict[str, list[int]] = {"warning": [], "overdue": []}
    lock = threading.Lock()

    def record(threshold):
        def hook(rows):
            with lock:
                seen[threshold].extend(d.pk for d in rows)
            time.sleep(0.02)  # hold the batch's row locks a moment, so the sweeps overlap

        return hook

    deadlines.register("bench.noop", on_warning=record("warning"), on_overdue=record("overdue"))
    results = []

    def run():
        try:
            results.append(deadlines.sweep(now=now, batch_size=250))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    duplicates = sum(len(ids) - len(set(ids)) for ids in seen.values())
    emit(
        "concurrent_sweeps",
        {"per_sweep": [r.warned + r.overdue for r in results], "duplicates": duplicates},
        "hooks",
        expected=2 * share,
        fired=len(seen["warning"]) + len(seen["overdue"]),
        seconds=round(elapsed, 3),
    )


if __name__ == "__main__":
    sys.exit(main())
