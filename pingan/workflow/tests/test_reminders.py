"""Reminders (提醒事项): the workflow that proves the deadline sweep, end to end."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from pingan.accounts.models import Membership
from pingan.workflow import deadlines, services
from pingan.workflow.demo import DEMO_TITLE, load_demo_reminders
from pingan.workflow.models import Deadline, Reminder

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def only_new_deadlines(db):
    # The demo loader's reminder would fire in these sweeps too; keep to this test's items.
    Deadline.objects.all().delete()


@pytest.fixture
def robot():
    """A group robot endpoint on 127.0.0.1 that records the JSON it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length) or b"{}"))
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test"
    yield server
    server.shutdown()
    server.server_close()


def make_reminder(owner, hours: float = 1, title: str = "Visit the Wang family") -> Reminder:
    return services.create_reminder(
        owner=owner, title=title, due_at=timezone.now() + hours * HOUR, acting_user=owner
    )


def test_creating_a_reminder_opens_its_deadline(user):
    reminder = make_reminder(user("grid01"), hours=10)

    (deadline,) = deadlines.open_deadlines(reminder)
    assert deadline.handler == "workflow.reminder"
    assert deadline.kind == "due"
    assert deadline.due_at == reminder.due_at
    assert deadline.warn_at < deadline.due_at


def test_an_overdue_reminder_reaches_the_inbox_and_the_grid_robot(
    user, only_new_deadlines, robot, django_capture_on_commit_callbacks
):
    from pingan.notify.models import Channel, Notification

    grid01 = user("grid01")
    grid = Membership.objects.get(user=grid01, grid__isnull=False).grid
    Channel.objects.create(
        name="网格群", kind=Channel.Kind.WECOM_ROBOT, grid=grid, webhook_url=robot.url
    )
    reminder = make_reminder(grid01, hours=1)

    # The worker was down past both thresholds; its first sweep catches up.
    with django_capture_on_commit_callbacks(execute=True):
        result = deadlines.sweep(now=timezone.now() + 2 * HOUR)

    assert (result.warned, result.overdue) == (1, 1)
    inbox = Notification.objects.filter(recipient=grid01).order_by("pk")
    assert [n.template for n in inbox] == ["deadline_warning", "deadline_overdue"]
    assert reminder.title in inbox[1].title
    assert inbox[1].url == reminder.get_absolute_url()
    # Only the overdue message goes to the grid's group robot.
    assert len(robot.received) == 1
    assert reminder.title in json.dumps(robot.received[0], ensure_ascii=False)

    with django_capture_on_commit_callbacks(execute=True):
        again = deadlines.sweep(now=timezone.now() + 3 * HOUR)
    assert (again.warned, again.overdue) == (0, 0)
    assert inbox.count() == 2
    assert len(robot.received) == 1


def test_overdue_messages_go_to_the_robots_of_the_owners_grids_and_departments(
    user, only_new_deadlines, monkeypatch
):
    calls = []
    monkeypatch.setattr("pingan.notify.services.notify", lambda **kw: calls.append(kw) or [])
    make_reminder(user("dept-transport"), title="Check the bridge")
    make_reminder(user("police01"), title="Patrol")
    make_reminder(user("center"), title="Weekly report")

    deadlines.sweep(now=timezone.now() + 2 * HOUR)

    overdue = {c["users"][0].username: c for c in calls if c["template"] == "deadline_overdue"}
    assert overdue["dept-transport"]["units"] == [
        Membership.objects.get(user__username="dept-transport").department
    ]
    assert overdue["police01"]["units"] == [Membership.objects.get(user__username="police01").grid]
    assert overdue["police01"]["context"]["item"] == "Patrol"
    # A centre dispatcher's unit is the governance centre (综治中心) of their region.
    assert [d.code for d in overdue["center"]["units"]] == ["513999-center"]
    assert {c["template"] for c in calls} == {"deadline_warning", "deadline_overdue"}


