"""Pieces every benchmark shares: one JSON object per figure, a PostgreSQL database to run in."""

from __future__ import annotations

import json
from urllib.parse import urlparse


def emit(figure: str, value, unit: str = "", **extra) -> None:
    """Print one figure as a JSON object on its own line."""
    print(json.dumps({"figure": figure, "value": value, "unit": unit, **extra}), flush=True)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
