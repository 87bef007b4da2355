"""Demo data: each app seeds its own, found in its ``demo.py`` and run in layer order.

An app registers the function that loads its demo rows in its ``<app>/demo.py``::

    @demo_loader(order=40)
    def load_demo_events_data(stdout: TextIO | None) -> None:
        ...

:func:`load_demo` imports every installed app's ``demo.py`` (Django's ``autodiscover_modules``,
as :mod:`pingan.core.jobs` does for ``jobs.py``) and runs the loaders by ``order``, smallest
first, so that a lower layer never has to know (or import) the apps above it. A loader may rely
on everything a smaller number loads. The numbers follow the layers:

    10  geo and accounts: regions, grids, departments, accounts, memberships, teams
    20  notify
    30  workflow
    40+ domain apps, each its own number (events 40, people 50, the next one 60, ...)

A loader receives the stream to report on (``None``: say nothing), writes only what a person
loading the demo should know (what it skipped, what it added), and must be idempotent: loading
twice adds nothing. Most loaders only add what is missing. One that refreshes existing rows in
place (geo's: it resets the demo accounts' passwords and the grid teams) is registered with
``refreshes=True``; ``pingan demo`` starting on a county that is already loaded runs the
others only (``load_demo(refresh=False)``), so an older demo database gets the data of newer
apps once without losing what was changed in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from django.db import transaction
from django.utils.module_loading import autodiscover_modules

LoaderFunction = Callable[[TextIO | None], object]


@dataclass(frozen=True)
class Loader:
    """One app's demo loader and where it runs among the others."""

    func: LoaderFunction
    order: int
    refreshes: bool = False

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    def __call__(self, stdout: TextIO | None = None) -> object:
        return self.func(stdout)


# Keyed by dotted name, so that a module imported twice (tests, reloads) registers once.
_registry: dict[str, Loader] = {}


def demo_loader(
    *, order: int, refreshes: bool = False
) -> Callable[[LoaderFunction], LoaderFunction]:
    """Register the decorated ``func(stdout)`` as a demo loader running at ``order``."""

    def register(func: LoaderFunction) -> LoaderFunction:
        entry = Loader(func=func, order=order, refreshes=refreshes)
        _registry[entry.name] = entry
        return func

    return register


def loaders() -> list[Loader]:
    """Return every installed app's demo loaders in the order they run."""
    autodiscover_modules("demo")
    # Ties fall back to the dotted name: the same order whichever module was imported first.
    return sorted(_registry.values(), key=lambda entry: (entry.order, entry.name))


def load_demo(stdout: TextIO | None = None, *, refresh: bool = True) -> list[Loader]:
    """Load the demo data of every app, in one transaction; return the loaders that ran.

    ``refresh=False`` skips the loaders that refresh existing rows: only what is missing is added.
    """
    run = [entry for entry in loaders() if refresh or not entry.refreshes]
    with transaction.atomic():
        for entry in run:
            entry(stdout)
    return run