def test_a_completed_reminder_sends_nothing(user, only_new_deadlines, monkeypatch):
    calls = []
    monkeypatch.setattr("pingan.notify.services.notify", lambda **kw: calls.append(kw) or [])
    center = user("center")
    reminder = make_reminder(center)

    services.complete_reminder(reminder, acting_user=center)
    result = deadlines.sweep(now=timezone.now() + 2 * HOUR)

    assert calls == []
    assert (result.warned, result.overdue) == (0, 0)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE


def test_completing_twice_is_an_illegal_transition(user):
    center = user("center")
    reminder = make_reminder(center)
    services.complete_reminder(reminder, acting_user=center)

    with pytest.raises(services.IllegalTransition):
        services.complete_reminder(reminder, acting_user=center)


def test_my_reminders_page_lists_only_my_reminders(client_as, user):
    make_reminder(user("center"), title="Centre own")
    make_reminder(user("grid02"), title="Grid two own")

    page = client_as("grid02").get(reverse("workflow:reminder_list"))

    assert page.status_code == 200
    assert "Grid two own" in page.text
    assert "Centre own" not in page.text


def test_grid02_cannot_see_or_complete_the_centres_reminder(client_as, user):
    reminder = make_reminder(user("center"))
    client = client_as("grid02")

    assert client.get(reminder.get_absolute_url()).status_code == 404
    complete = reverse("workflow:reminder_complete", args=[reminder.pk])
    assert client.post(complete).status_code == 404
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.OPEN


def test_a_reminder_created_in_n_minutes_from_the_page_gets_a_deadline(client_as, user):
    client = client_as("grid01")
    before = timezone.now()

    response = client.post(
        reverse("workflow:reminder_list"), {"title": "Call the mediator", "in_minutes": "30"}
    )

    reminder = Reminder.objects.get(title="Call the mediator")
    assert response.status_code == 302
    assert response.url == reminder.get_absolute_url()
    assert reminder.owner == user("grid01")
    assert (
        before + dt.timedelta(minutes=29)
        < reminder.due_at
        < timezone.now() + 31 * 60 * (HOUR / 3600)
    )
    assert deadlines.open_deadlines(reminder).count() == 1
    detail = client.get(reminder.get_absolute_url())
    assert "Call the mediator" in detail.text

    done = client.post(reverse("workflow:reminder_complete", args=[reminder.pk]))
    assert done.status_code == 302
    assert deadlines.open_deadlines(reminder).count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"title": "No time"},
        {"title": "Both", "in_minutes": "5", "due_at": "2099-01-01T10:00"},
        {"title": "Past", "due_at": "2001-01-01T10:00"},
        {"title": "Nonsense", "due_at": "tomorrow-ish"},
        {"title": "Negative", "in_minutes": "-5"},
        {"title": "", "in_minutes": "5"},
    ],
)
def test_bad_reminder_input_gets_a_form_error_and_changes_nothing(client_as, data):
    count = Reminder.objects.count()

    response = client_as("grid01").post(reverse("workflow:reminder_list"), data)

    assert response.status_code == 400
    assert "invalid-feedback" in response.text or "alert-danger" in response.text
    assert Reminder.objects.count() == count


def test_the_demo_gives_center_a_reminder_due_soon_and_loading_again_adds_none(user):
    center = user("center")
    assert Reminder.objects.filter(owner=center, is_demo=True, title=DEMO_TITLE).exists()
    # The session loaded the demo a while ago: its reminder may have fallen due since, and
    # the next load then adds a fresh one. Loading again while one is pending adds none.
    demo = load_demo_reminders()
    assert demo.status == Reminder.Status.OPEN
    before = Reminder.objects.filter(owner=center, is_demo=True).count()

    assert load_demo_reminders() == demo
    assert Reminder.objects.filter(owner=center, is_demo=True).count() == before
    (deadline,) = deadlines.open_deadlines(demo)
    assert abs(deadline.due_at - deadline.starts_at - dt.timedelta(minutes=2)).total_seconds() < 5


def test_the_reminder_form_names_every_bad_field_at_once(client_as):
    client = client_as("center")
    response = client.post("/reminders/", {"title": "", "note": ""})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"title", "due_at"}
    assert "请填写到期时间或分钟数（二选一）。" in errors["due_at"]
    assert client.get("/reminders/").status_code == 200
