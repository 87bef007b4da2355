"""Benchmark the resident import: Excel files of N and 4N rows (5 % bad) into PostgreSQL.

Run from the repository root: ``.venv/bin/python bench/import_residents.py [--rows N]``
(N defaults to 25,000: files of 25,000 and 100,000 rows).

Uses PostgreSQL at ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/bench_people``;
created, migrated and loaded with the demo county, without demo events or residents, if
missing: never point it at real data; the benchmark empties the resident tables there). For each
size it writes an .xlsx of synthetic residents (valid GB 11643 numbers from
``idnumber.generate``, one row in twenty broken: wrong check digit, no name, unknown grid, bad
phone, duplicate ID) to a temporary directory, truncates the resident, household and member
tables (so every run starts from the same empty tables, not from the last run's dead rows),
imports the file as the demo account "center" with a rejection report as the import job writes
it, then imports it again (every row unchanged), then a third time under ``tracemalloc``: the
Python memory the import holds at its peak. That figure should be the same for both sizes
(memory flat in the file size). Prints one JSON object per figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_people"
# A fixed directory: the demo's numbers are encrypted with the key created there.
VAR_DIR = Path(tempfile.gettempdir()) / "pingan-bench-people"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
os.environ.setdefault("PINGAN_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("PINGAN_VAR_DIR", str(VAR_DIR))
os.environ.setdefault("PINGAN_LOG_LEVEL", "WARNING")
os.environ["PINGAN_DEMO_EVENTS"] = "0"
os.environ["PINGAN_DEMO_RESIDENTS"] = "0"
sys.path.insert(0, str(ROOT))

from bench.common import emit, ensure_database  # noqa: E402 -- after the path is set

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀兰建国明华丽娟志强伟芳军平勇敏静磊洋艳"


def maxrss_mb() -> float:
    # Linux reports kilobytes.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def prepare() -> None:
    """Migrate, load the demo county once, and remove the residents of earlier runs."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from pingan.core import demo
    from pingan.geo import demo_data as data
    from pingan.geo.models import Region
    from pingan.people.models import Household, HouseholdMember, Resident

    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code=data.COUNTY_CODE).exists():
        started = time.perf_counter()
        demo.load_demo()
        emit("demo_load_seconds", round(time.perf_counter() - started, 1), "s")
    # TRUNCATE, not DELETE: every run would otherwise leave its rows behind as dead tuples
    # (a million after a few runs), and the next run's figures would measure that bloat.
    tables = ", ".join(m._meta.db_table for m in (HouseholdMember, Household, Resident))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")  # noqa: S608 -- table names, no input


def write_file(path: Path, rows: int, grid_codes: list[str]) -> int:
    """Write ``rows`` residents (one in twenty bad) to ``path``; return the number of bad rows."""
    from openpyxl import Workbook

    from pingan.people import idnumber
    from pingan.people.importers import header_labels

    rng = random.Random(7)  # noqa: S311 -- synthetic data, not secrets
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(header_labels())
    first_day = dt.date(1940, 1, 1)
    bad = 0
    previous = ""
    for i in range(rows):
        born = first_day + dt.timedelta(days=i % 25000)
        number = idnumber.generate("513999", born, i // 25000 + 1)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = f"13{rng.randrange(10**9):09d}"
        grid = grid_codes[i % len(grid_codes)]
        household = f"H{i // 3:06d}"
        relation = ("户主", "配偶", "子女")[i % 3]
        if i % 20 == 19:
            bad += 1
            kind = (i // 20) % 5
            if kind == 0:
                number = number[:-1] + ("0" if number[-1] != "0" else "1")
            elif kind == 1:
                name = ""
            elif kind == 2:
                grid = "513999999999999"
            elif kind == 3:
                phone = "电话"
            else:
                number = previous
        previous = number
        sheet.append(
            [
                name,
                number,
                phone,
                "示范县示范镇",
                grid,
                rng.choice(("户籍", "户籍", "流动")),
                "在住",
                relation,
                household,
            ]
        )
    book.save(path)
    return bad


def run_size(rows: int, user, codes: list[str]) -> None:
    """Write a file of ``rows`` residents, import it three times, print the figures."""
    from pingan.people.importers import RejectionReport, import_residents

    prepare()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "residents.xlsx"
        started = time.perf_counter()
        bad = write_file(path, rows, codes)
        emit("file_write_seconds", round(time.perf_counter() - started, 1), "s", rows=rows)
        emit("file_size", round(path.stat().st_size / 1e6, 1), "MB", rows=rows, bad_rows=bad)
        for label in ("first", "again"):
            before = maxrss_mb()
            started = time.perf_counter()
            with RejectionReport() as report:
                result = import_residents(path, user=user, report=report)
                report_size = len(report.content())
            seconds = time.perf_counter() - started
            emit(
                f"import_{label}_rows_per_second",
                round(result.rows / seconds),
                "rows/s",
                seconds=round(seconds, 1),
                target=2000,
                report_bytes=report_size,
                **result.summary(),
            )
            emit(f"import_{label}_maxrss", maxrss_mb(), "MB", before=before, rows=rows)
        # A third pass under tracemalloc (slow, so not timed): the Python memory the import
        # itself holds at its peak, report included.
        tracemalloc.start()
        with RejectionReport() as report:
            import_residents(path, user=user, report=report)
            report.content()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        emit("import_peak_python_memory", round(peak / 1e6, 1), "MB", rows=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=25_000, help="the smaller file's rows (the larger: 4x)"
    )
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    prepare()

    from pingan.accounts.models import User
    from pingan.geo.models import Grid
    from pingan.people.models import Resident

    user = User.objects.get(username="center")
    codes = list(Grid.objects.visible_to(user).order_by("code").values_list("code", flat=True))
    for rows in (args.rows, 4 * args.rows):
        run_size(rows, user, codes)
    emit("residents_in_table", Resident.objects.count(), "residents")


if __name__ == "__main__":
    main()
