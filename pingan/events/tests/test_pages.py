"""The event pages: who may open them, what the workbench lists, the action panel and its moves,
intake from the phone and the hotline, the overdue board, the department record and routing."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pingan.accounts.models import Department, User
from pingan.events.models import Event, RoutingRule
from pingan.events.tests.conftest import (
    GRID02,
    HOUSING,
    TRANSPORT,
    VILLAGE01,
    WALL,
    event_in,
    get_user,
    grid_point,
    png_upload,
    report,
)
from pingan.geo.models import Region

pytestmark = pytest.mark.django_db

S = Event.Status


def numbers(response) -> set[str]:
    """Return the event numbers a list page shows (its rows carry data-number)."""
    return set(re.findall(r'data-number="([^"]+)"', response.content.decode()))


def actions(response) -> set[str]:
    """Return the moves the action panel offers (each <details> carries data-action)."""
    html = response.content.decode()
    panel = html.split('id="action-panel"', 1)[1].split("</section>", 1)[0]
    return set(re.findall(r'<details class="action-move[^"]*" id="action-([a-z_]+)"', panel))


# --- who may open what ---------------------------------------------------------------------------

PAGES = [
    # (url name, username, expected status)
    ("events:workbench", "center", 200),
    ("events:workbench", "leader", 200),
    ("events:workbench", "town01", 200),
    ("events:workbench", "grid01", 200),
    ("events:workbench", "dept-transport", 200),
    ("events:workbench", "resident01", 302),
    ("events:inbox", "dept-transport", 200),
    ("events:inbox", "center", 404),
    ("events:inbox", "grid01", 404),
    ("events:overdue", "center", 200),
    ("events:overdue", "leader", 200),
    ("events:overdue", "grid01", 404),
    ("events:overdue", "dept-transport", 404),
    ("events:report", "grid01", 200),
    ("events:report", "resident01", 200),
    ("events:mine", "grid01", 200),
    ("events:mine", "resident01", 200),
    ("events:verify_tasks", "grid01", 200),
    ("events:verify_tasks", "police01", 200),
    ("events:verify_tasks", "center", 404),
    ("events:hotline", "center", 200),
    ("events:hotline", "town01", 200),
    ("events:hotline", "grid01", 404),
    ("events:one_key", "center", 200),
    ("events:one_key", "dept-transport", 404),
    ("events:routing", "center", 200),
    ("events:routing", "town01", 200),
    ("events:routing", "leader", 404),
    ("events:routing", "grid01", 404),
]


@pytest.mark.parametrize(("name", "username", "expected"), PAGES)
def test_each_page_answers_by_role(client_as, name, username, expected):
    response = client_as(username).get(reverse(name))
    assert response.status_code == expected


@pytest.mark.parametrize(
    "name", ["events:workbench", "events:inbox", "events:report", "events:overdue", "events:mine"]
)
def test_the_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_resident_is_sent_from_the_workbench_to_their_reports(client_as):
    response = client_as("resident01").get(reverse("events:workbench"))
    assert response["Location"] == reverse("events:mine")


def test_the_navigation_offers_the_pages_of_each_role(client_as):
    centre = client_as("center").get(reverse("accounts:home")).content.decode()
    assert 'id="nav-workbench"' in centre and 'id="nav-overdue"' in centre
    assert 'id="nav-inbox"' not in centre
    department = client_as("dept-transport").get(reverse("accounts:home")).content.decode()
    assert 'id="nav-inbox"' in department and 'id="nav-overdue"' not in department
    resident = client_as("resident01").get(reverse("accounts:home")).content.decode()
    assert 'id="nav-mine"' in resident and 'id="nav-workbench"' not in resident


def test_the_home_page_shows_the_event_cards_of_each_role(client_as):
    event_in("reported")
    centre = client_as("center").get(reverse("accounts:home"))
    assert 'id="home-workbench"' in centre.content.decode()
    assert re.search(r'data-count="dispatch">\s*1<', centre.content.decode())
    grid = client_as("grid01").get(reverse("accounts:home")).content.decode()
    assert 'id="home-verify"' in grid and 'id="home-report"' in grid
    department = client_as("dept-transport").get(reverse("accounts:home")).content.decode()
    assert 'id="home-inbox"' in department


# --- the workbench -------------------------------------------------------------------------------


def test_the_workbench_tabs_hold_the_right_events(client_as):
    waiting = event_in("reported")
    dispatched = event_in("dispatched")
    resolved = event_in("resolved")
    closed = event_in("closed")
    client = client_as("center")

    def tab(name):
        return client.get(reverse("events:workbench"), {"tab": name})

    assert numbers(tab("dispatch")) == {waiting.number}
    assert numbers(tab("verify")) == {resolved.number}
    assert {waiting.number, dispatched.number, resolved.number} <= numbers(tab("open"))
    assert closed.number not in numbers(tab("open"))
    assert closed.number in numbers(tab("all"))
    counts = tab("open").context["counts"]
    assert counts["dispatch"] == 1
    assert counts["verify"] == 1
    assert counts["open"] == Event.objects.open().count()


def test_the_workbench_opens_on_the_dispatch_tab_for_the_centre(client_as):
    assert client_as("center").get(reverse("events:workbench")).context["tab"] == "dispatch"
    assert client_as("grid01").get(reverse("events:workbench")).context["tab"] == "open"


def test_the_overdue_and_escalated_tabs(client_as):
    late = event_in("dispatched")
    Event.objects.filter(pk=late.pk).update(overdue_since=timezone.now())
    supervised = event_in("signed")
    Event.objects.filter(pk=supervised.pk).update(supervision=Event.Supervision.YELLOW)
    client = client_as("center")
    overdue = client.get(reverse("events:workbench"), {"tab": "overdue"})
    assert numbers(overdue) == {late.number}
    escalated = client.get(reverse("events:workbench"), {"tab": "escalated"})
    assert numbers(escalated) == {supervised.number}
    assert "text-bg-warning supervision-badge" in escalated.content.decode()


def test_the_workbench_filters_and_search(client_as):
    wall = event_in("dispatched")
    road = report("grid01", description="人民路路面坑槽很深", category="0101")
    client = client_as("center")
    by_category = client.get(reverse("events:workbench"), {"tab": "all", "category": WALL})
    assert wall.number in numbers(by_category) and road.number not in numbers(by_category)
    by_major = client.get(reverse("events:workbench"), {"tab": "all", "category": "01"})
    assert road.number in numbers(by_major) and wall.number not in numbers(by_major)
    by_number = client.get(reverse("events:workbench"), {"tab": "all", "q": road.number})
    assert numbers(by_number) == {road.number}
    transport = Department.objects.get(code=TRANSPORT)
    by_department = client.get(
        reverse("events:workbench"), {"tab": "all", "department": transport.pk}
    )
    assert {wall.number, road.number} <= numbers(by_department)
    by_channel = client.get(reverse("events:workbench"), {"tab": "all", "channel": "hotline"})
    assert not numbers(by_channel) & {wall.number, road.number}
    other_township = client.get(
        reverse("events:workbench"), {"tab": "all", "township": "513999002"}
    )
    assert not numbers(other_township) & {wall.number, road.number}


def test_bad_filter_values_are_shown_not_a_500(client_as):
    response = client_as("center").get(
        reverse("events:workbench"), {"tab": "all", "department": "abc", "reported_after": "x"}
    )
    assert response.status_code == 200
    assert 'id="filter-errors"' in response.content.decode()


def test_a_grid_worker_sees_only_the_events_of_their_grid(client_as):
    mine = event_in("dispatched")
    other = report("grid02", where=GRID02)
    grid01 = client_as("grid01").get(reverse("events:workbench"), {"tab": "all"})
    assert mine.number in numbers(grid01) and other.number not in numbers(grid01)


def test_the_workbench_map_lists_the_filtered_points(client_as):
    event = event_in("dispatched")
    response = client_as("center").get(reverse("events:workbench"), {"tab": "open", "view": "map"})
    points = response.context["map_config"]["points"]
    assert event.number in {p["number"] for p in points}
    assert 'id="events-map-config"' in response.content.decode()


def _workbench_queries(client, tab) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("events:workbench"), {"tab": tab})
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("tab", ["open", "all"])
def test_the_workbench_query_count_does_not_grow_with_the_events(client_as, tab):
    client = client_as("center")
    event_in("dispatched")
    client.get(reverse("events:workbench"))  # warm the session
    few = _workbench_queries(client, tab)
    for _ in range(6):
        report("grid01")
    event_in("resolved")
    assert _workbench_queries(client, tab) == few


def test_the_workbench_pages_without_counting_the_whole_table(client_as, monkeypatch):
    from pingan.core import paging

    for _ in range(3):
        report("grid01")
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    client = client_as("center")
    first = client.get(reverse("events:workbench"), {"tab": "all"})
    assert first.context["page_obj"].has_next
    assert first.context["page_obj"].total is None
    second = client.get(reverse("events:workbench"), {"tab": "all", "page": 2})
    assert not numbers(first) & numbers(second)


# --- the event page and its moves ----------------------------------------------------------------


def test_a_department_handler_gets_404_for_an_event_not_dispatched_to_them(client_as):
    event = event_in("dispatched")
    url = reverse("events:detail", args=[event.pk])
    assert client_as("dept-housing").get(url).status_code == 404
    assert client_as("grid02").get(url).status_code == 404
    assert client_as("dept-transport").get(url).status_code == 200


def test_the_action_panel_shows_only_the_allowed_moves(client_as):
    event = event_in("dispatched")
    url = reverse("events:detail", args=[event.pk])
    department = actions(client_as("dept-transport").get(url))
    assert "sign" in department
    assert {"verify", "dispatch", "urge"}.isdisjoint(department)
    grid = actions(client_as("grid01").get(url))
    assert "sign" not in grid
    centre = actions(client_as("center").get(url))
    assert {"reassign", "urge", "summon"} <= centre and "sign" not in centre
    leader = actions(client_as("leader").get(url))
    assert leader <= {"urge", "supervise"}


def test_the_dispatch_form_preselects_the_routed_department(client_as):
    event = event_in("reported")
    response = client_as("center").get(reverse("events:detail", args=[event.pk]))
    form = next(f for f in response.context["forms"] if f.action == "dispatch")
    assert form.initial["department"] == Department.objects.get(code=TRANSPORT).pk


def test_signing_through_the_page_moves_the_event_and_writes_the_timeline(client_as):
    event = event_in("dispatched")
    client = client_as("dept-transport")
    response = client.post(reverse("events:act", args=[event.pk, "sign"]), {"sign-note": "收到"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == S.SIGNED
    page = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert 'data-action="sign"' in page  # the timeline entry
    assert "收到" in page


def test_an_illegal_move_shows_the_conflict_and_changes_nothing(client_as):
    event = event_in("dispatched")
    response = client_as("dept-transport").post(reverse("events:act", args=[event.pk, "start"]))
    assert response.status_code == 409  # the department's move, but not before signing
    assert 'id="conflict"' in response.content.decode()
    event.refresh_from_db()
    assert event.status == S.DISPATCHED
    assert not event.timeline.filter(action="start").exists()


def test_a_move_that_is_not_the_users_part_is_refused_with_the_reason(client_as):
    event = event_in("dispatched")
    response = client_as("grid01").post(reverse("events:act", args=[event.pk, "sign"]))
    assert response.status_code == 403
    assert "不属于您在此事件中的职责" in response.content.decode()
    event.refresh_from_db()
    assert event.status == S.DISPATCHED
    assert not event.timeline.filter(action="sign").exists()


def test_a_move_that_lost_the_race_answers_409_with_the_new_state(client_as):
    event = event_in("dispatched")
    client = client_as("dept-transport")
    assert client.post(reverse("events:act", args=[event.pk, "sign"])).status_code == 302
    again = client.post(reverse("events:act", args=[event.pk, "sign"]))
    assert again.status_code == 409
    assert 'data-status="signed"' in again.content.decode()
    assert event.timeline.filter(action="sign").count() == 1


def test_resolving_without_a_photo_keeps_the_note_and_names_the_field(client_as):
    event = event_in("signed")
    response = client_as("dept-transport").post(
        reverse("events:act", args=[event.pk, "resolve"]), {"resolve-note": "已清理危石"}
    )
    assert response.status_code == 400
    form = next(f for f in response.context["forms"] if f.action == "resolve")
    assert "photos" in form.errors
    assert "已清理危石" in response.content.decode()
    event.refresh_from_db()
    assert event.status == S.SIGNED


def test_resolving_with_a_photo_and_verifying_close_the_event(client_as):
    event = event_in("in_progress")
    response = client_as("dept-transport").post(
        reverse("events:act", args=[event.pk, "resolve"]),
        {"resolve-note": "已清理危石并设置警示", "resolve-photos": [png_upload()]},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == S.RESOLVED
    assert event.attachments.filter(stage="resolution").count() == 1
    thumb = client_as("grid01").get(
        reverse("events:thumbnail", args=[event.attachments.first().pk])
    )
    assert thumb.status_code == 200
    response = client_as("grid01").post(
        reverse("events:act", args=[event.pk, "verify"]), {"verify-note": "现场核查通过"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == S.CLOSED


def test_a_department_that_returns_an_event_lands_on_its_inbox(client_as):
    event = event_in("dispatched")
    client = client_as("dept-transport")
    url = reverse("events:act", args=[event.pk, "return"])
    unconfirmed = client.post(url, {"return-note": "不属于我局职责"})
    assert unconfirmed.status_code == 400  # the confirm box is required
    event.refresh_from_db()
    assert event.status == S.DISPATCHED
    response = client.post(url, {"return-note": "不属于我局职责", "return-confirm": "on"})
    assert response["Location"] == reverse("events:inbox")
    event.refresh_from_db()
    assert event.status == S.REPORTED


def test_the_extension_request_takes_a_local_datetime(client_as):
    event = event_in("signed")
    due = timezone.localtime(event.resolve_due_at + timezone.timedelta(days=2))
    response = client_as("dept-transport").post(
        reverse("events:act", args=[event.pk, "request_extension"]),
        {
            "request_extension-note": "需要调运材料",
            "request_extension-due_at": due.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    pending = event.requests.get()
    assert timezone.localtime(pending.new_due_at).strftime("%Y-%m-%d %H:%M") == due.strftime(
        "%Y-%m-%d %H:%M"
    )
    page = client_as("center").get(reverse("events:detail", args=[event.pk])).content.decode()
    assert 'id="pending-request"' in page and 'id="action-approve_extension"' in page


def test_the_timeline_shows_the_time_between_steps(client_as):
    event = event_in("signed")
    response = client_as("center").get(reverse("events:detail", args=[event.pk]))
    entries = response.context["timeline"]
    assert [e.action for e in entries][:3] == ["report", "dispatch", "sign"]
    assert entries[0].since_previous is None
    assert entries[2].since_previous is not None
    assert "timeline-gap" in response.content.decode()


def test_the_reporter_phone_is_shown_masked_only(client_as):
    client = client_as("center")
    response = client.post(
        reverse("events:hotline"),
        {
            "channel": "hotline",
            "reporter_name": "王大爷",
            "reporter_phone": "13812345678",
            "description": "楼道里堆满杂物，有火灾隐患",
            "category": "",
            "village": VILLAGE01,
            "client_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(reporter_name="王大爷")
    assert event.channel == "hotline"
    assert event.reporter_phone_masked == "138****5678"
    page = client.get(response["Location"]).content.decode()
    assert "138****5678" in page and "13812345678" not in page


def test_the_hotline_rejects_a_bad_phone_and_keeps_what_was_typed(client_as):
    response = client_as("center").post(
        reverse("events:hotline"),
        {
            "channel": "hotline",
            "reporter_phone": "12",
            "description": "路灯不亮",
            "village": VILLAGE01,
            "client_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 400
    assert "reporter_phone" in response.context["form"].errors
    assert "路灯不亮" in response.content.decode()
    assert not Event.objects.filter(description="路灯不亮").exists()


def test_a_one_key_call_from_an_unknown_number_is_a_field_error(client_as):
    response = client_as("center").post(
        reverse("events:one_key"), {"phone": "13900000000", "client_key": "k1"}
    )
    assert response.status_code == 400
    assert "phone" in response.context["one_key_form"].errors


def test_the_centre_merges_a_duplicate_into_the_event_with_one_click(client_as):
    survivor = event_in("dispatched")
    duplicate = report("grid01")
    client = client_as("center")
    page = client.get(reverse("events:detail", args=[survivor.pk]))
    assert duplicate.pk in {d.event.pk for d in page.context["duplicates"]}
    response = client.post(
        reverse("events:act", args=[duplicate.pk, "merge"]),
        {
            "merge-into": survivor.pk,
            "merge-confirm": "on",
            "next": survivor.get_absolute_url(),
        },
    )
    assert response["Location"] == survivor.get_absolute_url()
    duplicate.refresh_from_db()
    assert duplicate.status == S.MERGED and duplicate.merged_into_id == survivor.pk


def test_the_message_thread_hides_internal_notes_from_the_reporter(client_as):
    event = event_in("signed")
    client_as("center").post(
        reverse("events:act", args=[event.pk, "message"]),
        {"message-note": "内部：注意安全", "message-internal": "on"},
    )
    client_as("center").post(
        reverse("events:act", args=[event.pk, "message"]), {"message-note": "已安排处置"}
    )
    reporter = client_as("resident01").get(reverse("events:detail", args=[event.pk]))
    text = reporter.content.decode()
    assert "已安排处置" in text and "内部：注意安全" not in text
    staff = client_as("dept-transport").get(reverse("events:detail", args=[event.pk]))
    assert "内部：注意安全" in staff.content.decode()


# --- the department inbox and record -------------------------------------------------------------


def test_the_inbox_lists_events_to_sign_with_an_inline_button(client_as):
    event = event_in("dispatched")
    signed = event_in("signed")
    client = client_as("dept-transport")
    to_sign = client.get(reverse("events:inbox"))
    assert event.number in numbers(to_sign) and signed.number not in numbers(to_sign)
    assert f'data-sign="{event.pk}"' in to_sign.content.decode()
    in_hand = client.get(reverse("events:inbox"), {"state": "in_hand"})
    assert signed.number in numbers(in_hand)
    response = client.post(
        reverse("events:act", args=[event.pk, "sign"]), {"next": reverse("events:inbox")}
    )
    assert response["Location"] == reverse("events:inbox")


def test_an_assisting_department_signs_its_part_from_the_inbox(client_as):
    event = event_in("dispatched", assist=True)
    client = client_as("dept-housing")
    page = client.get(reverse("events:inbox"))
    assert event.number in numbers(page)
    assert f"/events/{event.pk}/?action=assist_sign" in page.content.decode()


def test_the_inbox_puts_overdue_events_first(client_as):
    first = event_in("dispatched")
    late = event_in("dispatched")
    Event.objects.filter(pk=late.pk).update(overdue_since=timezone.now())
    page = client_as("dept-transport").get(reverse("events:inbox"))
    order = [e.pk for e in page.context["events"]]
    assert order.index(late.pk) < order.index(first.pk)


def test_the_department_record_is_seen_by_its_handlers_and_centre_only(client_as):
    from pingan.events.services import record_accountability

    event = event_in("dispatched")
    record_accountability(event, "sign", event.sign_due_at)
    transport = Department.objects.get(code=TRANSPORT)
    housing = Department.objects.get(code=HOUSING)
    url = reverse("events:department", args=[transport.pk])
    own = client_as("dept-transport").get(url)
    assert own.status_code == 200
    assert own.context["figures"]["records"] == 1
    assert client_as("center").get(url).status_code == 200
    assert (
        client_as("dept-transport").get(reverse("events:department", args=[housing.pk])).status_code
        == 404
    )
    assert client_as("grid01").get(url).status_code == 404


# --- the grid worker's phone pages ---------------------------------------------------------------


def test_a_report_from_the_phone_is_filed_once_for_a_double_submit(client_as):
    client = client_as("grid01")
    lng, lat = grid_point()
    data = {
        "description": "南门社区后山挡墙出现裂缝，有垮塌危险",
        "title": "后山挡墙裂缝",
        "category": WALL,
        "lng": lng,
        "lat": lat,
        "channel": "grid_worker",
        "client_key": uuid.uuid4().hex,
    }
    first = client.post(reverse("events:report"), {**data, "photos": [png_upload()]})
    assert first.status_code == 302
    event = Event.objects.get(title="后山挡墙裂缝")
    assert first["Location"] == event.get_absolute_url()
    assert event.channel == "grid_worker" and event.grid.code.endswith("001001001")
    assert event.attachments.count() == 1
    assert event.status == S.DISPATCHED  # 0201 goes to the transport bureau at once
    again = client.post(reverse("events:report"), data)
    assert again["Location"] == event.get_absolute_url()
    assert Event.objects.filter(title="后山挡墙裂缝").count() == 1


def test_a_report_with_the_village_instead_of_gps(client_as):
    response = client_as("grid01").post(
        reverse("events:report"),
        {
            "description": "小区门口垃圾堆积",
            "village": VILLAGE01,
            "channel": "grid_worker",
            "client_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 302
    event = Event.objects.get(description="小区门口垃圾堆积")
    assert event.region.code == VILLAGE01 and event.located_by == "village"


def test_a_bad_report_names_the_fields_and_keeps_what_was_typed(client_as):
    response = client_as("grid01").post(
        reverse("events:report"),
        {
            "description": "",
            "title": "我写的标题",
            "channel": "grid_worker",
            "client_key": "abc",
            "photos": [png_upload()],
        },
    )
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    text = response.content.decode()
    assert "我写的标题" in text
    assert response.context["photos_lost"]
    assert not Event.objects.filter(title="我写的标题").exists()


def test_a_report_without_any_place_is_refused_on_the_place(client_as):
    response = client_as("grid01").post(
        reverse("events:report"),
        {"description": "有情况", "channel": "grid_worker", "client_key": uuid.uuid4().hex},
    )
    assert response.status_code == 400
    assert "village" in response.context["form"].errors


def test_a_photo_that_is_not_an_image_is_refused(client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_as("grid01").post(
        reverse("events:report"),
        {
            "description": "路灯不亮",
            "village": VILLAGE01,
            "channel": "grid_worker",
            "client_key": uuid.uuid4().hex,
            "photos": [SimpleUploadedFile("x.png", b"not an image", content_type="image/png")],
        },
    )
    assert response.status_code == 400
    assert "photos" in response.context["form"].errors


def test_my_reports_lists_what_i_reported(client_as):
    mine = report("grid01")
    other = report("resident01")
    page = client_as("grid01").get(reverse("events:mine"))
    assert mine.number in numbers(page) and other.number not in numbers(page)


def test_the_verification_list_sorts_the_nearest_first_when_given_a_position(client_as):
    far = event_in("resolved")
    near = event_in("resolved", reporter="grid01")
    Event.objects.filter(pk=far.pk).update(lng=far.lng + 0.01)
    client = client_as("grid01")
    plain = client.get(reverse("events:verify_tasks"))
    assert [e.pk for e in plain.context["events"]][:2] == [far.pk, near.pk]  # oldest first
    nearest = client.get(reverse("events:verify_tasks"), {"lng": near.lng, "lat": near.lat})
    assert [e.pk for e in nearest.context["events"]][:2] == [near.pk, far.pk]
    assert client_as("grid02").get(reverse("events:verify_tasks")).context["events"] == []


# --- the overdue board ---------------------------------------------------------------------------


def test_the_overdue_board_groups_by_department_and_township_and_urges(client_as):
    late = event_in("dispatched")
    Event.objects.filter(pk=late.pk).update(
        overdue_since=timezone.now(), supervision=Event.Supervision.RED
    )
    event_in("dispatched")  # on time
    client = client_as("leader")
    board = client.get(reverse("events:overdue"))
    assert board.context["total"].count == 1
    transport = Department.objects.get(code=TRANSPORT)
    group = next(g for g in board.context["departments"] if g.key == transport.pk)
    assert group.count == 1 and group.red == 1
    assert [t.name for t in board.context["townships"]] == [late.township.name]
    assert [e.pk for e in board.context["events"]] == [late.pk]
    response = client.post(
        reverse("events:act", args=[late.pk, "urge"]),
        {"urge-note": "请立即处置", "next": reverse("events:overdue")},
    )
    assert response["Location"] == reverse("events:overdue")
    late.refresh_from_db()
    assert late.urge_count == 1


def test_the_overdue_board_filters_by_department(client_as):
    late = event_in("dispatched")
    Event.objects.filter(pk=late.pk).update(overdue_since=timezone.now())
    housing = Department.objects.get(code=HOUSING)
    board = client_as("center").get(reverse("events:overdue"), {"department": housing.pk})
    assert board.context["events"] == []


# --- the Excel export ----------------------------------------------------------------------------


def test_the_export_button_starts_a_job_with_the_filter(
    client_as, django_capture_on_commit_callbacks
):
    from pingan.core.models import Job

    event_in("dispatched")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("center").post(
            reverse("events:export"), {"tab": "open", "category": WALL}
        )
    job = Job.objects.get(kind="events.export")
    assert response["Location"] == job.get_absolute_url()
    assert job.params["filters"] == {"tab": ["open"], "category": [WALL]}
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_summary["rows"] == 1


def test_the_export_is_refused_to_someone_without_a_staff_role(client_as):
    assert client_as("resident01").post(reverse("events:export")).status_code == 404


# --- routing rules -------------------------------------------------------------------------------


def test_the_routing_test_answers_with_the_department_and_the_reason(client_as):
    client = client_as("center")
    response = client.get(
        reverse("events:routing_test"),
        {"category": WALL, "village": VILLAGE01},
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-department="513999-transport"' in text
    assert "most specific match" in text
    assert "<html" not in text  # the htmx part only
    lng, lat = grid_point()
    by_point = client.get(
        reverse("events:routing_test"), {"category": "1001", "lng": lng, "lat": lat}
    )
    assert 'data-department="513999001-police"' in by_point.content.decode()


def test_the_routing_test_asks_for_a_place(client_as):
    response = client_as("center").get(reverse("events:routing_test"), {"category": WALL})
    assert 'id="route-errors"' in response.content.decode()


def test_the_routing_list_shows_the_rules_in_scope(client_as):
    county = client_as("center").get(reverse("events:routing"), {"category": "1001"})
    rules = county.context["rules"]
    assert rules and all(r.category.code == "1001" for r in rules)
    township = client_as("town01").get(reverse("events:routing"), {"category": "1001"})
    regions = {r.region.code for r in township.context["rules"]}
    assert "513999002" not in regions  # another township's police rule
    assert "513999001" in regions


def test_editing_routing_rules_needs_the_permission(client_as):
    # The demo centre's staff group holds events.add/change/delete_routingrule; town01 does not.
    town = client_as("town01")
    assert town.get(reverse("events:routing_add")).status_code == 404
    rule = RoutingRule.objects.filter(region__code="513999001").first()
    assert town.get(reverse("events:routing_edit", args=[rule.pk])).status_code == 404
    assert not any(r.editable for r in town.get(reverse("events:routing")).context["rules"])
    assert User.objects.get(username="center").has_perm("events.change_routingrule")
    client = client_as("center")
    transport = Department.objects.get(code=TRANSPORT)
    region = Region.objects.get(code="513999001")
    response = client.post(
        reverse("events:routing_add"),
        {"category": "0101", "region": region.pk, "department": transport.pk, "note": "测试"},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(note="测试")
    again = client.post(
        reverse("events:routing_add"),
        {"category": "0101", "region": region.pk, "department": transport.pk},
    )
    assert again.status_code == 400  # the same rule twice
    delete_page = client.get(reverse("events:routing_delete", args=[rule.pk]))
    assert delete_page.status_code == 200
    client.post(reverse("events:routing_delete", args=[rule.pk]))
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()


def test_a_closed_event_stays_in_the_inbox_under_resolved(client_as):
    closed = event_in("closed")
    page = client_as("dept-transport").get(reverse("events:inbox"), {"state": "done"})
    assert closed.number in numbers(page)


def test_the_date_range_is_in_local_days(client_as):
    event = event_in("dispatched")
    day = timezone.localdate(event.reported_at).isoformat()
    client = client_as("center")
    same_day = client.get(
        reverse("events:workbench"),
        {"tab": "all", "reported_after": day, "reported_before": day},
    )
    assert event.number in numbers(same_day)
    before = (timezone.localdate(event.reported_at) - timezone.timedelta(days=1)).isoformat()
    earlier = client.get(reverse("events:workbench"), {"tab": "all", "reported_before": before})
    assert event.number not in numbers(earlier)


def test_searching_an_open_tab_by_text(client_as):
    event = report("grid01", description="水渠堵塞，独特词语甲乙丙")
    page = client_as("center").get(reverse("events:workbench"), {"tab": "open", "q": "甲乙丙"})
    assert numbers(page) == {event.number}
    lower = client_as("center").get(
        reverse("events:workbench"), {"tab": "all", "q": event.number.lower()}
    )
    assert numbers(lower) == {event.number}


@pytest.mark.parametrize(
    "status",
    ["reported", "dispatched", "signed", "in_progress", "resolved", "closed", "suspended",
     "on_hold", "merged", "invalid"],
)  # fmt: skip
def test_the_event_page_renders_in_every_state_for_every_part(client_as, status):
    event = event_in(status, assist=status not in ("reported", "merged", "invalid"))
    url = reverse("events:detail", args=[event.pk])
    seen = {}
    for username in ("center", "leader", "dept-transport", "dept-housing", "grid01", "resident01"):
        response = client_as(username).get(url)
        seen[username] = response.status_code
        assert response.status_code in (200, 404), (username, response.status_code)
    assert seen["center"] == seen["resident01"] == seen["grid01"] == 200
    assert client_as("grid02").get(url).status_code == 404


def test_a_one_key_call_files_an_event_from_the_registered_terminal(client_as):
    from pingan.events.models import CallTerminal

    terminal = CallTerminal(
        name="张奶奶", address="南门社区3栋2单元", village=Region.objects.get(code=VILLAGE01)
    )
    terminal.set_phone("13900001234")
    terminal.save()
    response = client_as("center").post(
        reverse("events:one_key"),
        {"phone": "13900001234", "note": "老人说身体不适", "client_key": uuid.uuid4().hex},
    )
    assert response.status_code == 302
    event = Event.objects.get(channel="one_key_call")
    assert response["Location"] == event.get_absolute_url()
    assert event.priority == "high" and "*" in event.reporter_phone_masked


def test_the_hotline_page_has_a_map_to_pick_the_point(client_as):
    page = client_as("center").get(reverse("events:hotline")).content.decode()
    assert 'data-pick-map="hotline-map-config"' in page and 'id="hotline-map-config"' in page


def _detail_queries(client, event) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("events:detail", args=[event.pk]))
    assert response.status_code == 200
    return len(ctx)


def test_the_event_page_does_not_query_once_per_step_message_or_photo(client_as, settings):
    from pingan.events import services

    settings.PINGAN_URGE_REPEAT_MINUTES = 0  # urge five times in a row

    event = event_in("in_progress")
    client = client_as("center")
    client.get(reverse("events:detail", args=[event.pk]))  # warm the session
    few = _detail_queries(client, event)
    center = get_user("center")
    for i in range(5):
        services.perform(event.pk, "message", acting_user=center, note=f"进展{i}")
        services.perform(event.pk, "urge", acting_user=center, note=f"催办{i}")
    services.perform(
        event.pk,
        "resolve",
        acting_user=get_user("dept-transport"),
        note="处置完毕",
        photos=[png_upload(), png_upload("b.png")],
    )
    event.refresh_from_db()
    many = _detail_queries(client, event)
    assert many <= few + 2  # a resolved event offers other moves; nothing grows per row
