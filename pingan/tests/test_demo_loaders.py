"""The demo registry: every app's loader found in its demo.py, run in layer order, idempotent."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from pingan.core import demo
from pingan.geo import demo_data

ROOT = Path(__file__).resolve().parents[3]
LOADERS = [
    "pingan.geo.demo.load_demo",
    "pingan.workflow.demo.load_demo",
    "pingan.events.demo.load_demo",
    "pingan.people.demo.load_demo",
]


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


def test_every_apps_demo_py_is_discovered_without_being_imported_first():
    # A fresh interpreter: nothing has imported the apps' demo modules yet.
    script = (
        "import json, sys, django; django.setup()\n"
        "from pingan.core import demo\n"
        "before = [m for m in sys.modules if m.endswith('.demo') and m != demo.__name__]\n"
        "found = demo.loaders()\n"
        "print(json.dumps({'before': before, 'loaders': [l.name for l in found],\n"
        "                  'refreshing': [l.name for l in found if l.refreshes]}))\n"
    )
    result = subprocess.run(  # noqa: S603 -- this interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "pingan.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["before"] == []
    assert found["loaders"] == LOADERS
    assert found["refreshing"] == ["pingan.geo.demo.load_demo"]


def test_the_installed_loaders_run_in_layer_order():
    assert [entry.name for entry in demo.loaders()] == LOADERS


def pingan_table_counts() -> dict[str, int]:
    models = [m for m in apps.get_models() if m.__module__.startswith("pingan.")]
    counts = {m._meta.label: m.objects.count() for m in models}
    through = Group.permissions.through
    counts["auth.Group.permissions"] = through.objects.count()
    counts["auth.Group.permissions ids"] = sum(through.objects.values_list("id", flat=True))
    return counts


@pytest.mark.django_db
def test_loading_the_whole_demo_twice_adds_nothing(settings, monkeypatch):
    import datetime as dt

    from pingan.workflow import demo as workflow_demo
    from pingan.workflow.models import Reminder

    settings.PINGAN_DEMO_EVENTS = 20
    settings.PINGAN_DEMO_RESIDENTS = 60
    # The demo reminder falls due two minutes after loading, and a load after that adds a fresh
    # one by design: give it a day, so that the two loads here cannot straddle its deadline.
    monkeypatch.setattr(workflow_demo, "DUE_IN", dt.timedelta(days=1))
    Reminder.objects.filter(is_demo=True).delete()
    first = io.StringIO()
    demo.load_demo(first)
    # What was added is said once: the events, the residents.
    assert len(first.getvalue().splitlines()) == 2
    counts = pingan_table_counts()
    assert counts["events.Event"] >= 20
    assert counts["people.Resident"] >= 60
    again = io.StringIO()
    demo.load_demo(again)
    demo.load_demo(again, refresh=False)
    assert pingan_table_counts() == counts
    assert again.getvalue() == ""


@pytest.mark.django_db
def test_the_centre_staff_group_gets_each_apps_permissions_from_its_loader():
    def held() -> set[str]:
        group = Group.objects.get(name=demo_data.CENTRE_STAFF_GROUP)
        return {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }

    demo.load_demo()
    permissions = held()
    assert {"geo.change_grid", "core.change_calendarday", "accounts.view_user"} <= permissions
    assert {"events.change_routingrule", "workflow.view_accountabilityrecord"} <= permissions
    assert "workflow.change_accountabilityrecord" not in permissions
    # Reloading geo's demo alone keeps what events granted.
    from pingan.geo.demo import load_demo as load_geo_demo

    load_geo_demo()
    assert held() == permissions
