"""Benchmark event intake through the real HTTP API against ``pingan serve`` on PostgreSQL.

Run from the repository root: ``.venv/bin/python bench/intake.py [--seconds S] [--clients N]``.

Uses PostgreSQL at ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_events``;
created, migrated and loaded with the demo county if missing: never point it at real data).
Starts ``pingan serve`` (gunicorn) with ``DJANGO_SETTINGS_MODULE=bench.bench_settings``, which
adds one URL to the project's, the baseline ``POST /bench/baseline/``: a bare authenticated view
that inserts one row in the events table. Takes grid01's API token from ``POST
/api/v1/auth/token``; then ``--clients`` threads POST reports for ``--seconds`` to
``/api/v1/events/`` (JSON: description, lng/lat inside grid01's grid, a unique client key), and
the same to the baseline. Prints one JSON object per figure: requests/s, p50 and p99 latency of
both, their ratio, and the queries of one intake (in-process, ``CaptureQueriesContext``) with the
statements grouped by kind, to find hotspots.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_events"
# A fixed directory: the demo's phone numbers are encrypted with the key created there.
VAR_DIR = Path(tempfile.gettempdir()) / "pingan-bench-intake"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
os.environ.setdefault("PINGAN_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("PINGAN_VAR_DIR", str(VAR_DIR))
os.environ.setdefault("PINGAN_LOG_LEVEL", "WARNING")
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
sys.path.insert(0, str(ROOT))

from bench.common import emit, ensure_database  # noqa: E402 -- after the path is set

GRID01 = "513999001001001"
CLIENT_KEY_PREFIX = "bench-"
# What the clients report: grid workers' words, so that the keyword rules classify them.
TEXTS = (
    "路面破损严重，出现好几处坑槽，车辆经过很颠簸。",
    "垃圾桶满了好几天没人清运，苍蝇很多，味道很大。",
    "路灯不亮已经一个多星期了，晚上老人出门不方便。",
    "下水道堵了，污水冒到路面上，行人没法走。",
    "小区的消防通道被私家车长期占用。",
    "路边占道经营的摊位越来越多，把人行道全占了。",
    "两户邻居因为排水问题吵架，需要调解。",
    "后山挡墙出现裂缝，有垮塌危险，下方有住户。",
)


def prepare() -> None:
    """Migrate, load the demo county once, and remove the reports of earlier runs."""
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    from pingan.core import demo
    from pingan.events.models import Event
    from pingan.geo import demo_data as data
    from pingan.geo.models import Region
    from pingan.workflow.models import Deadline

    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code=data.COUNTY_CODE).exists():
        started = time.perf_counter()
        demo.load_demo()
        emit("demo_load_seconds", round(time.perf_counter() - started, 1), "s")
    earlier = Event.objects.filter(client_key__startswith=CLIENT_KEY_PREFIX)
    ids = list(earlier.values_list("pk", flat=True))
    Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Event), object_id__in=ids
    ).delete()
    Event.objects.filter(pk__in=ids).delete()
    Event.objects.filter(number__startswith="BENCH-").delete()
    emit("events_in_table", Event.objects.count(), "events")


def grid_points(count: int) -> list[tuple[float, float]]:
    """Return ``count`` random points that ``locate`` places in grid01's grid."""
    import shapely

    from pingan.geo.geometry import parse_polygon
    from pingan.geo.locate import locate
    from pingan.geo.models import Grid

    grid = Grid.objects.get(code=GRID01)
    polygon = parse_polygon(grid.geometry)
    west, south, east, north = polygon.bounds
    rng = random.Random(4)  # noqa: S311 -- benchmark points, not secrets
    points: list[tuple[float, float]] = []
    while len(points) < count:
        lng, lat = rng.uniform(west, east), rng.uniform(south, north)
        found = shapely.contains_xy(polygon, lng, lat) and locate(lng, lat)
        if found and found.grid_id == grid.pk:
            points.append((round(lng, 6), round(lat, 6)))
    return points


