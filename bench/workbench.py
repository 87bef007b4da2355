"""Benchmark the centre's workbench and the overdue board with 1,000,000 events in PostgreSQL.

Run from the repository root: ``.venv/bin/python bench/workbench.py [--events N] [--runs N]``.

Uses PostgreSQL at ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_workbench``;
created and migrated if missing, the demo county loaded: never point it at real data). Tops the
events table up to ``--events`` rows with ``COPY`` (once: later runs reuse them): about 95 %
closed, written in time order over the last two years (open events are the recent ones and a
few stuck older ones, about 2 %; 1 % overdue with supervision), spread over the demo county's
grids, townships, categories and departments. ``--fresh`` empties the events table first.
Then, as ``center`` (the county dispatcher, who sees every event) with Django's test client,
renders the workbench's first page (default tab and the overdue tab) and the overdue board,
and prints one JSON object per page:
the median of ``--runs`` renders, the queries, and the slowest query (with ``EXPLAIN ANALYZE``
when the page misses the target of 150 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_workbench"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
os.environ.setdefault("PINGAN_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("PINGAN_VAR_DIR", str(Path(tempfile.gettempdir()) / "pingan-bench-workbench"))
os.environ.setdefault("PINGAN_LOG_LEVEL", "WARNING")
os.environ.setdefault("PINGAN_DEMO_EVENTS", "0")  # the bench writes its own million
sys.path.insert(0, str(ROOT))

from bench.common import emit, ensure_database  # noqa: E402 -- after the path is set

TARGET_MS = 150
PAGES = {
    "workbench_default_tab": "/events/",
    "workbench_overdue_tab": "/events/?tab=overdue",
    "overdue_board": "/events/overdue/",
}
# Which open status an open event is in, relatively.
OPEN_WEIGHTS = {
    "reported": 2,
    "dispatched": 6,
    "signed": 6,
    "in_progress": 20,
    "resolved": 4,
    "suspended": 2,
    "on_hold": 3,
}
# How likely an event of this age (days) is still open: recent ones mostly, a few stuck ones.
OPEN_BY_AGE = ((3, 0.6), (10, 0.3), (30, 0.12), (90, 0.05), (10_000, 0.01))
HISTORY_DAYS = 730


class Maker:
    """Invent event rows over the demo county."""

    def __init__(self, now: dt.datetime) -> None:
        from pingan.accounts.models import Department
        from pingan.events import routing
        from pingan.events.models import Category
        from pingan.geo import demo_data as data
        from pingan.geo.models import Grid, Region

        self.now = now
        self.rng = random.Random(1_000_000)  # noqa: S311 -- benchmark data, not secrets
        self.grids = list(
            Grid.objects.filter(path__startswith=f"/{data.COUNTY_CODE}/").select_related("region")
        )
        self.townships = {
            r.pk: r for r in Region.objects.filter(level=Region.Level.TOWNSHIP, is_demo=True)
        }
        self.categories = list(Category.objects.filter(parent__isnull=False))
        departments = list(
            Department.objects.filter(code__startswith=data.COUNTY_CODE, kind="bureau")
        )
        self.departments = {c.pk: self.rng.choice(departments) for c in self.categories}
        self.centres = {pk: routing.centre_for(township) for pk, township in self.townships.items()}

    def row(self, index: int, total: int) -> dict:
        """Return event ``index`` of ``total``: rows come in time order, as a real table fills."""
        from django.utils import timezone

        rng, now = self.rng, self.now
        grid = rng.choice(self.grids)
        region = grid.region
        township_id = region.parent_id if region.level == "village" else region.pk
        category = rng.choice(self.categories)
        department = self.departments[category.pk]
        age = HISTORY_DAYS * (1 - (index + 0.5) / total)
        reported = now - dt.timedelta(days=age, seconds=rng.randint(0, 3600))
        chance = next(p for days, p in OPEN_BY_AGE if age < days)
        status = "closed"
        if rng.random() < chance:
            status = rng.choices(list(OPEN_WEIGHTS), list(OPEN_WEIGHTS.values()))[0]
        elif rng.random() < 0.025:
            status = rng.choice(("invalid", "merged"))
        is_open = status in OPEN_WEIGHTS
        day = timezone.localdate(reported)
        row = {
            "number": f"SJ-{day:%Y%m%d}-{index:07d}",
            "title": "",
            "description": f"压测事件 {index}：{category.name}",
            "category_id": category.pk,
            "category_source": "reporter",
            "priority": category.priority,
            "status": status,
            "channel": rng.choice(("grid_worker", "hotline", "resident", "grid_worker")),
            "reporter_name": "压测",
            "lng": 102.1,
            "lat": 30.05,
            "located_by": "grid",
            "region_id": region.pk,
            "grid_id": grid.pk,
            "path": region.path,
            "county_code": region.path.strip("/").split("/")[0],
            "township_id": township_id,
            "centre_id": self.centres[township_id].pk if self.centres.get(township_id) else None,
            "reported_at": reported,
            "updated_at": reported,
        }
        if status == "reported":
            return row
        due = reported + dt.timedelta(days=3)
        row.update(
            department_id=department.pk,
            first_department_id=department.pk,
            dispatched_at=reported,
            sign_due_at=reported + dt.timedelta(hours=2),
            resolve_due_at=due,
        )
        late = due < now and rng.random() < (0.5 if is_open else 0.1)
        if late:
            # Closed late events keep their overdue mark: they stay in the partial index.
            row.update(overdue_since=due, supervision=rng.choice(("normal", "yellow", "red")))
        if not is_open:
            resolved = due + dt.timedelta(hours=rng.uniform(1, 48)) if late else reported
            row.update(
                signed_at=reported + dt.timedelta(hours=1),
                signed_on_time=True,
                resolved_at=resolved + dt.timedelta(days=0 if late else 1),
                resolved_on_time=not late,
                closed_at=resolved + dt.timedelta(days=1),
            )
        return row


def top_up(target: int, *, fresh: bool = False, batch: int = 50_000) -> None:
    """Add event rows with COPY until the table holds ``target`` events (``fresh``: anew)."""
    from django.db import connection
    from django.utils import timezone

    from pingan.events.models import Event

    if fresh:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE events_event RESTART IDENTITY CASCADE")
    have = Event.objects.count()
    emit("events_before", have, "events")
    if have >= target:
        return
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    defaults = {}
    for field in fields:
        default = field.get_default()
        defaults[field.attname] = default() if callable(default) else default
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    maker = Maker(timezone.now())
    started = time.perf_counter()
    index = have
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY
        while index < target:
            end = min(index + batch, target)
            with raw.copy(f"COPY events_event ({columns}) FROM STDIN") as copy:  # noqa: S608
                for i in range(index, end):
                    row = maker.row(i, target)
                    copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            index = end
        cursor.execute("ANALYZE events_event")
    emit("events_loaded", target - have, "events", seconds=round(time.perf_counter() - started, 1))


def measure(runs: int, *, jit: bool = True) -> None:
    """Render each page ``runs`` times as ``center``; print the median and the queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pingan.accounts.models import User
    from pingan.events.models import Event

    emit(
        "events",
        Event.objects.count(),
        "events",
        open=Event.objects.open().count(),
        overdue=Event.objects.open().filter(overdue_since__isnull=False).count(),
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="center"))
    for name, url in PAGES.items():
        for _warm in range(2):
            assert client.get(url).status_code == 200, url
        times = []
        for _run in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        median = statistics.median(times)
        queries = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))
        extra = {
            "url": url,
            "runs": [round(t, 1) for t in times],
            "queries": len(ctx.captured_queries),
            "query_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
            "slowest_query_ms": round(float(queries[0]["time"]) * 1000, 1) if queries else 0,
            "target": f"< {TARGET_MS} ms",
            "jit": jit,
        }
        if median >= TARGET_MS:
            extra["slowest"] = [_explain(connection, q["sql"]) for q in queries[:2]]
        emit(name, round(median, 1), "ms", **extra)


def _explain(connection, sql: str) -> dict:
    if not sql.lstrip().upper().startswith("SELECT"):
        return {"sql": sql[:500]}
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")  # noqa: S608 -- our own captured SQL
        plan = [row[0] for row in cursor.fetchall()]
    return {"sql": sql[:800], "plan": plan}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="empty the events table first")
    parser.add_argument(
        "--no-jit", action="store_true", help="measure with PostgreSQL's JIT compiler off"
    )
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        raise SystemExit("bench/workbench.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    from pingan.core import demo
    from pingan.geo import demo_data as data
    from pingan.geo.models import Region

    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code=data.COUNTY_CODE).exists():
        demo.load_demo()
    top_up(args.events, fresh=args.fresh)
    if args.no_jit:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
    measure(args.runs, jit=not args.no_jit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
