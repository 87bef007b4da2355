"""Who sees which event (``Event.objects.visible_to``) and which accountability record.

Five events in the demo county:

- ``wall``: retaining wall in grid01's grid, reported by resident01, with the transport bureau;
- ``fight``: disturbance in grid02's grid (another township), with that township's police;
- ``unsorted``: unclassified, in grid01's grid, waiting at the township centre;
- ``lost``: reported by resident01 from outside the county, waiting at the county centre;
- ``pipe``: a burst pipe in grid01's grid, with the housing bureau.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from pingan.events.models import Event
from pingan.events.queries import get_event_for_user
from pingan.events.tests.conftest import (
    GRID02,
    HOUSING,
    OUTSIDE,
    TRANSPORT,
    get_user,
    grid_point,
    make_handler,
    move,
    report,
)
from pingan.workflow.deadlines import sweep
from pingan.workflow.models import AccountabilityRecord

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
EVERYTHING = {"wall", "fight", "unsorted", "lost", "pipe"}
GRID01_EVENTS = {"wall", "unsorted", "pipe"}
EXPECTED = {
    "admin": EVERYTHING,
    "center": EVERYTHING,
    "leader": EVERYTHING,
    "town01": GRID01_EVENTS,
    "grid01": GRID01_EVENTS,
    "police01": GRID01_EVENTS,
    "grid02": {"fight"},
    "dept-transport": {"wall"},
    "dept-housing": {"pipe"},
    "mediator01": set(),
    "resident01": {"wall", "lost"},
}


@pytest.fixture
def events() -> dict[str, Event]:
    return {
        "wall": report("resident01", channel="resident"),
        "fight": report("grid02", where=GRID02, category="1001", description="夜间有人聚集滋事"),
        "unsorted": report("grid01", category=None, description="这里有点情况，请来看看"),
        "lost": report("resident01", channel="resident", where=OUTSIDE),
        "pipe": report("grid01", category="0302", description="小区供水管道爆裂"),
    }


def visible(username: str, events: dict[str, Event]) -> set[str]:
    names = {e.pk: name for name, e in events.items()}
    qs = Event.objects.visible_to(get_user(username)).filter(pk__in=names)
    return {names[pk] for pk in qs.values_list("pk", flat=True)}


def test_the_events_went_where_the_story_says(events):
    assert events["wall"].department.code == TRANSPORT
    assert events["fight"].department.code == "513999002-police"
    assert events["unsorted"].status == Event.Status.REPORTED
    assert events["lost"].centre.code == "513999-center"
    assert events["pipe"].department.code == HOUSING


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_demo_persona_sees_exactly_their_events(events, username):
    assert visible(username, events) == EXPECTED[username]


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_an_event_outside_a_personas_scope_answers_not_found(events, username):
    for name, event in events.items():
        if name in EXPECTED[username]:
            assert get_event_for_user(get_user(username), event.pk) == event
        else:
            with pytest.raises(Http404):
                get_event_for_user(get_user(username), event.pk)


def test_nobody_signed_out_sees_anything(events):
    from django.contrib.auth.models import AnonymousUser

    assert not Event.objects.visible_to(AnonymousUser()).exists()
    with pytest.raises(Http404):
        get_event_for_user(AnonymousUser(), events["wall"].pk)


def test_an_inactive_account_sees_nothing(events):
    user = get_user("center")
    user.is_active = False
    assert not Event.objects.visible_to(user).exists()


def test_grid02_never_sees_grid01s_events_even_through_their_whole_life(events):
    wall = events["wall"]
    for action, username, fields in [
        ("sign", "dept-transport", {}),
        ("escalate", "grid01", {"note": "吹哨"}),
        ("escalate", "center", {"note": "县级指挥"}),
        ("summon", "center", {"departments": ["513999002-police"]}),
    ]:
        move(wall, action, username, **fields)
        assert "wall" not in visible("grid02", events)


def test_a_department_sees_only_the_events_it_works_on(events):
    wall = events["wall"]
    assert visible("dept-housing", events) == {"pipe"}
    move(wall, "summon", "center", departments=[HOUSING], note="请住建局协助")
    assert visible("dept-housing", events) == {"pipe", "wall"}
    make_handler("dept-water", "513999-water")
    assert visible("dept-water", events) == set()


def test_a_department_loses_sight_of_an_event_it_returned(events):
    wall = events["wall"]
    move(wall, "return", "dept-transport", note="不属于本部门职责")
    assert visible("dept-transport", events) == set()
    with pytest.raises(Http404):
        get_event_for_user(get_user("dept-transport"), wall.pk)
    assert "wall" in visible("center", events)


def test_a_department_loses_sight_of_an_event_reassigned_away(events):
    wall = events["wall"]
    move(wall, "reassign", "center", department="513999-natural-resources")
    assert visible("dept-transport", events) == set()
    make_handler("dept-resources", "513999-natural-resources")
    assert visible("dept-resources", events) == {"wall"}


def test_an_event_moved_to_another_grid_changes_hands_but_not_its_reporter(events):
    unsorted = events["unsorted"]
    lng, lat = grid_point(GRID02)
    move(unsorted, "update", "center", lng=lng, lat=lat)
    assert "unsorted" not in visible("town01", events)
    assert "unsorted" not in visible("police01", events)
    assert "unsorted" in visible("grid02", events)
    assert "unsorted" in visible("grid01", events)  # grid01 reported it


def test_accountability_records_are_seen_by_their_department_and_the_centres_above(events):
    sweep(now=max(events["wall"].sign_due_at, events["fight"].sign_due_at) + MINUTE)
    records = {r.department.code: r for r in AccountabilityRecord.objects.filter(kind="sign")}
    assert {TRANSPORT, "513999002-police", HOUSING} <= set(records)

    def seen(username):
        qs = AccountabilityRecord.objects.visible_to(get_user(username))
        return set(
            qs.filter(pk__in=[r.pk for r in records.values()]).values_list(
                "department__code", flat=True
            )
        )

    assert seen("center") == seen("admin") == seen("leader") == set(records)
    assert seen("dept-transport") == {TRANSPORT}
    assert seen("dept-housing") == {HOUSING}
    assert seen("town01") == set()  # county bureaus and another township's police
    assert seen("grid01") == set() and seen("resident01") == set()
