"""Merging duplicates: links both ways, the merged reporter follows the surviving event."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pingan.core.transitions import IllegalTransition
from pingan.events import queries
from pingan.events.models import Event
from pingan.events.tests.conftest import (
    GRID02,
    event_in,
    get_user,
    move,
    png_upload,
    report,
)
from pingan.notify.models import Notification
from pingan.workflow import deadlines

pytestmark = pytest.mark.django_db
S = Event.Status


@pytest.fixture
def pair():
    """A survivor reported by grid01 and a duplicate reported by resident01, same place."""
    survivor = report("grid01", description="后山挡墙开裂")
    duplicate = report("resident01", channel="resident")
    return survivor, duplicate


def test_a_merged_event_and_its_survivor_point_at_each_other(pair):
    survivor, duplicate = pair
    move(duplicate, "merge", "center", into=survivor.pk, note="同一处挡墙")

    assert duplicate.status == S.MERGED and duplicate.merged_into == survivor
    assert list(survivor.merged_events.all()) == [duplicate]
    assert duplicate.closed_at is not None
    merge = duplicate.timeline.get(action="merge")
    assert merge.data == {"into": survivor.number, "into_id": survivor.pk}
    assert (merge.from_status, merge.to_status) == (S.DISPATCHED, S.MERGED)
    absorb = survivor.timeline.get(action="absorb")
    assert absorb.data == {"merged": duplicate.number, "merged_id": duplicate.pk}


def test_the_merged_reporter_follows_and_can_see_the_surviving_event(pair):
    survivor, duplicate = pair
    resident = get_user("resident01")
    assert not Event.objects.visible_to(resident).filter(pk=survivor.pk).exists()

    move(duplicate, "merge", "center", into=survivor.number)

    assert list(survivor.followers.all()) == [resident]
    resident = get_user("resident01")
    assert Event.objects.visible_to(resident).filter(pk=survivor.pk).exists()
    assert queries.REPORTER in queries.roles_in(resident, survivor)
    assert Notification.objects.filter(
        recipient=resident, url=duplicate.get_absolute_url(), body__contains=survivor.number
    ).exists()


def test_a_follower_hears_the_surviving_events_progress(pair):
    survivor, duplicate = pair
    move(duplicate, "merge", "center", into=survivor.pk)
    move(survivor, "sign", "dept-transport")
    assert Notification.objects.filter(
        recipient=get_user("resident01"), url=survivor.get_absolute_url()
    ).exists()


def test_the_follower_may_rate_the_surviving_event(pair):
    survivor, duplicate = pair
    move(duplicate, "merge", "center", into=survivor.pk)
    move(survivor, "sign", "dept-transport")
    move(survivor, "resolve", "dept-transport", note="已处置", photos=[png_upload()])
    move(survivor, "verify", "grid01")
    move(survivor, "rate", "resident01", rating=Event.Rating.SATISFIED)
    assert survivor.rating == Event.Rating.SATISFIED


def test_the_survivors_own_reporter_is_not_made_a_follower():
    survivor = report("grid01")
    duplicate = report("grid01", description="同一处挡墙再报")
    move(duplicate, "merge", "center", into=survivor.pk)
    assert not survivor.followers.exists()


def test_the_merged_event_stops_its_clock_and_its_departments_part():
    survivor = report("grid01")
    duplicate = report("resident01", channel="resident")
    move(duplicate, "merge", "center", into=survivor.pk)
    assert not deadlines.open_deadlines(duplicate).exists()
    assert not duplicate.assignments.filter(ended_at__isnull=True).exists()
    assert not Event.objects.visible_to(get_user("dept-transport")).filter(pk=duplicate.pk)
    with pytest.raises(IllegalTransition) as info:
        move(duplicate, "sign", "dept-transport")
    assert info.value.allowed == []


def test_an_event_cannot_be_merged_into_itself(pair):
    _survivor, duplicate = pair
    with pytest.raises(ValidationError) as info:
        move(duplicate, "merge", "center", into=duplicate.pk)
    assert "into" in info.value.message_dict
    assert Event.objects.get(pk=duplicate.pk).status == S.DISPATCHED


def test_an_event_cannot_be_merged_into_a_closed_one():
    closed = event_in(S.CLOSED)
    duplicate = report("grid01")
    with pytest.raises(ValidationError) as info:
        move(duplicate, "merge", "center", into=closed.pk)
    assert "into" in info.value.message_dict
    assert Event.objects.get(pk=duplicate.pk).status == S.DISPATCHED


def test_an_event_cannot_be_merged_into_one_the_centre_cannot_see():
    other = report("grid02", where=GRID02)
    duplicate = report("grid01")
    with pytest.raises(ValidationError) as info:
        move(duplicate, "merge", "town01", into=other.pk)
    assert "into" in info.value.message_dict
    with pytest.raises(ValidationError):
        move(duplicate, "merge", "center", into="SJ-19990101-0001")


def test_merging_needs_the_target():
    duplicate = report("grid01")
    with pytest.raises(ValidationError) as info:
        move(duplicate, "merge", "center")
    assert "into" in info.value.message_dict


def test_only_the_centre_merges(pair):
    survivor, duplicate = pair
    for username in ("grid01", "dept-transport", "leader", "resident01"):
        with pytest.raises(IllegalTransition):
            move(duplicate, "merge", username, into=survivor.pk)


# --- scope: the merged events a viewer may not open are not named --------------------------------


@pytest.fixture
def cross_scope_pair():
    """A survivor in grid01's grid and a duplicate from grid02's grid (another township)."""
    survivor = report("grid01", description="后山挡墙开裂")
    duplicate = report("grid02", where=GRID02, description="另一处挡墙开裂，其实是同一处")
    move(duplicate, "merge", "center", into=survivor.pk, note="同一处挡墙")
    return survivor, duplicate


def test_the_event_api_lists_only_merged_events_the_viewer_may_open(cross_scope_pair, api_as):
    survivor, duplicate = cross_scope_pair
    grid01 = api_as("grid01")
    assert grid01.get(f"/api/v1/events/{duplicate.pk}/").status_code == 404
    body = grid01.get(f"/api/v1/events/{survivor.pk}/").json()
    assert body["merged_events"] == []
    centre = api_as("center").get(f"/api/v1/events/{survivor.pk}/").json()
    assert centre["merged_events"] == [{"id": duplicate.pk, "number": duplicate.number}]


def test_the_event_page_names_only_merged_events_the_viewer_may_open(cross_scope_pair, client_as):
    survivor, duplicate = cross_scope_pair
    page = client_as("grid01").get(survivor.get_absolute_url())
    assert page.status_code == 200
    assert duplicate.number not in page.content.decode()
    assert 'id="merged-events"' not in page.content.decode()
