"""The events API: intake (idempotent, bad input), the event JSON, and every move by HTTP."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from PIL import Image
from shapely.geometry import Point, shape

from pingan.events.models import Attachment, CallTerminal, Event, Message
from pingan.geo.locate import locate
from pingan.geo.models import Grid, Region

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
GRID01 = "513999001001001"  # 南门社区第一网格, grid01's grid
COUNTY = "513999"
WALL = "后山挡墙出现裂缝，有垮塌危险"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def photo(name: str = "wall.jpg", size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def point_in(code: str) -> tuple[float, float]:
    """Return a point that ``locate`` puts in the grid ``code`` (no overlay grid on top)."""
    grid = Grid.objects.get(code=code)
    inside = shape(grid.geometry)
    west, south, east, north = inside.bounds
    candidates = [inside.centroid, inside.representative_point()] + [
        Point(west + (east - west) * i / 8, south + (north - south) * j / 8)
        for i in range(1, 8)
        for j in range(1, 8)
    ]
    for point in candidates:
        found = locate(point.x, point.y)
        if inside.contains(point) and found and found.grid_id == grid.pk:
            return point.x, point.y
    raise AssertionError(f"no point lies only in {code}")


def report(api, *, multipart: bool = False, **fields):
    """POST a report as JSON (or multipart form data) and return the response."""
    if multipart:
        return api.post(EVENTS, fields, format="multipart")
    return api.post(EVENTS, fields, format="json")


def wall_report(api, **extra) -> dict:
    """Have ``api`` report a retaining wall in grid01's grid; return the event JSON."""
    lng, lat = point_in(GRID01)
    fields = {"description": "后山挡墙出现裂缝，有垮塌危险", "category": "0201", "lng": lng}
    fields.update(lat=lat, **extra)
    response = report(api, **fields)
    assert response.status_code == 201, response.content
    return response.json()


def move(api, event_id: int, action: str, *, multipart: bool = False, **fields):
    url = f"{EVENTS}{event_id}/actions/"
    return api.post(url, {"action": action, **fields}, format="multipart" if multipart else "json")


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def actions(body: dict) -> set[str]:
    return {a["action"] for a in body["allowed_actions"]}


# --- intake ----------------------------------------------------------------------------------


def test_grid_worker_report_with_a_photo_answers_201_with_the_dispatched_event(api_as):
    lng, lat = point_in(GRID01)
    response = report(
        api_as("grid01"),
        multipart=True,
        description="后山挡墙出现裂缝，有垮塌危险",
        category="0201",
        lng=lng,
        lat=lat,
        photos=[photo("a.jpg"), photo("b.jpg")],
        client_key="k-1",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SJ-")
    assert body["status"] == "dispatched"
    assert body["channel"] == "grid_worker"
    assert body["category"] == "0201" and body["category_name"] == "挡墙垮塌隐患"
    assert body["category_source"] == "reporter"
    assert body["grid"]["code"] == GRID01
    assert body["department"]["code"] == "513999-transport"
    assert [e["action"] for e in body["timeline"]] == ["report", "dispatch"]
    assert len(body["attachments"]) == 2
    first = body["attachments"][0]
    assert first["stage"] == "report" and first["content_type"] == "image/jpeg"
    assert first["url"] == f"/events/attachments/{first['id']}/"
    assert first["thumbnail_url"].endswith("/thumbnail/")
    assert {d["kind"] for d in body["deadlines"]} == {"sign", "resolve"}
    assert body["sign_due_at"] and body["resolve_due_at"]
    assert "message" in actions(body)


@pytest.mark.parametrize("with_photo", [False, True])
def test_the_answer_to_a_report_is_the_event_as_fetched_afterwards(api_as, with_photo):
    # The answer is built from what the intake wrote, not read back: it must not differ.
    api = api_as("grid01")
    lng, lat = point_in(GRID01)
    extra = {"photos": [photo()]} if with_photo else {}
    answer = report(
        api, multipart=with_photo, description=WALL, category="0201", lng=lng, lat=lat, **extra
    ).json()
    fetched = api.get(f"{EVENTS}{answer['id']}/").json()
    answer.pop("possible_duplicates"), fetched.pop("possible_duplicates")
    assert answer == fetched
    assert len(answer["attachments"]) == (1 if with_photo else 0)


def test_the_answer_to_a_report_left_for_the_centre_is_the_event_as_fetched(api_as):
    # Coordinates outside the county: not dispatched, no deadlines, the county centre's queue.
    api = api_as("center")
    answer = report(api, description=WALL, lng=90.0, lat=20.0, channel="hotline").json()
    assert answer["status"] == "reported" and answer["deadlines"] == []
    fetched = api.get(f"{EVENTS}{answer['id']}/").json()
    answer.pop("possible_duplicates"), fetched.pop("possible_duplicates")
    assert answer == fetched


def test_a_report_takes_a_bounded_number_of_queries(api_as):
    api = api_as("grid01")
    lng, lat = point_in(GRID01)
    wall_report(api)  # warm the per-process caches (rules, centres, calendar)
    with CaptureQueriesContext(connection) as queries:
        response = report(api, description=WALL, category="0201", lng=lng, lat=lat)
    assert response.status_code == 201
    # Token, access, idempotency, place, 6 rows, handlers, number, event, 2 messages, the
    # transaction and savepoint statements: more means a new query crept into intake.
    assert len(queries) <= 20, "\n".join(q["sql"][:100] for q in queries.captured_queries)


def test_a_report_is_kept_when_its_messages_cannot_be_stored(api_as, monkeypatch):
    from django.db import DatabaseError

    from pingan.notify.models import Notification

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Notification.objects, "bulk_create", refuse)
    body = wall_report(api_as("grid01"))
    assert body["status"] == "dispatched"
    assert Event.objects.filter(pk=body["id"], number=body["number"]).exists()
    assert not Notification.objects.filter(url__contains=f"/{body['id']}/").exists()


