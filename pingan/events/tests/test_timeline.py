"""The timeline names each actor's own unit and shows a status change only when there is one."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps

from pingan.accounts.models import Department, Membership, Role
from pingan.events.models import Event, EventLog
from pingan.events.tests.conftest import GRID01, GRID02, HOUSING, TRANSPORT, event_in, move
from pingan.geo.models import Grid

pytestmark = pytest.mark.django_db


def entry(event: Event, action: str) -> EventLog:
    return event.timeline.filter(action=action).latest("at", "id")


def timeline_items(html: str) -> dict[str, str]:
    """Return the text of each timeline entry of the page by its action (the last one wins)."""
    items = re.findall(
        r'<li class="list-group-item small" data-action="(\w+)">(.*?)</li>', html, re.S
    )
    return {action: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for action, body in items}


def test_a_grid_workers_check_names_their_grid_not_the_events_department():
    event = event_in("closed")
    check = entry(event, "verify")
    assert check.actor_unit == Grid.objects.get(code=GRID01).name
    assert check.department.code == TRANSPORT  # still the department whose work was checked


def test_each_actor_is_named_with_their_own_unit(client_as):
    event = event_in("closed")
    transport = Department.objects.get(code=TRANSPORT)
    assert entry(event, "sign").actor_unit == transport.name
    assert entry(event, "resolve").actor_unit == transport.name
    event = event_in("dispatched")
    move(event, "reassign", "center", department=Department.objects.get(code=HOUSING).pk)
    centre = Department.objects.get(kind=Department.Kind.CENTER, region__code="513999")
    assert entry(event, "reassign").actor_unit == centre.name


def test_the_page_shows_the_actors_unit_and_the_department_apart(client_as):
    event = event_in("closed")
    items = timeline_items(client_as("center").get(event.get_absolute_url()).content.decode())
    grid = Grid.objects.get(code=GRID01)
    transport = Department.objects.get(code=TRANSPORT)
    assert f"李晓燕 · {grid.name}" in items["verify"]
    assert f"李晓燕 · {transport.name}" not in items["verify"]
    assert transport.name in items["verify"]  # as the department concerned, apart


def test_a_step_shows_a_status_change_only_when_there_is_one(client_as):
    event = event_in("dispatched")
    move(event, "urge", "center", note="请尽快签收")
    move(event, "reassign", "center", department=Department.objects.get(code=HOUSING).pk)
    items = timeline_items(client_as("center").get(event.get_absolute_url()).content.decode())
    assert "→" not in items["urge"]
    assert "→" not in items["reassign"]  # dispatched → dispatched is no change
    # The move "已派遣" was followed by the status of the same name: now the change itself.
    assert not re.search(r"已派遣\s*→\s*已派遣", items["dispatch"])
    assert re.search(r"待派遣\s*→\s*已派遣", items["dispatch"])


def test_history_stays_right_when_the_person_moves_to_another_unit(client_as):
    event = event_in("closed")
    membership = Membership.objects.get(user__username="grid01", role=Role.GRID_WORKER)
    membership.grid = Grid.objects.get(code=GRID02)
    membership.save()
    check = entry(event, "verify")
    assert check.actor_unit == Grid.objects.get(code=GRID01).name


def test_the_api_timeline_names_the_actors_unit_and_the_status_change(api_as):
    event = event_in("closed")
    body = api_as("center").get(f"/api/v1/events/{event.pk}/").json()
    by_action = {item["action"]: item for item in body["timeline"]}
    assert by_action["verify"]["actor_unit"] == Grid.objects.get(code=GRID01).name
    assert by_action["verify"]["status_changed"] is True
    event = event_in("dispatched")
    move(event, "urge", "leader", note="请尽快签收")
    body = api_as("center").get(f"/api/v1/events/{event.pk}/").json()
    urge = next(item for item in body["timeline"] if item["action"] == "urge")
    assert urge["status_changed"] is False
    assert urge["actor_unit"] == "示范县"  # the leader's own region


def test_the_migration_fills_the_unit_of_older_entries():
    event = event_in("closed")
    EventLog.objects.filter(event=event).update(actor_unit="")
    migration = importlib.import_module("pingan.events.migrations.0007_actor_unit")
    migration.backfill(apps, None)
    assert entry(event, "verify").actor_unit == Grid.objects.get(code=GRID01).name
    assert entry(event, "sign").actor_unit == Department.objects.get(code=TRANSPORT).name
