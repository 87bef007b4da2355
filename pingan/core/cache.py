"""Small read-mostly tables kept in process memory: routing rules, keyword rules, the calendar.

A :class:`TableCache` rebuilds its value when a model it depends on is saved or deleted in this
process (signals), when another process announced a change through the shared cache (a version
number in Django's cache: Redis in production), and at the latest after ``ttl`` seconds, so an
edit made on another web node takes effect within that time even with a per-process cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

_all: list[TableCache] = []


class TableCache:
    def __init__(self, name: str, loader: Callable[[], Any], *, ttl: float = 30.0) -> None:
        self.name = name
        self.key = f"pingan:table-cache:{name}"
        self.loader = loader
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value: Any = None
        self._version: Any = None
        self._loaded_at = 0.0
        _all.append(self)

    def get(self) -> Any:
        """Return the cached value, rebuilt if it may be stale."""
        version = cache.get(self.key, 0)
        fresh = time.monotonic() - self._loaded_at < self.ttl
        if self._value is not None and fresh and version == self._version:
            return self._value
        with self._lock:
            value = self.loader()
            self._value, self._version, self._loaded_at = value, version, time.monotonic()
        return value

    def invalidate(self, **_kwargs) -> None:
        """Forget the value here and tell other processes (after the commit)."""
        self._value = None

        def bump() -> None:
            try:
                cache.incr(self.key)
            except ValueError:
                cache.set(self.key, 1, None)

        transaction.on_commit(bump, robust=True)

    def depends_on(self, models: Iterable) -> TableCache:
        for model in models:
            post_save.connect(self.invalidate, sender=model, weak=False)
            post_delete.connect(self.invalidate, sender=model, weak=False)
        return self


def clear_all() -> None:
    """Forget every table cache of this process (tests that bypass signals)."""
    for table in _all:
        table._value = None
