"""The seeds' retaining-wall story, end to end through the API, with its timestamps.

A grid worker reports a retaining wall about to collapse at 11:14; Pingan pushes it to the
transport bureau within the same request (the seeds took nine minutes, to 11:23); the bureau
signs for it at 11:23, its crew is on site at 11:30, the danger is removed at 14:24; the grid
worker checks on site, the event closes, and the reporter rates it.
"""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from shapely.geometry import shape

from pingan.accounts.models import User
from pingan.geo.locate import locate
from pingan.geo.models import Grid

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
GRID01 = "513999001001001"
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 16)  # a Monday


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@contextmanager
def clock(hhmm: str):
    """Run the block at ``hhmm`` (Asia/Shanghai) on the story's day."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    moment = dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield moment


def photo(name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (90, 90, 90)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def grid_centroid(code: str) -> tuple[float, float]:
    """Return the centroid of the grid's geometry (checked: ``locate`` puts it in the grid)."""
    grid = Grid.objects.get(code=code)
    geometry = shape(grid.geometry)
    point = geometry.centroid
    found = locate(point.x, point.y) if geometry.contains(point) else None
    if found is None or found.grid_id != grid.pk:  # a concave grid, or a school on top
        point = geometry.representative_point()
    return point.x, point.y


def at(hhmm: str) -> str:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=SHANGHAI).isoformat()


def name(username: str) -> str:
    return User.objects.get(username=username).display_name


def test_the_retaining_wall_story_through_the_api(api_as):
    grid01, dept, center = api_as("grid01"), api_as("dept-transport"), api_as("center")
    lng, lat = grid_centroid(GRID01)

    with clock("11:14"):
        response = grid01.post(
            EVENTS,
            {
                "title": "挡墙有垮塌危险",
                "description": "南门社区后山挡墙出现裂缝，有垮塌危险，下方有住户。",
                "category": "0201",
                "lng": lng,
                "lat": lat,
                "address": "南门社区后山",
                "client_key": "grid01-wall-1114",
                "photos": [photo("wall.jpg")],
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    event = response.json()
    url, act = f"{EVENTS}{event['id']}/", f"{EVENTS}{event['id']}/actions/"
    # Pushed to the transport bureau within the same request: no nine minutes of waiting.
    assert event["status"] == "dispatched"
    assert event["department"]["code"] == "513999-transport"
    assert event["grid"]["code"] == GRID01
    assert event["reported_at"] == at("11:14") == event["dispatched_at"]
    assert event["sign_due_at"] == at("11:44")  # 0.5 natural hours
    assert event["resolve_due_at"] == at("23:14")  # 12 natural hours
    assert [a["stage"] for a in event["attachments"]] == ["report"]

    # The bureau sees it in its inbox, with sign among its moves.
    with clock("11:20"):
        inbox = dept.get(EVENTS, {"tab": "open"}).json()["results"]
    assert event["id"] in [row["id"] for row in inbox]
    with clock("11:23"):
        seen = dept.get(url).json()
        assert "sign" in {a["action"] for a in seen["allowed_actions"]}
        signed = dept.post(act, {"action": "sign", "note": "已签收，抢险队出发"}, format="json")
    assert signed.status_code == 200, signed.content
    assert signed.json()["signed_at"] == at("11:23")

    with clock("11:30"):
        started = dept.post(act, {"action": "start", "note": "抢险队已到场"}, format="json")
    assert started.json()["status"] == "in_progress"

    with clock("14:24"):
        resolved = dept.post(
            act,
            {"action": "resolve", "note": "险情排除", "photos": [photo("fixed.jpg")]},
            format="multipart",
        )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"] == at("14:24")

    with clock("15:02"):
        verified = grid01.post(act, {"action": "verify", "note": "现场核查通过"}, format="json")
    assert verified.json()["status"] == "closed"
    assert verified.json()["closed_at"] == at("15:02")

    with clock("15:10"):
        rated = grid01.post(act, {"action": "rate", "rating": "satisfied"}, format="json")
    assert rated.status_code == 200, rated.content

    with clock("15:30"):
        final = center.get(url)
    assert final.status_code == 200
    story = final.json()
    assert story["status"] == "closed" and story["rating"] == "satisfied"
    assert story["number"] == event["number"]  # one case, one number
    steps = [
        (entry["action"], entry["at"], entry["actor"], entry["duration_seconds"])
        for entry in story["timeline"]
    ]
    assert steps == [
        ("report", at("11:14"), name("grid01"), None),
        ("dispatch", at("11:14"), None, 0),
        ("sign", at("11:23"), name("dept-transport"), 9 * 60),
        ("start", at("11:30"), name("dept-transport"), 7 * 60),
        ("resolve", at("14:24"), name("dept-transport"), (2 * 60 + 54) * 60),
        ("verify", at("15:02"), name("grid01"), 38 * 60),
        ("rate", at("15:10"), name("grid01"), 8 * 60),
    ]
    by_action = {entry["action"]: entry for entry in story["timeline"]}
    assert by_action["dispatch"]["department"] == by_action["resolve"]["department"]
    assert by_action["dispatch"]["to_status"] == "dispatched"
    assert by_action["resolve"]["note"] == "险情排除"
    assert [a["stage"] for a in story["attachments"]] == ["report", "resolution"]
    assert story["deadlines"] == []
    assert story["allowed_actions"] and "rate" not in {
        a["action"] for a in story["allowed_actions"]
    }

    # Each sees only their part: the centre sees the case, other departments and grids do not.
    listed = center.get(EVENTS, {"q": event["number"]}).json()["results"]
    assert [row["id"] for row in listed] == [event["id"]]
    for outsider in ("dept-housing", "grid02"):
        api = api_as(outsider)
        assert api.get(url).status_code == 404
        assert event["id"] not in [row["id"] for row in api.get(EVENTS).json()["results"]]
        assert api.post(act, {"action": "message", "note": "?"}, format="json").status_code == 404
