"""Exports started together on the embedded SQLite database all finish (issue 12, item 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_four_exports_started_together_on_sqlite_all_succeed(tmp_path):
    # A subprocess, on a database file under its own var/: pytest's SQLite database lives in
    # memory, where "database is locked" never comes the way it does in a real installation.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PINGAN_", "DJANGO_"))},
        "PINGAN_VAR_DIR": str(tmp_path / "var"),
        "PINGAN_TASKS_IMMEDIATE": "1",
        # More rows than a progress step (500), so every job reports progress while it still
        # reads its rows. (The residents' export streams the same way through the same runner.)
        "PINGAN_DEMO_EVENTS": "1100",
        "PINGAN_DEMO_RESIDENTS": "0",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pingan.events.tests.parallel_exports", "4"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    outcomes = [line for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(outcomes) == 4, result.stdout
    assert all(line.startswith("succeeded ") for line in outcomes), (
        result.stdout + result.stderr[-3000:]
    )
    # Every job wrote all the demo's events into its ledger.
    assert all(int(line.split()[1]) >= 1100 for line in outcomes), result.stdout
