"""Supervision (督办) and accountability (追责) driven by the deadline sweep.

The retaining-wall category 0201 gives the department half an hour (natural time) to sign for
an event and twelve hours to resolve it; the warning comes at 80 % of the running time.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from pingan.events.models import Event
from pingan.events.tests.conftest import (
    TRANSPORT,
    event_in,
    get_user,
    move,
    png_upload,
    report,
)
from pingan.events.transitions import WORKFLOW
from pingan.notify.models import Channel, Delivery, Notification
from pingan.workflow import deadlines
from pingan.workflow.deadlines import sweep
from pingan.workflow.models import AccountabilityRecord

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
S = Event.Status


def titled(event: Event, headline: str) -> list[str]:
    """Return who received ``event``'s message with ``headline`` (rendered in Chinese)."""
    with translation.override("zh-hans"):
        text = f"【{WORKFLOW.headline(headline)}】{event.number}"
    return sorted(
        Notification.objects.filter(title__startswith=text).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.fixture
def robot():
    """The transport bureau's group robot."""
    from pingan.accounts.models import Department

    return Channel.objects.create(
        name="交通运输局值班群",
        kind=Channel.Kind.WECOM_ROBOT,
        department=Department.objects.get(code=TRANSPORT),
        webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=demo",
    )


def fresh(event: Event) -> Event:
    return Event.objects.get(pk=event.pk)


def test_the_department_is_warned_before_the_sign_for_deadline(robot):
    event = report()
    assert event.sign_due_at - event.dispatched_at == 30 * MINUTE

    sweep(now=event.dispatched_at + 23 * MINUTE)
    assert titled(event, "warning") == []

    sweep(now=event.dispatched_at + 25 * MINUTE)
    assert titled(event, "warning") == ["dept-transport"]
    assert Delivery.objects.filter(channel=robot).count() == 2  # dispatched, then the warning
    event = fresh(event)
    assert event.overdue_since is None and event.supervision == ""
    assert not AccountabilityRecord.objects.filter(event=event).exists()


def test_a_missed_sign_for_deadline_flags_the_event_and_holds_it_against_the_department():
    event = report()

    sweep(now=event.sign_due_at + MINUTE)

    event = fresh(event)
    assert event.overdue_since == event.sign_due_at and event.is_overdue
    assert event.supervision == Event.Supervision.NORMAL
    [record] = AccountabilityRecord.objects.filter(event=event)
    assert (record.department.code, record.kind) == (TRANSPORT, "sign")
    assert record.due_at == event.sign_due_at and record.county_code == "513999"
    assert "dept-transport" in titled(event, "overdue") and "town01" in titled(event, "overdue")
    assert event.timeline.filter(action="overdue").count() == 1
    supervise = event.timeline.get(action="supervise")
    assert supervise.data == {"from": "", "to": "normal", "automatic": True}

    sweep(now=event.sign_due_at + 2 * MINUTE)
    assert AccountabilityRecord.objects.filter(event=event).count() == 1
    assert event.timeline.filter(action="overdue").count() == 1


def test_supervision_turns_yellow_then_red_as_the_event_stays_overdue(settings):
    settings.PINGAN_SUPERVISION_YELLOW_HOURS = 4
    settings.PINGAN_SUPERVISION_RED_HOURS = 8
    event = report()
    due = event.sign_due_at

    sweep(now=due + MINUTE)
    assert fresh(event).supervision == Event.Supervision.NORMAL
    sweep(now=due + 4 * HOUR - MINUTE)
    assert fresh(event).supervision == Event.Supervision.NORMAL
    sweep(now=due + 4 * HOUR + MINUTE)
    assert fresh(event).supervision == Event.Supervision.YELLOW
    sweep(now=due + 8 * HOUR - MINUTE)
    assert fresh(event).supervision == Event.Supervision.YELLOW
    sweep(now=due + 8 * HOUR + MINUTE)
    assert fresh(event).supervision == Event.Supervision.RED
    grades = [e.data["to"] for e in event.timeline.filter(action="supervise")]
    assert grades == ["normal", "yellow", "red"]


def test_a_worker_that_was_down_catches_up_in_order_within_a_few_sweeps():
    event = report()
    later = event.resolve_due_at + 100 * HOUR
    # Each sweep opens the next grade's deadline, already past: the next minute fires it.
    grades = []
    for _run in range(3):
        sweep(now=later)
        grades.append(fresh(event).supervision)
    assert grades == ["normal", "yellow", "red"]
    event = fresh(event)
    assert sorted(
        AccountabilityRecord.objects.filter(event=event).values_list("kind", flat=True)
    ) == [
        "resolve",
        "sign",
    ]
    assert event.overdue_since == event.sign_due_at


def test_accountability_records_are_kept_after_the_event_closes():
    event = report()
    sweep(now=event.sign_due_at + MINUTE)
    for action, username, fields in [
        ("sign", "dept-transport", {}),
        ("resolve", "dept-transport", {"note": "已处置", "photos": [png_upload()]}),
        ("verify", "grid01", {}),
    ]:
        move(event, action, username, **fields)
    assert event.status == S.CLOSED
    assert AccountabilityRecord.objects.filter(event=event, department__code=TRANSPORT).exists()
    assert not deadlines.open_deadlines(event).exists()


def test_a_closed_event_does_not_go_overdue():
    event = event_in(S.CLOSED)
    sweep(now=event.resolve_due_at + 100 * HOUR)
    assert not AccountabilityRecord.objects.filter(event=event).exists()
    assert fresh(event).overdue_since is None


def test_an_approved_extension_clears_the_overdue_flag():
    event = event_in(S.SIGNED)
    sweep(now=event.resolve_due_at + MINUTE)
    event = fresh(event)
    assert event.overdue_since == event.resolve_due_at
    new_due = event.resolve_due_at + 48 * HOUR

    move(event, "request_extension", "dept-transport", note="需调集机械", due_at=new_due)
    move(event, "approve_extension", "center", note="同意")

    assert event.overdue_since is None and not event.is_overdue
    assert event.resolve_due_at == new_due
    assert not deadlines.open_deadlines(event, "yellow").exists()
    # The miss before the extension stays on the department's record.
    assert AccountabilityRecord.objects.filter(event=event, kind="resolve").count() == 1


def test_a_suspended_event_does_not_go_overdue_while_it_waits():
    event = event_in(S.SIGNED)
    move(event, "suspend", "center", note="等待群众补充信息")
    sweep(now=event.resolve_due_at + 100 * HOUR)
    event = fresh(event)
    assert event.overdue_since is None and event.supervision == ""
    assert not AccountabilityRecord.objects.filter(event=event).exists()


def test_an_event_on_hold_does_not_go_overdue():
    event = event_in(S.ON_HOLD)
    sweep(now=event.resolve_due_at + 100 * HOUR)
    assert not AccountabilityRecord.objects.filter(event=event).exists()


def test_urging_counts_and_reaches_the_departments_handlers_and_group(robot):
    event = report()
    move(event, "urge", "leader", note="请立即到场处置")
    # Past the window in which a second urge is refused (PINGAN_URGE_REPEAT_MINUTES).
    event.timeline.filter(action="urge").update(at=timezone.now() - dt.timedelta(minutes=11))
    move(event, "urge", "center", note="再次催办")
    assert event.urge_count == 2
    assert titled(event, "urge") == ["dept-transport", "dept-transport"]
    titles = [d.payload["title"] for d in Delivery.objects.filter(channel=robot)]
    assert len([t for t in titles if event.number in t]) == 3  # the dispatch and two urges
    assert [e.actor.username for e in event.timeline.filter(action="urge")] == [
        "leader",
        "center",
    ]


def test_an_event_waiting_for_dispatch_is_urged_at_the_centre():
    event = report("grid01", category=None, description="这里有点情况，请来看看")
    move(event, "urge", "leader", note="请尽快派遣")
    assert titled(event, "urge") == ["town01"]


def test_supervision_by_hand_is_recorded_and_told_to_the_department():
    event = report()
    move(event, "supervise", "leader", grade=Event.Supervision.RED, note="县领导红牌督办")
    assert event.supervision == Event.Supervision.RED
    assert titled(event, "supervise") == ["dept-transport"]
    entry = event.timeline.get(action="supervise")
    assert entry.actor == get_user("leader") and entry.data["automatic"] is False


def test_signing_late_stops_the_supervision_rising_while_the_resolution_is_still_on_time():
    event = report()
    sweep(now=event.sign_due_at + MINUTE)
    assert fresh(event).supervision == Event.Supervision.NORMAL

    move(event, "sign", "dept-transport")
    event = fresh(event)
    # The missed sign-for stays on the department's record; the event is no longer overdue
    # and no yellow card is coming while the resolution is on time.
    assert AccountabilityRecord.objects.filter(event=event, kind="sign").count() == 1
    assert event.overdue_since is None
    assert not deadlines.open_deadlines(event, "yellow").exists()
    sweep(now=event.resolve_due_at - MINUTE)
    assert fresh(event).supervision == Event.Supervision.NORMAL
