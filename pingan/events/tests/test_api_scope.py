"""Scope isolation of the events API: lists, details and moves show only what a user may see.

Outside a user's scope an event answers 404 (never 403 with details), whether its id was found
in a list or guessed.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient
from shapely.geometry import shape

from pingan.events import services
from pingan.events.models import Event
from pingan.geo.locate import locate
from pingan.geo.models import Grid

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
GRID01 = "513999001001001"  # township 513999001
GRID02 = "513999002201001"  # grid02's grid, township 513999002


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def point_in(code: str) -> tuple[float, float]:
    grid = Grid.objects.get(code=code)
    point = shape(grid.geometry).representative_point()
    found = locate(point.x, point.y)
    assert found is not None and found.grid_id == grid.pk, code
    return point.x, point.y


def file_report(user, *, grid: str = GRID01, category: str = "0201") -> Event:
    from pingan.events.queries import intake_channels

    lng, lat = point_in(grid)
    event, _ = services.report_event(
        acting_user=user,
        description="后山挡墙出现裂缝" if category == "0201" else "小区电梯坏了",
        channel=intake_channels(user)[0],
        category=category,
        lng=lng,
        lat=lat,
    )
    return event


@pytest.fixture
def events(user):
    """Four reports: a wall in grid01's grid by grid01 (→ transport), one by resident01, a lift
    in grid01's grid (→ housing), and a wall in grid02's grid by grid02."""
    return {
        "wall": file_report(user("grid01")),
        "resident": file_report(user("resident01")),
        "lift": file_report(user("grid01"), category="1403"),
        "far": file_report(user("grid02"), grid=GRID02),
    }


def listed(api, **params) -> set[int]:
    response = api.get(EVENTS, {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def detail_status(api, pk: int) -> int:
    return api.get(f"{EVENTS}{pk}/").status_code


def action_status(api, pk: int, action: str = "message", **fields) -> int:
    body = {"action": action, "note": "试试", **fields}
    return api.post(f"{EVENTS}{pk}/actions/", body, format="json").status_code


def test_events_precondition_every_report_went_where_expected(events):
    assert events["wall"].department.code == "513999-transport"
    assert events["lift"].department.code == "513999-housing"
    assert events["far"].grid.code == GRID02


def test_grid_worker_sees_the_events_of_their_grid_only(api_as, events):
    grid02 = api_as("grid02")
    mine = listed(grid02)
    assert events["far"].pk in mine
    assert not mine & {events["wall"].pk, events["resident"].pk, events["lift"].pk}
    for key in ("wall", "resident", "lift"):
        assert detail_status(grid02, events[key].pk) == 404
        assert action_status(grid02, events[key].pk) == 404
    grid01 = api_as("grid01")
    assert {events["wall"].pk, events["resident"].pk, events["lift"].pk} <= listed(grid01)
    assert events["far"].pk not in listed(grid01)
    # The grid's police sees the grid's events too.
    assert {events["wall"].pk, events["lift"].pk} <= listed(api_as("police01"))


def test_guessed_ids_answer_404_like_missing_ones(api_as, events):
    grid02 = api_as("grid02")
    visible = listed(grid02)
    hidden = set(Event.objects.values_list("pk", flat=True)) - visible
    assert hidden
    missing = max(Event.objects.values_list("pk", flat=True)) + 1000
    for pk in sorted(hidden)[:20] + [missing]:
        assert detail_status(grid02, pk) == 404
        assert action_status(grid02, pk, "sign") == 404
    body = grid02.get(f"{EVENTS}{sorted(hidden)[0]}/").json()
    assert body == grid02.get(f"{EVENTS}{missing}/").json()


def test_a_department_sees_only_what_was_dispatched_to_it(api_as, events):
    housing, transport = api_as("dept-housing"), api_as("dept-transport")
    assert events["lift"].pk in listed(housing)
    assert events["wall"].pk not in listed(housing)
    assert detail_status(housing, events["wall"].pk) == 404
    assert action_status(housing, events["wall"].pk, "sign") == 404
    assert action_status(housing, events["wall"].pk, "return") == 404
    assert {events["wall"].pk, events["resident"].pk, events["far"].pk} <= listed(transport)
    assert events["lift"].pk not in listed(transport)
    # Filtering on another department's id reveals nothing.
    transport_id = events["wall"].department_id
    assert listed(housing, department=transport_id) == set()
    assert Event.objects.get(pk=events["wall"].pk).status == "dispatched"


def test_a_resident_sees_only_their_own_reports(api_as, user, events):
    resident = api_as("resident01")
    assert listed(resident) == set(
        Event.objects.filter(reporter=user("resident01")).values_list("pk", flat=True)
    )
    assert events["resident"].pk in listed(resident)
    assert detail_status(resident, events["wall"].pk) == 404
    assert action_status(resident, events["wall"].pk) == 404


def test_the_county_centre_sees_every_event_of_the_county(api_as, events):
    everything = set(Event.objects.filter(path__startswith="/513999/").values_list("pk", flat=True))
    center = api_as("center")
    response = center.get(EVENTS, {"page_size": 500})
    assert response.json()["count"] == len(everything)
    assert listed(center) == everything


def test_a_township_centre_sees_its_township_only(api_as, events):
    town = api_as("town01")
    mine = listed(town)
    assert {events["wall"].pk, events["resident"].pk, events["lift"].pk} <= mine
    assert events["far"].pk not in mine
    assert detail_status(town, events["far"].pk) == 404


def test_the_leader_sees_but_cannot_sign_and_may_urge(api_as, events):
    leader = api_as("leader")
    assert events["wall"].pk in listed(leader)
    body = leader.get(f"{EVENTS}{events['wall'].pk}/").json()
    assert {a["action"] for a in body["allowed_actions"]} >= {"urge", "supervise"}
    assert "sign" not in {a["action"] for a in body["allowed_actions"]}
    response = leader.post(
        f"{EVENTS}{events['wall'].pk}/actions/", {"action": "sign"}, format="json"
    )
    assert response.status_code == 403  # never a leader's move: a refusal, not a conflict
    assert "urge" in response.json()["allowed_actions"]
    assert action_status(leader, events["wall"].pk, "urge", note="请加快") == 200


def test_merging_into_an_event_out_of_scope_is_refused_without_details(api_as, events):
    town = api_as("town01")
    response = town.post(
        f"{EVENTS}{events['wall'].pk}/actions/",
        {"action": "merge", "into": events["far"].number},
        format="json",
    )
    assert response.status_code == 400
    assert events["far"].number not in response.content.decode()
    assert Event.objects.get(pk=events["wall"].pk).status == "dispatched"


def test_an_attachment_of_an_event_out_of_scope_answers_404(api_as, client_as, events, settings):
    from pingan.events import attachments

    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "PNG")
    upload = SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")
    stored = attachments.store(events["wall"], [upload], stage="report")
    assert client_as("dept-housing").get(stored[0].get_absolute_url()).status_code == 404
    assert client_as("center").get(stored[0].get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", EVENTS),
        ("post", EVENTS),
        ("get", f"{EVENTS}1/"),
        ("post", f"{EVENTS}1/actions/"),
        ("post", f"{EVENTS}one-key-call/"),
        ("get", "/api/v1/categories/"),
        ("get", "/api/v1/categories/0201/"),
    ],
)
def test_every_events_endpoint_requires_authentication(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code == 401
