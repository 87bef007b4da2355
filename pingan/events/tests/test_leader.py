"""What a leader may do: urge and supervise (督查督办), never report or handle an event.

One rule decides it everywhere: the transition table for moves (``Workflow.check``: a move the
user's part never allows is refused with 403, on the page and in the API alike) and
``queries.intake_channels`` for reports. The pages show a button only where the rule allows.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from pingan.accounts.models import Role
from pingan.events.models import Event
from pingan.events.tests.conftest import event_in, grid_point

pytestmark = pytest.mark.django_db


def overdue_event() -> Event:
    event = event_in("dispatched")
    Event.objects.filter(pk=event.pk).update(overdue_since=timezone.now())
    return event


def test_the_leader_role_no_longer_says_read_only():
    with override("zh-hans"):
        label = str(Role.LEADER.label)
    assert "只读" not in label and "督" in label


def test_the_leader_sees_and_uses_the_urge_button_on_the_overdue_board(client_as):
    late = overdue_event()
    client = client_as("leader")
    board = client.get(reverse("events:overdue")).content.decode()
    assert f'data-urge="{late.pk}"' in board
    response = client.post(
        reverse("events:act", args=[late.pk, "urge"]),
        {"urge-note": "请立即处置", "next": reverse("events:overdue")},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.urge_count == 1


def test_the_leader_urges_and_supervises_through_the_api(api_as):
    late = overdue_event()
    api = api_as("leader")
    url = f"/api/v1/events/{late.pk}/actions/"
    assert api.post(url, {"action": "urge", "note": "请尽快"}, format="json").status_code == 200
    graded = api.post(url, {"action": "supervise", "grade": "yellow"}, format="json")
    assert graded.status_code == 200 and graded.json()["supervision"] == "yellow"


def test_the_leader_gets_no_report_button_and_the_report_page_refuses(client_as):
    client = client_as("leader")
    home = client.get(reverse("accounts:home")).content.decode()
    assert 'id="home-report-button"' not in home
    assert reverse("events:report") not in home
    page = client.get(reverse("events:report"))
    assert page.status_code == 403
    assert "不上报事件" in page.content.decode()


def test_the_api_refuses_a_report_from_the_leader_and_stores_nothing(api_as):
    lng, lat = grid_point()
    before = Event.objects.count()
    response = api_as("leader").post(
        "/api/v1/events/",
        {"description": "领导想上报一件事", "lng": lng, "lat": lat},
        format="json",
    )
    assert response.status_code == 403
    assert "不上报事件" in response.json()["detail"]
    assert Event.objects.count() == before


def test_the_leader_may_not_handle_an_event(client_as, api_as):
    event = event_in("dispatched")
    page = client_as("leader").post(reverse("events:act", args=[event.pk, "sign"]))
    assert page.status_code == 403
    api = api_as("leader").post(
        f"/api/v1/events/{event.pk}/actions/", {"action": "sign"}, format="json"
    )
    assert api.status_code == 403
    event.refresh_from_db()
    assert event.status == Event.Status.DISPATCHED


@pytest.mark.parametrize("username", ["grid01", "dept-transport"])
def test_a_role_that_may_not_urge_gets_no_button_and_a_403(client_as, api_as, username):
    late = overdue_event()
    client = client_as(username)
    detail = client.get(late.get_absolute_url())
    assert detail.status_code == 200
    assert "?action=urge" not in detail.content.decode()
    page = client.post(reverse("events:act", args=[late.pk, "urge"]), {"urge-note": "快点"})
    assert page.status_code == 403
    assert "不属于您" in page.content.decode()
    api = api_as(username).post(
        f"/api/v1/events/{late.pk}/actions/", {"action": "urge", "note": "快点"}, format="json"
    )
    assert api.status_code == 403
    late.refresh_from_db()
    assert late.urge_count == 0


def test_a_move_that_is_only_not_possible_now_is_still_a_conflict(api_as):
    event = event_in("signed")
    response = api_as("dept-transport").post(
        f"/api/v1/events/{event.pk}/actions/", {"action": "sign"}, format="json"
    )
    assert response.status_code == 409


def test_the_inbox_offers_signing_only_where_the_table_allows_it(client_as):
    paused = event_in("suspended", assist=True)  # the centre waits for information
    waiting = event_in("dispatched", assist=True)
    page = client_as("dept-housing").get(reverse("events:inbox")).content.decode()
    assert f"/events/{waiting.pk}/?action=assist_sign" in page
    assert f'data-event-id="{paused.pk}"' in page  # still ours to sign for, once resumed
    assert f"/events/{paused.pk}/?action=assist_sign" not in page
