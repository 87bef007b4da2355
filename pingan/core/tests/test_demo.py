"""The demo registry: every app's loader found in its demo.py, run in layer order, idempotent."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from pingan.core import demo


@pytest.fixture
def registry(monkeypatch, db):
    """Return an empty registry that discovers nothing, and a list the fake loaders append to."""
    monkeypatch.setattr(demo, "_registry", {})
    monkeypatch.setattr(demo, "autodiscover_modules", lambda name: None)
    return []


def fake(calls: list[str], name: str):
    def load(stdout):
        calls.append(name)

    load.__qualname__ = name
    return load


def test_loaders_run_by_order_whatever_order_they_registered_in(registry):
    for name, order in (("people", 50), ("events", 40), ("geo", 10), ("workflow", 30)):
        demo.demo_loader(order=order)(fake(registry, name))
    ran = demo.load_demo()
    assert registry == ["geo", "workflow", "events", "people"]
    assert [entry.order for entry in ran] == [10, 30, 40, 50]


def test_loaders_of_one_order_run_by_name(registry):
    for name in ("b", "c", "a"):
        demo.demo_loader(order=40)(fake(registry, name))
    demo.load_demo()
    assert registry == ["a", "b", "c"]


def test_a_module_imported_twice_registers_its_loader_once(registry):
    demo.demo_loader(order=10)(fake(registry, "geo"))
    demo.demo_loader(order=20)(fake(registry, "geo"))
    assert [entry.order for entry in demo.loaders()] == [20]


def test_without_refresh_the_loaders_that_refresh_rows_are_skipped(registry):
    demo.demo_loader(order=10, refreshes=True)(fake(registry, "geo"))
    demo.demo_loader(order=40)(fake(registry, "events"))
    demo.load_demo(refresh=False)
    assert registry == ["events"]
    demo.load_demo()
    assert registry == ["events", "geo", "events"]


def test_a_failing_loader_leaves_nothing_behind(registry):
    def geo(stdout):
        Group.objects.create(name="half a demo")

    def events(stdout):
        raise RuntimeError("no taxonomy")

    demo.demo_loader(order=10)(geo)
    demo.demo_loader(order=40)(events)
    with pytest.raises(RuntimeError):
        demo.load_demo()
    assert not Group.objects.filter(name="half a demo").exists()