def test_the_report_photo_is_served_to_people_who_see_the_event(api_as, client_as):
    body = wall_report(api_as("grid01"))
    event = Event.objects.get(pk=body["id"])
    from pingan.events import services

    services.perform(event, "message", acting_user=event.reporter, note="补充照片")
    lng, lat = point_in(GRID01)
    response = report(
        api_as("grid01"),
        multipart=True,
        description="挡墙又掉石头",
        category="0201",
        lng=lng,
        lat=lat,
        photos=[photo()],
    )
    url = response.json()["attachments"][0]["url"]
    assert client_as("center").get(url).status_code == 200
    assert client_as("dept-housing").get(url).status_code == 404


def test_a_repeated_client_key_returns_the_original_event_and_creates_nothing(api_as):
    api = api_as("grid01")
    first = wall_report(api, client_key="phone-123")
    count = Event.objects.count()
    lng, lat = point_in(GRID01)
    again = report(
        api, description="重发", category="0201", lng=lng, lat=lat, client_key="phone-123"
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["description"] == first["description"]
    assert Event.objects.count() == count


def test_the_same_client_key_from_another_person_is_another_report(api_as):
    first = wall_report(api_as("grid01"), client_key="same")
    second = wall_report(api_as("center"), client_key="same")
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lng": 102.5, "lat": 30.0}, "description"),
        ({"description": "  ", "lng": 102.5, "lat": 30.0}, "description"),
        ({"description": "路灯坏了"}, "location"),
        ({"description": "路灯坏了", "lng": 102.5, "lat": 30.0, "category": "9999"}, "category"),
        ({"description": "路灯坏了", "village": "999999999999"}, "village"),
        ({"description": "路灯坏了", "lng": "east", "lat": 30.0}, "lng"),
        ({"description": "路灯坏了", "lng": 102.5}, "lng"),
        ({"description": "路灯坏了", "lng": 102.5, "lat": 30.0, "channel": "hotline"}, "channel"),
        ({"description": "路灯坏了", "lng": 102.5, "lat": 30.0, "priority": "asap"}, "priority"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_stores_nothing(api_as, fields, field):
    count = Event.objects.count()
    with translation.override("en"):
        response = report(api_as("grid01"), **fields)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Event.objects.count() == count


def test_several_errors_are_reported_together(api_as):
    response = report(api_as("grid01"), description="", category="9999")
    assert response.status_code == 400
    assert {"description", "category", "location"} <= set(response.json())


def test_a_file_that_is_not_a_photo_answers_400_on_photos_and_stores_nothing(api_as):
    count, files = Event.objects.count(), Attachment.objects.count()
    lng, lat = point_in(GRID01)
    fake = SimpleUploadedFile("wall.jpg", b"this is not a picture", content_type="image/jpeg")
    with translation.override("en"):
        response = report(
            api_as("grid01"),
            multipart=True,
            description="挡墙裂缝",
            lng=lng,
            lat=lat,
            photos=[photo(), fake],
        )
    assert response.status_code == 400
    assert "wall.jpg" in response.json()["photos"][0]
    assert (Event.objects.count(), Attachment.objects.count()) == (count, files)


def test_a_photo_over_the_size_limit_answers_400_on_photos(api_as, settings):
    settings.PINGAN_UPLOAD_MAX_MB = 0.001  # about 1 KB
    count = Event.objects.count()
    lng, lat = point_in(GRID01)
    with translation.override("en"):
        response = report(
            api_as("grid01"),
            multipart=True,
            description="挡墙裂缝",
            lng=lng,
            lat=lat,
            photos=[photo(size=(400, 300))],
        )
    assert response.status_code == 400
    assert "wall.jpg" in response.json()["photos"][0]
    assert Event.objects.count() == count


def test_a_bad_caller_phone_answers_400_on_reporter_phone(api_as):
    count = Event.objects.count()
    response = report(
        api_as("center"),
        description="来电反映路灯不亮",
        village="513999001001",
        channel="hotline",
        reporter_phone="12",
    )
    assert response.status_code == 400
    assert "reporter_phone" in response.json()
    assert Event.objects.count() == count


def test_coordinates_outside_the_county_are_kept_unlocated_at_the_county_centre(api_as):
    response = report(api_as("grid01"), description="挡墙裂缝，位置不明", lng=80, lat=30)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["located_by"] == "none"
    assert body["grid"] is None
    assert body["region"]["code"] == COUNTY
    assert body["centre"]["code"] == f"{COUNTY}-center"
    assert body["status"] == "reported"
    assert (body["lng"], body["lat"]) == (80, 30)
    assert body["id"] in [e["id"] for e in api_as("center").get(EVENTS).json()["results"]]


def test_a_village_locates_a_report_without_coordinates(api_as):
    response = report(api_as("grid01"), description="路灯不亮", village="513999001001")
    assert response.status_code == 201
    body = response.json()
    assert body["located_by"] == "village"
    assert body["region"]["code"] == "513999001001"
    assert body["category"] == "0104" and body["category_source"] == "rule"


def test_the_channel_defaults_to_the_callers_usual_one(api_as):
    assert wall_report(api_as("grid01"))["channel"] == "grid_worker"
    assert wall_report(api_as("resident01"))["channel"] == "resident"
    assert wall_report(api_as("center"))["channel"] == "hotline"


def test_a_hotline_report_shows_the_phone_masked_and_never_plain(api_as):
    response = report(
        api_as("center"),
        description="来电反映村口路灯坏了一周",
        village="513999001001",
        channel="hotline",
        reporter_name="王先生",
        reporter_phone="13800138000",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["channel"] == "hotline"
    assert body["reporter_name"] == "王先生"
    assert body["reporter_phone_masked"] == "138****8000"
    assert "13800138000" not in response.content.decode()
    event = Event.objects.get(pk=body["id"])
    assert event.reporter_phone_encrypted not in response.content.decode()
    detail = api_as("center").get(f"{EVENTS}{body['id']}/").content.decode()
    assert "13800138000" not in detail and "138****8000" in detail


def test_the_reporter_does_not_get_staff_only_fields(api_as):
    body = wall_report(api_as("resident01"))
    mine = ok(api_as("resident01").get(f"{EVENTS}{body['id']}/"))
    assert mine["reporter_name"] is None and mine["reporter_phone_masked"] is None
    staff = ok(api_as("center").get(f"{EVENTS}{body['id']}/"))
    assert staff["reporter_name"]


def test_a_one_key_call_files_an_event_from_the_registered_terminal(api_as):
    village = Region.objects.get(code="513999001001")
    terminal = CallTerminal(name="李奶奶", address="南门社区3栋2单元", village=village)
    terminal.set_phone("13900001111")
    terminal.save()
    api = api_as("center")
    url = f"{EVENTS}one-key-call/"
    response = api.post(url, {"phone": "13900001111", "note": "头晕", "client_key": "okc-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "one_key_call"
    assert body["priority"] == "high"
    assert body["region"]["code"] == "513999001001"
    assert body["reporter_phone_masked"] == "139****1111"
    again = api.post(url, {"phone": "13900001111", "client_key": "okc-1"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    unknown = api.post(url, {"phone": "13900002222"})
    assert unknown.status_code == 400 and "phone" in unknown.json()
    # Only the centre takes one-key calls.
    refused = api_as("grid01").post(url, {"phone": "13900001111"})
    assert refused.status_code == 400 and "channel" in refused.json()


# --- list and detail -------------------------------------------------------------------------


def test_the_list_is_paginated_light_and_filtered_like_the_workbench(api_as):
    wall = wall_report(api_as("grid01"))
    lamp = report(api_as("grid01"), description="路灯不亮", village="513999001001").json()
    api = api_as("center")
    body = ok(api.get(EVENTS))
    assert {"count", "next", "previous", "results"} <= set(body)
    row = next(r for r in body["results"] if r["id"] == wall["id"])
    assert "timeline" not in row and "allowed_actions" not in row
    assert row["department"]["code"] == "513999-transport"
    ids = [r["id"] for r in ok(api.get(EVENTS, {"category": "02"}))["results"]]
    assert wall["id"] in ids and lamp["id"] not in ids
    ids = [r["id"] for r in ok(api.get(EVENTS, {"q": wall["number"]}))["results"]]
    assert ids == [wall["id"]]
    ids = [r["id"] for r in ok(api.get(EVENTS, {"status": ["dispatched"]}))["results"]]
    assert wall["id"] in ids
    assert all(r["status"] == "dispatched" for r in ok(api.get(EVENTS, {"tab": "open"}))["results"])
    bad = api.get(EVENTS, {"status": "nonsense"})
    assert bad.status_code == 400


def test_the_list_takes_a_fixed_number_of_queries(api_as):
    api = api_as("center")
    for _ in range(3):
        wall_report(api_as("grid01"))
    api.get(EVENTS)  # warm up the caches (content types, access)
    with CaptureQueriesContext(connection) as few:
        assert api.get(EVENTS, {"page_size": 3}).status_code == 200
    for _ in range(5):
        wall_report(api_as("grid01"))
    with CaptureQueriesContext(connection) as more:
        assert api.get(EVENTS, {"page_size": 8}).status_code == 200
    assert len(more) == len(few)


def test_the_detail_takes_a_fixed_number_of_queries(api_as):
    body = wall_report(api_as("grid01"))
    api = api_as("center")
    url = f"{EVENTS}{body['id']}/"
    api.get(url)
    with CaptureQueriesContext(connection) as before:
        api.get(url)
    for text in ("一", "二", "三", "四"):
        move(api, body["id"], "message", note=text)
    move(api_as("dept-transport"), body["id"], "sign")
    move(api_as("dept-transport"), body["id"], "start")
    with CaptureQueriesContext(connection) as after:
        api.get(url)
    assert len(after) <= len(before) + 1  # the sign deadline closed; nothing grows per row


def test_the_detail_shows_possible_duplicates_to_staff(api_as):
    first = wall_report(api_as("grid01"))
    second = wall_report(api_as("resident01"))
    body = ok(api_as("center").get(f"{EVENTS}{second['id']}/"))
    assert [d["number"] for d in body["possible_duplicates"]] == [first["number"]]
    assert body["possible_duplicates"][0]["distance_m"] < 1
    assert ok(api_as("resident01").get(f"{EVENTS}{second['id']}/"))["possible_duplicates"] == []


def test_duplicates_respect_the_category_radius_and_the_window(api_as, user, settings):
    from pingan.events.duplicates import possible_duplicates
    from pingan.events.models import Category

    old = wall_report(api_as("grid01"))
    Event.objects.filter(pk=old["id"]).update(
        reported_at=timezone.now() - dt.timedelta(days=settings.PINGAN_DUPLICATE_DAYS + 1)
    )
    recent = wall_report(api_as("grid01"))
    lng, lat = point_in(GRID01)
    far = report(
        api_as("center"),
        description="另一处挡墙裂缝",
        category="0201",
        lng=lng + 0.01,  # about a kilometre east
        lat=lat,
    ).json()
    new = Event.objects.get(pk=wall_report(api_as("grid01"))["id"])
    center = user("center")
    found = [d.event.pk for d in possible_duplicates(new, center)]
    assert found == [recent["id"]]
    assert far["id"] not in found and old["id"] not in found
    Category.objects.filter(code="0201").update(duplicate_radius_m=0)
    new.category.refresh_from_db()
    assert possible_duplicates(new, center) == []


def test_internal_messages_are_hidden_from_the_reporter(api_as):
    body = wall_report(api_as("resident01"))
    ok(move(api_as("center"), body["id"], "message", note="内部：注意安全", internal=True))
    ok(move(api_as("center"), body["id"], "message", note="已安排处理"))
    staff = ok(api_as("center").get(f"{EVENTS}{body['id']}/"))
    assert [m["body"] for m in staff["messages"]] == ["内部：注意安全", "已安排处理"]
    mine = ok(api_as("resident01").get(f"{EVENTS}{body['id']}/"))
    assert [m["body"] for m in mine["messages"]] == ["已安排处理"]


def test_categories_list_the_active_tree_with_slas(api_as):
    response = api_as("resident01").get("/api/v1/categories/")
    assert response.status_code == 200
    rows = response.json()
    by_code = {r["code"]: r for r in rows}
    wall = by_code["0201"]
    assert wall["parent"] == "02" and wall["level"] == 2
    assert by_code["02"]["parent"] is None and by_code["02"]["level"] == 1
    assert wall["priority"] == "urgent"
    assert (wall["sign_amount"], wall["sign_unit"]) == (0.5, "natural_hours")
    assert (wall["resolve_amount"], wall["resolve_unit"]) == (12, "natural_hours")
    assert [r["code"] for r in rows] == sorted(by_code)
    assert api_as("resident01").get("/api/v1/categories/0201/").json()["name"] == "挡墙垮塌隐患"


# --- moves -----------------------------------------------------------------------------------


def test_an_illegal_move_answers_409_with_the_allowed_actions(api_as):
    body = wall_report(api_as("grid01"))
    with translation.override("en"):
        response = move(api_as("dept-transport"), body["id"], "start")  # not before signing
    assert response.status_code == 409
    conflict = response.json()
    assert conflict["status"] == "dispatched"
    assert "start" not in conflict["allowed_actions"] and conflict["detail"]
    assert "sign" in conflict["allowed_actions"]
    assert Event.objects.get(pk=body["id"]).status == "dispatched"


def test_a_move_the_callers_part_never_allows_answers_403(api_as):
    body = wall_report(api_as("grid01"))
    response = move(api_as("grid01"), body["id"], "sign")  # signing is the department's
    assert response.status_code == 403
    refusal = response.json()
    assert refusal["status"] == "dispatched" and refusal["detail"]
    assert "message" in refusal["allowed_actions"] and "sign" not in refusal["allowed_actions"]
    assert Event.objects.get(pk=body["id"]).status == "dispatched"


def test_an_unknown_action_or_a_missing_field_answers_400(api_as):
    body = wall_report(api_as("grid01"))
    dept = api_as("dept-transport")
    unknown = move(dept, body["id"], "demolish")
    assert unknown.status_code == 400 and "action" in unknown.json()
    missing = move(dept, body["id"], "return")
    assert missing.status_code == 400 and "note" in missing.json()
    assert Event.objects.get(pk=body["id"]).status == "dispatched"


def test_sign_start_resolve_verify_rate_through_the_api(api_as):
    body = wall_report(api_as("grid01"))
    dept = api_as("dept-transport")
    signed = ok(move(dept, body["id"], "sign", note="已签收"))
    assert signed["status"] == "signed" and signed["signed_at"]
    assert ok(move(dept, body["id"], "start"))["status"] == "in_progress"
    # Resolving needs a note and photos.
    assert move(dept, body["id"], "resolve", note="已处置").status_code == 400
    resolved = ok(
        move(dept, body["id"], "resolve", multipart=True, note="已加固", photos=[photo()])
    )
    assert resolved["status"] == "resolved"
    assert [a["stage"] for a in resolved["attachments"]] == ["resolution"]
    assert [d["kind"] for d in resolved["deadlines"]] == ["verify"]
    closed = ok(move(api_as("grid01"), body["id"], "verify", note="现场核查通过"))
    assert closed["status"] == "closed" and closed["closed_at"]
    assert actions(closed) >= {"rate", "message"}
    rated = ok(move(api_as("grid01"), body["id"], "rate", rating="satisfied", note="及时"))
    assert rated["rating"] == "satisfied" and "rate" not in actions(rated)


def test_rework_sends_a_resolved_event_back_to_the_department(api_as):
    body = wall_report(api_as("grid01"))
    dept = api_as("dept-transport")
    ok(move(dept, body["id"], "sign"))
    ok(move(dept, body["id"], "resolve", multipart=True, note="已处置", photos=[photo()]))
    back = ok(move(api_as("grid01"), body["id"], "rework", note="裂缝仍在"))
    assert back["status"] == "in_progress" and back["rework_count"] == 1


def test_return_then_dispatch_to_another_department(api_as):
    body = wall_report(api_as("grid01"))
    returned = ok(move(api_as("dept-transport"), body["id"], "return", note="非本部门职责"))
    assert returned["status"] == "reported" and returned["department"] is None
    # The department no longer sees it.
    assert api_as("dept-transport").get(f"{EVENTS}{body['id']}/").status_code == 404
    center = api_as("center")
    dispatched = ok(move(center, body["id"], "dispatch", department="513999-housing"))
    assert dispatched["department"]["code"] == "513999-housing"
    assert ok(api_as("dept-housing").get(f"{EVENTS}{body['id']}/"))["status"] == "dispatched"
    housing_id = dispatched["department"]["id"]
    transport = Event.objects.get(pk=body["id"]).first_department
    moved = ok(move(center, body["id"], "reassign", department=str(transport.pk), note="改派"))
    assert moved["department"]["code"] == "513999-transport"
    assert moved["department"]["id"] != housing_id


def test_urge_supervise_and_escalate(api_as):
    body = wall_report(api_as("grid01"))
    urged = ok(move(api_as("leader"), body["id"], "urge", note="请尽快处置"))
    assert urged["urge_count"] == 1
    graded = ok(move(api_as("leader"), body["id"], "supervise", grade="yellow"))
    assert graded["supervision"] == "yellow"
    escalated = ok(move(api_as("dept-transport"), body["id"], "escalate", note="需要协同"))
    assert escalated["escalated_to"]["code"] == "513999001-center"
    county = ok(move(api_as("center"), body["id"], "escalate", note="县级指挥", level="county"))
    assert county["escalated_to"]["code"] == f"{COUNTY}-center"


def test_summon_assisting_departments_who_sign_and_finish_their_part(api_as):
    body = wall_report(api_as("grid01"))
    summoned = ok(
        move(api_as("center"), body["id"], "summon", departments=["513999-housing"], note="协助")
    )
    assert summoned["timeline"][-1]["action"] == "summon"
    housing = api_as("dept-housing")
    part = ok(housing.get(f"{EVENTS}{body['id']}/"))
    assert actions(part) >= {"assist_sign", "assist_done"}
    ok(move(housing, body["id"], "assist_sign"))
    done = ok(move(housing, body["id"], "assist_done", note="已排查周边房屋"))
    assert "assist_done" not in actions(done)


def test_request_and_approve_an_extension(api_as):
    body = wall_report(api_as("grid01"))
    dept = api_as("dept-transport")
    ok(move(dept, body["id"], "sign"))
    asked_for = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    asked = ok(
        move(dept, body["id"], "request_extension", note="需等材料", due_at=asked_for.isoformat())
    )
    assert "request_extension" not in actions(asked)
    assert "approve_extension" in actions(ok(api_as("center").get(f"{EVENTS}{body['id']}/")))
    approved = ok(move(api_as("center"), body["id"], "approve_extension", note="同意"))
    assert dt.datetime.fromisoformat(approved["resolve_due_at"]) == asked_for
    assert approved["extension_count"] == 1
    bad = move(dept, body["id"], "request_extension", note="再延", due_at="tomorrow")
    assert bad.status_code == 400 and "due_at" in bad.json()


def test_request_hold_refuse_and_suspend_resume(api_as):
    body = wall_report(api_as("grid01"))
    dept, center = api_as("dept-transport"), api_as("center")
    ok(move(dept, body["id"], "sign"))
    ok(move(dept, body["id"], "request_hold", note="等待汛期结束"))
    refused = ok(move(center, body["id"], "refuse_request", note="不同意"))
    assert refused["status"] == "signed"
    ok(move(dept, body["id"], "request_hold", note="等待汛期结束"))
    held = ok(move(center, body["id"], "approve_hold"))
    assert held["status"] == "on_hold" and all(d["paused"] for d in held["deadlines"])
    assert ok(move(dept, body["id"], "resume"))["status"] == "signed"
    suspended = ok(move(dept, body["id"], "suspend", note="等待居民补充信息"))
    assert suspended["status"] == "suspended"
    assert ok(move(center, body["id"], "resume"))["status"] == "signed"


def test_merge_a_duplicate_into_the_surviving_event(api_as):
    survivor = wall_report(api_as("grid01"))
    duplicate = wall_report(api_as("resident01"))
    merged = ok(move(api_as("center"), duplicate["id"], "merge", into=survivor["number"]))
    assert merged["status"] == "merged"
    assert merged["merged_into"] == {"id": survivor["id"], "number": survivor["number"]}
    after = ok(api_as("center").get(f"{EVENTS}{survivor['id']}/"))
    assert after["merged_events"] == [{"id": duplicate["id"], "number": duplicate["number"]}]
    # The merged report's reporter follows the surviving event.
    assert ok(api_as("resident01").get(f"{EVENTS}{survivor['id']}/"))["id"] == survivor["id"]


def test_update_and_invalidate(api_as):
    body = report(api_as("grid01"), description="有点事情", lng=80, lat=30).json()
    center = api_as("center")
    lng, lat = point_in(GRID01)
    updated = ok(
        move(center, body["id"], "update", category="0104", lng=lng, lat=lat, title="路灯")
    )
    assert updated["category"] == "0104" and updated["grid"]["code"] == GRID01
    assert updated["title"] == "路灯"
    gone = ok(move(center, body["id"], "invalidate", note="重复来电"))
    assert gone["status"] == "invalid" and gone["allowed_actions"] == []


def test_a_dissatisfied_reporter_may_reopen_once(api_as):
    body = wall_report(api_as("resident01"))
    dept = api_as("dept-transport")
    ok(move(dept, body["id"], "sign"))
    ok(move(dept, body["id"], "resolve", multipart=True, note="已处置", photos=[photo()]))
    ok(move(api_as("center"), body["id"], "verify"))
    resident = api_as("resident01")
    rated = ok(move(resident, body["id"], "rate", rating="dissatisfied", note="没修好"))
    assert "reopen" in actions(rated)
    reopened = ok(move(resident, body["id"], "reopen", note="裂缝还在"))
    assert reopened["status"] == "dispatched" and reopened["reopen_count"] == 1
    assert reopened["department"]["code"] == "513999-transport"


def test_a_message_with_internal_as_form_data(api_as):
    body = wall_report(api_as("grid01"))
    api = api_as("center")
    ok(move(api, body["id"], "message", multipart=True, note="表单消息", internal="true"))
    ok(move(api, body["id"], "message", multipart=True, note="公开消息"))
    internal = dict(Message.objects.filter(event_id=body["id"]).values_list("body", "internal"))
    assert internal == {"表单消息": True, "公开消息": False}
