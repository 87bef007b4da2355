"""Two people moving the same event at once: one wins, the other gets 409 and sees the new state.

Runs on PostgreSQL only: each thread has its own connection, and the service locks the event
row (``SELECT … FOR UPDATE``) before checking the move against the transition table.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient
from shapely.geometry import shape

from pingan.accounts.models import Role, User
from pingan.core.transitions import IllegalTransition
from pingan.events import services
from pingan.events.models import Event, EventLog
from pingan.geo.models import Grid

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent moves need PostgreSQL row locks"
    ),
    # Committed data, so that other connections see it; the demo county is restored after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("demo", "demo_restored_after_module"),
]

GRID01 = "513999001001001"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def wall_event() -> Event:
    point = shape(Grid.objects.get(code=GRID01).geometry).representative_point()
    event, _ = services.report_event(
        acting_user=User.objects.get(username="grid01"),
        description="后山挡墙出现裂缝，有垮塌危险",
        channel="grid_worker",
        category="0201",
        lng=point.x,
        lat=point.y,
    )
    assert event.status == Event.Status.DISPATCHED
    return event


def race(*jobs):
    """Run the jobs in threads released together; return their results (or exceptions)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as exc:  # the test inspects what each thread raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def sign_as(username: str, pk: int):
    def job():
        services.perform(pk, "sign", acting_user=User.objects.get(username=username))
        return "signed"

    return job


def test_two_handlers_signing_at_once_one_wins_the_other_gets_illegal_transition():
    event = wall_event()
    # A second handler of the same department, so two people may really sign.
    second = User.objects.create(username="dept-transport-2")
    second.memberships.create(role=Role.DEPARTMENT_HANDLER, department=event.department)
    results = race(sign_as("dept-transport", event.pk), sign_as("dept-transport-2", event.pk))
    assert results.count("signed") == 1, results
    [lost] = [r for r in results if isinstance(r, IllegalTransition)]
    assert lost.status == Event.Status.SIGNED  # the loser sees the new state
    assert "sign" not in lost.allowed
    event.refresh_from_db()
    assert event.status == Event.Status.SIGNED
    assert EventLog.objects.filter(event=event, action="sign").count() == 1


def api_for(username: str) -> APIClient:
    from pingan.accounts.tokens import issue_token

    _token, key = issue_token(User.objects.get(username=username))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_centre_reassigning_while_the_department_signs_through_the_api():
    event = wall_event()
    url = f"/api/v1/events/{event.pk}/actions/"
    dept, center = api_for("dept-transport"), api_for("center")

    def sign():
        return dept.post(url, {"action": "sign", "note": "签收"}, format="json")

    def reassign():
        body = {"action": "reassign", "department": "513999-housing", "note": "改派住建局"}
        return center.post(url, body, format="json")

    signed, reassigned = race(sign, reassign)
    # Reassigning is open to the centre before and after signing, so it always succeeds;
    # the locks put the two moves in an order, and each sees the state the other left.
    assert reassigned.status_code == 200, reassigned.content
    event.refresh_from_db()
    assert event.department.code == "513999-housing"
    moves = dict(
        EventLog.objects.filter(event=event, action__in=["sign", "reassign"]).values_list(
            "action", "from_status"
        )
    )
    if signed.status_code == 200:
        # The bureau was first: the centre then took a signed event away from it.
        assert moves == {"sign": "dispatched", "reassign": "signed"}
    else:
        # The centre was first: the bureau no longer holds the event (404 when it looks it
        # up after the reassignment, 409 when it had looked before and lost at the lock).
        assert signed.status_code in (404, 409), signed.content
        assert moves == {"reassign": "dispatched"}
        assert event.status == Event.Status.DISPATCHED


def test_two_api_clients_signing_at_once_one_gets_409_with_the_new_status():
    event = wall_event()
    second = User.objects.create(username="dept-transport-3")
    second.memberships.create(role=Role.DEPARTMENT_HANDLER, department=event.department)
    url = f"/api/v1/events/{event.pk}/actions/"
    first_api, second_api = api_for("dept-transport"), api_for("dept-transport-3")

    def sign(api):
        return lambda: api.post(url, {"action": "sign"}, format="json")

    responses = race(sign(first_api), sign(second_api))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.content for r in responses]
    conflict = next(r for r in responses if r.status_code == 409).json()
    assert conflict["status"] == "signed"
    assert "start" in conflict["allowed_actions"]
