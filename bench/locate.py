"""Benchmark locate(): point-in-grid lookups per second against a bare shapely STRtree.

Run from the repository root: ``.venv/bin/python bench/locate.py [--points N] [--side N]``.

The index is built straight from synthetic polygons (a ``side`` x ``side`` tiling of rural grids,
one village per 10 x 10 block, plus dedicated and seasonal overlay grids), because ``GridIndex``
is what ``locate()`` queries; no database is touched. Prints one JSON object per figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

# Settings must load without touching the developer's var/ directory or database.
_TMP = tempfile.mkdtemp(prefix="pingan-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
os.environ.setdefault("PINGAN_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("PINGAN_VAR_DIR", _TMP)
os.environ["DATABASE_URL"] = f"sqlite:///{Path(_TMP) / 'bench.sqlite3'}"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from shapely.strtree import STRtree  # noqa: E402

from pingan.geo import locate as locate_module  # noqa: E402
from pingan.geo.locate import GridIndex, locate  # noqa: E402

ORIGIN = (102.0, 30.0)  # degrees; about where the demo county lies
TILE = 0.002  # degrees; about 190 m x 220 m, the size of a small rural grid


def build_grids(side: int, rng: random.Random) -> tuple[list[tuple], list[tuple]]:
    """Return GridIndex input rows: a side x side tiling, overlays, and 10 x 10-tile villages."""
    x0, y0 = ORIGIN
    today = dt.date.today()  # noqa: DTZ011 (a season window only needs to straddle today)
    grids: list[tuple] = []
    for i in range(side):
        for j in range(side):
            geom = shapely.box(
                x0 + i * TILE, y0 + j * TILE, x0 + (i + 1) * TILE, y0 + (j + 1) * TILE
            )
            village = (i // 10) * 1000 + (j // 10)
            gid = len(grids) + 1
            grids.append(
                (gid, f"{gid:015d}", f"grid {gid}", village, geom, False, geom.area, None, None)
            )
    extent = side * TILE
    overlays = max(side * side // 25, 1)
    for n in range(overlays):
        size = TILE * rng.uniform(0.2, 1.5)
        x = x0 + rng.uniform(0, extent - size)
        y = y0 + rng.uniform(0, extent - size)
        geom = shapely.box(x, y, x + size, y + size)
        gid = len(grids) + 1
        if n % 20 == 0:
            # Seasonal grids: half of them in season today, half out of it.
            start = today - dt.timedelta(days=30)
            end = today + dt.timedelta(days=30) if n % 40 == 0 else today - dt.timedelta(days=1)
        else:
            start = end = None
        grids.append((gid, f"{gid:015d}", f"overlay {gid}", 0, geom, True, geom.area, start, end))
    villages = []
    for vi in range(0, side, 10):
        for vj in range(0, side, 10):
            geom = shapely.box(
                x0 + vi * TILE,
                y0 + vj * TILE,
                x0 + min(vi + 10, side) * TILE,
                y0 + min(vj + 10, side) * TILE,
            )
            villages.append(((vi // 10) * 1000 + vj // 10, geom))
    return grids, villages


def best_rate(fn, count: int, repeat: int) -> float:
    """Return the best of ``repeat`` runs of ``fn`` in calls per second."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return count / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--side", type=int, default=100, help="tiles per side of the tiling")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    grids, villages = build_grids(args.side, rng)
    start = time.perf_counter()
    index = GridIndex(grids, villages)
    build_s = time.perf_counter() - start
    # locate() answers from this process's index; install ours as if the database had built it.
    locate_module._index = index
    locate_module._checked_at = time.monotonic()

    extent = args.side * TILE
    x0, y0 = ORIGIN
    points = [(x0 + rng.random() * extent, y0 + rng.random() * extent) for _ in range(args.points)]
    tree = STRtree([g[4] for g in grids])
    prebuilt = shapely.points(np.array(points))

    # Every answer must be one of the grids the bare tree finds (sanity, not timing).
    for lng, lat in points[:2000]:
        found = locate(lng, lat)
        hits = tree.query(shapely.Point(lng, lat), predicate="intersects")
        assert found is not None and found.grid_id in {grids[h][0] for h in hits}

    # Points just east of the tiling, in no grid: the nearest-village fallback answers them.
    outside = [
        (x0 + extent + rng.random() * 0.02, y0 + rng.random() * extent)
        for _ in range(max(args.points // 10, 1))
    ]
    assert all(locate(lng, lat).method == "nearest_village" for lng, lat in outside[:100])

    def run_fallback() -> None:
        for lng, lat in outside:
            locate(lng, lat)

    def run_locate() -> None:
        for lng, lat in points:
            locate(lng, lat)

    def run_index() -> None:
        for lng, lat in points:
            index.locate(lng, lat)

    def run_strtree() -> None:
        for lng, lat in points:
            tree.query(shapely.Point(lng, lat), predicate="intersects")

    def run_strtree_prebuilt() -> None:
        for point in prebuilt:
            tree.query(point, predicate="intersects")

    n = args.points
    locate_rate = best_rate(run_locate, n, args.repeat)
    index_rate = best_rate(run_index, n, args.repeat)
    strtree_rate = best_rate(run_strtree, n, args.repeat)
    prebuilt_rate = best_rate(run_strtree_prebuilt, n, args.repeat)
    fallback_rate = best_rate(run_fallback, len(outside), args.repeat)
    figures = [
        ("grids", len(grids), "polygons"),
        ("points", n, "lookups per run"),
        ("index_build_s", round(build_s, 3), "s"),
        ("locate_lookups_per_s", round(locate_rate), "lookups/s (public locate(lng, lat))"),
        ("gridindex_lookups_per_s", round(index_rate), "lookups/s (GridIndex.locate)"),
        (
            "strtree_lookups_per_s",
            round(strtree_rate),
            "lookups/s (STRtree.query(Point(lng, lat), predicate='intersects'))",
        ),
        (
            "strtree_prebuilt_points_lookups_per_s",
            round(prebuilt_rate),
            "lookups/s (STRtree.query on points made beforehand)",
        ),
        (
            "nearest_village_lookups_per_s",
            round(fallback_rate),
            "lookups/s (public locate() for points in no grid, answered by the fallback)",
        ),
        ("ratio_strtree_over_locate", round(strtree_rate / locate_rate, 2), "x (target <= 2)"),
    ]
    for figure, value, unit in figures:
        print(json.dumps({"figure": figure, "value": value, "unit": unit}))


if __name__ == "__main__":
    main()