class Server:
    """``pingan serve`` in a child process (gunicorn), stopped by its process id."""

    def __init__(self, port: int, workers: int) -> None:
        self.port = port
        command = [sys.executable, "-m", "pingan.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(workers)]
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        self.log = VAR_DIR / "serve.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- a fixed argument list, no shell
                command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log
            )

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"pingan serve exited ({self.process.returncode}): see {self.log}")
            try:
                status, _body = request("GET", self.port, "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("pingan serve did not answer /healthz in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def request(method: str, port: int, path: str, body=None, token: str = "") -> tuple[int, bytes]:
    """Make one request on a new connection (gunicorn's sync workers close each one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    try:
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(
    port: int, path: str, token: str, points, *, clients: int, seconds: float, warmup: float
) -> dict:
    """POST reports from ``clients`` threads for ``warmup`` + ``seconds``; return the figures."""
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + seconds
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(number)  # noqa: S311 -- benchmark data
        mine: list[float] = []
        seen: Counter = Counter()
        while True:
            begin = time.perf_counter()
            if begin >= stop_at:
                break
            lng, lat = rng.choice(points)
            body = {
                "description": rng.choice(TEXTS),
                "lng": lng,
                "lat": lat,
                "client_key": f"{CLIENT_KEY_PREFIX}{uuid.uuid4().hex}",
            }
            try:
                status, _answer = request("POST", port, path, body, token)
            except OSError:
                status = 0
            end = time.perf_counter()
            if begin >= measure_from and end <= stop_at:
                seen[status] += 1
                if status in (200, 201):
                    mine.append(end - begin)
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[max(math.ceil(len(latencies) * 0.99) - 1, 0)] * 1000, 1)
        if latencies
        else None,
        "ok": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def profile_queries(points) -> None:
    """Count the SQL statements of one intake through the API, in this process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from pingan.accounts.models import User
    from pingan.events import services
    from pingan.events.models import Event

    user = User.objects.get(username="grid01")
    api = APIClient(HTTP_HOST="127.0.0.1")
    api.force_authenticate(user)
    for run in range(3):
        lng, lat = points[run]
        body = {
            "description": TEXTS[run],
            "lng": lng,
            "lat": lat,
            "client_key": f"{CLIENT_KEY_PREFIX}{uuid.uuid4().hex}",
        }
        with CaptureQueriesContext(connection) as api_ctx:
            started = time.perf_counter()
            response = api.post("/api/v1/events/", body, format="json")
            api_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.content
        user = User.objects.get(username="grid01")
        body["client_key"] = f"{CLIENT_KEY_PREFIX}{uuid.uuid4().hex}"
        with CaptureQueriesContext(connection) as service_ctx:
            started = time.perf_counter()
            services.report_event(acting_user=user, channel=Event.Channel.GRID_WORKER, **body)
            service_ms = (time.perf_counter() - started) * 1000
    emit(
        "intake_queries",
        len(api_ctx.captured_queries),
        "queries",
        in_report_event=len(service_ctx.captured_queries),
        api_ms=round(api_ms, 1),
        report_event_ms=round(service_ms, 1),
        report_event_statements=_kinds(service_ctx.captured_queries),
        api_statements=_kinds(api_ctx.captured_queries),
    )


def _kinds(queries: list[dict]) -> dict[str, int]:
    """Group SQL statements by verb and first table: {"SELECT events_category": 2, ...}."""
    kinds: Counter = Counter()
    for query in queries:
        sql = query["sql"]
        words = sql.split()
        verb = words[0].upper() if words else "?"
        table = ""
        for marker in (" FROM ", "INSERT INTO ", "UPDATE ", "DELETE FROM "):
            if marker in sql:
                table = sql.split(marker, 1)[1].split()[0].strip('"')
                break
        kinds[f"{verb} {table}".strip()] += 1
    return dict(kinds.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile-only", action="store_true", help="only count the queries")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        raise SystemExit("bench/intake.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(url)
    prepare()
    points = grid_points(500)
    emit("settings", {"clients": args.clients, "gunicorn_workers": args.workers}, "")
    if args.profile_only:
        profile_queries(points)
        return 0

    server = Server(args.port, args.workers)
    try:
        server.wait()
        status, answer = request(
            "POST",
            args.port,
            "/api/v1/auth/token",
            {"username": "grid01", "password": "pingan-demo"},
        )
        if status != 200:
            raise SystemExit(f"no token for grid01: {status} {answer[:200]!r}")
        token = json.loads(answer)["token"]
        figures = {}
        for name, path in (("baseline", "/bench/baseline/"), ("intake", "/api/v1/events/")):
            figures[name] = load(
                args.port,
                path,
                token,
                points,
                clients=args.clients,
                seconds=args.seconds,
                warmup=args.warmup,
            )
            result = figures[name]
            emit(f"{name}_requests_per_s", result["requests_per_s"], "requests/s", **result)
            emit(f"{name}_p50_ms", result["p50_ms"], "ms")
            emit(f"{name}_p99_ms", result["p99_ms"], "ms")
    finally:
        server.stop()
    baseline, intake = figures["baseline"], figures["intake"]
    emit(
        "ratio_intake_over_baseline_throughput",
        round(intake["requests_per_s"] / baseline["requests_per_s"], 3)
        if baseline["requests_per_s"]
        else None,
        "",
        target=">= 0.5",
    )
    emit(
        "intake_p50_target_met",
        bool(intake["p50_ms"] and intake["p50_ms"] < 30),
        "",
        target="< 30 ms",
    )
    profile_queries(points)
    return 0


if __name__ == "__main__":
    sys.exit(main())
