"""The event workflow: every move of the table, allowed and forbidden, for every part people play.

The table test walks ``TRANSITIONS``: for each status and each move it brings an event to that
status along a legal path, then tries the move as each persona (in a savepoint rolled back after
each try). Who plays which part is stated here, independently of the table, so a persona who
gains or loses a part shows up as a failure.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from pingan.core.transitions import IllegalTransition
from pingan.events import queries, services
from pingan.events.models import Assignment, Event, EventLog, Message, Request
from pingan.events.tests.conftest import (
    HOUSING,
    TRANSPORT,
    event_in,
    get_user,
    make_handler,
    move,
    png_upload,
    report,
)
from pingan.events.transitions import PREVIOUS, TRANSITIONS, allowed_for
from pingan.workflow import deadlines

pytestmark = pytest.mark.django_db

S = Event.Status
OTHER_DEPARTMENT = "513999-natural-resources"
WATER = "513999-water"

# Persona → the part the persona plays in an event reported by resident01 in grid01's grid,
# handled by the transport bureau with the housing bureau summoned to assist.
PERSONAS = {
    "center": queries.CENTRE,
    "leader": queries.LEADER,
    "dept-transport": queries.DEPARTMENT,
    "dept-housing": queries.ASSISTING,
    "grid01": queries.GRID,
    "resident01": queries.REPORTER,
    "dept-water": None,  # a department with nothing to do with the event
    "grid02": None,  # a grid worker of another township
}
# Statuses in which departments still hold their assignments.
WITH_DEPARTMENTS = {S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RESOLVED, S.SUSPENDED, S.ON_HOLD}
# The timeline action a status-keeping move writes (a message goes to the thread instead).
LOG_ACTION = {"message": None}


@pytest.fixture(autouse=True)
def _unrelated_department_handler(db):
    make_handler("dept-water", WATER)


def expected_roles(persona: str, event: Event) -> set[str]:
    role = PERSONAS[persona]
    if role is None:
        return set()
    if role == queries.DEPARTMENT and event.status not in WITH_DEPARTMENTS:
        return set()
    if role == queries.ASSISTING and (
        event.status not in WITH_DEPARTMENTS
        or not event.assignments.filter(role="assist", ended_at__isnull=True).exists()
    ):
        return set()
    return {role}


def fields_for(action: str, event: Event, extra: dict) -> dict:
    """Return valid fields for ``action`` on ``event`` (fresh uploads each time)."""
    due = (event.resolve_due_at or timezone.now()) + dt.timedelta(days=2)
    fields = {
        "dispatch": {"department": TRANSPORT, "note": "派交通运输局处置"},
        "sign": {"note": "已签收"},
        "start": {"note": "已到达现场"},
        "resolve": {"note": "已清理危石并设置警示", "photos": [png_upload()]},
        "verify": {"note": "现场核查通过", "photos": [png_upload()]},
        "rework": {"note": "仍有危石未清理"},
        "return": {"note": "不属于本部门职责"},
        "reassign": {"department": OTHER_DEPARTMENT, "note": "改派自然资源局"},
        "request_extension": {"note": "需调集大型机械", "due_at": due},
        "request_hold": {"note": "汛期无法施工"},
        "approve_extension": {"note": "同意延期"},
        "approve_hold": {"note": "同意缓办"},
        "refuse_request": {"note": "不同意"},
        "urge": {"note": "请尽快处置"},
        "supervise": {"grade": Event.Supervision.YELLOW, "note": "黄牌督办"},
        "escalate": {"note": "需要多部门联动"},
        "summon": {"departments": [OTHER_DEPARTMENT], "note": "请自然资源局协助"},
        "assist_sign": {"note": "住建局已签收"},
        "assist_done": {"note": "住建局已完成房屋安全排查"},
        "message": {"note": "请补充现场照片"},
        "update": {"title": "南门社区后山挡墙裂缝", "priority": "high", "note": "更正标题"},
        "suspend": {"note": "等待群众补充信息"},
        "resume": {"note": "信息已补齐"},
        "merge": {"into": extra.get("survivor")},
        "invalidate": {"note": "无效信息"},
        "rate": {"rating": Event.Rating.SATISFIED, "note": "处理及时"},
        "reopen": {"note": "挡墙又出现新裂缝"},
    }
    return fields[action]


def prepare(event: Event, action: str) -> dict:
    """Meet the move's precondition (a pending request, a dissatisfied rating, a survivor)."""
    if action == "approve_extension":
        due = event.resolve_due_at + dt.timedelta(days=2)
        move(event, "request_extension", "dept-transport", note="需调集机械", due_at=due)
    elif action in ("approve_hold", "refuse_request"):
        move(event, "request_hold", "dept-transport", note="汛期无法施工")
    elif action == "reopen":
        move(event, "rate", "resident01", rating=Event.Rating.DISSATISFIED, note="没修好")
    elif action == "merge":
        return {"survivor": report("grid01", description="后山挡墙裂缝").pk}
    return {}


def snapshot(event: Event) -> tuple:
    fresh = Event.objects.get(pk=event.pk)
    return (
        fresh.status,
        fresh.updated_at,
        fresh.department_id,
        EventLog.objects.filter(event=event).count(),
        Message.objects.filter(event=event).count(),
        Request.objects.filter(event=event).count(),
        Assignment.objects.filter(event=event).count(),
    )


TABLE = [(status, action) for status, moves in TRANSITIONS.items() for action in moves]


def test_the_table_has_every_status_and_terminal_ones_allow_nothing():
    assert set(TRANSITIONS) == set(S.values)
    assert TRANSITIONS[S.MERGED] == {} and TRANSITIONS[S.INVALID] == {}


@pytest.mark.parametrize("status", [s for s in S.values if s != S.REPORTED])
def test_each_persona_plays_the_part_expected_of_them(status):
    event = event_in(status, assist=True)
    for persona in PERSONAS:
        assert set(queries.roles_in(get_user(persona), event)) == expected_roles(persona, event), (
            persona
        )


@pytest.mark.parametrize(("status", "action"), TABLE)
def test_every_move_is_allowed_exactly_for_its_parts_and_refused_to_everyone_else(status, action):
    event = event_in(status, assist=status != S.REPORTED)
    extra = prepare(event, action)
    table_move = TRANSITIONS[status][action]
    allowed_somewhere = False
    for persona in PERSONAS:
        user = get_user(persona)
        event.refresh_from_db()
        may = bool(table_move.roles & expected_roles(persona, event))
        allowed_somewhere |= may
        before = snapshot(event)
        savepoint = transaction.savepoint()
        try:
            if may:
                _perform_allowed(event, action, user, table_move, extra)
            else:
                _perform_forbidden(event, action, user, extra, before)
        finally:
            transaction.savepoint_rollback(savepoint)
        assert snapshot(event) == before
    assert allowed_somewhere, f"nobody may {action} while {status}"


def _perform_allowed(event, action, user, table_move, extra):
    before_status = event.status
    resume_status = event.resume_status
    last_log = EventLog.objects.filter(event=event).order_by("-id").values_list("id", flat=True)
    last_id = last_log.first() or 0
    messages = Message.objects.filter(event=event).count()
    services.perform(event.pk, action, acting_user=user, **fields_for(action, event, extra))
    fresh = Event.objects.get(pk=event.pk)
    target = table_move.target
    if target == PREVIOUS:
        target = resume_status
    expected = target or before_status
    assert fresh.status == expected, (action, user.username)
    entries = list(EventLog.objects.filter(event=event, id__gt=last_id))
    if target is not None:
        assert any(
            e.actor_id == user.pk and e.from_status == before_status and e.to_status == expected
            for e in entries
        ), (action, user.username, [(e.action, e.from_status, e.to_status) for e in entries])
        return
    log_action = LOG_ACTION.get(action, action)
    if log_action is None:
        assert Message.objects.filter(event=event).count() == messages + 1
        assert Message.objects.filter(event=event).latest("id").author == user
    else:
        assert any(e.actor_id == user.pk and e.action == log_action for e in entries), (
            action,
            user.username,
            [e.action for e in entries],
        )


def _perform_forbidden(event, action, user, extra, before):
    with pytest.raises(IllegalTransition) as info:
        services.perform(event.pk, action, acting_user=user, **fields_for(action, event, extra))
    fresh = Event.objects.get(pk=event.pk)
    assert action not in info.value.allowed, user.username
    assert info.value.allowed == sorted(allowed_for(fresh, get_user(user.username)))
    assert info.value.status == event.status
    assert snapshot(event) == before


def test_an_unknown_action_is_refused_with_the_moves_allowed_now():
    event = event_in(S.DISPATCHED)
    with translation.override("en"), pytest.raises(IllegalTransition) as info:
        move(event, "teleport", "dept-transport")
    assert "Unknown action" in info.value.message
    assert "sign" in info.value.allowed and "return" in info.value.allowed


def test_a_refused_move_names_the_action_by_its_label_and_the_status():
    event = event_in(S.DISPATCHED)
    with translation.override("en"), pytest.raises(IllegalTransition) as info:
        move(event, "verify", "grid01")
    assert "Verified: close" in info.value.message and "Dispatched" in info.value.message


def test_a_move_missing_a_required_field_names_the_field_and_changes_nothing():
    event = event_in(S.SIGNED)
    before = snapshot(event)
    with pytest.raises(ValidationError) as info:
        move(event, "resolve", "dept-transport", note="已处置")
    assert "photos" in info.value.message_dict
    assert snapshot(event) == before


def test_resolving_without_a_note_is_refused_even_with_photos():
    event = event_in(S.IN_PROGRESS)
    with pytest.raises(ValidationError) as info:
        move(event, "resolve", "dept-transport", photos=[png_upload()])
    assert list(info.value.message_dict) == ["note"]
    assert Event.objects.get(pk=event.pk).status == S.IN_PROGRESS


def test_resolution_photos_are_kept_with_the_resolution_entry():
    event = event_in(S.RESOLVED)
    [photo] = event.attachments.filter(stage="resolution")
    assert photo.log.action == "resolve" and photo.is_image and photo.thumbnail


# --- side moves -------------------------------------------------------------------------------


def test_suspending_stops_the_clock_and_resuming_moves_the_deadline_by_the_pause(settings):
    event = event_in(S.SIGNED)
    resolve_due = event.resolve_due_at
    move(event, "suspend", "dept-transport", note="等待群众补充信息")
    assert event.status == S.SUSPENDED and event.resume_status == S.SIGNED
    [deadline] = deadlines.open_deadlines(event, "resolve")
    assert deadline.paused_at is not None
    # Two hours pass while the event waits for information.
    paused_at = deadline.paused_at - dt.timedelta(hours=2)
    deadlines.open_deadlines(event).update(paused_at=paused_at)

    move(event, "resume", "center", note="信息已补齐")

    assert event.status == S.SIGNED and event.resume_status == ""
    [deadline] = deadlines.open_deadlines(event, "resolve")
    assert deadline.paused_at is None
    shift = event.resolve_due_at - resolve_due
    assert dt.timedelta(hours=2) <= shift < dt.timedelta(hours=2, minutes=1)
    assert deadline.due_at == event.resolve_due_at
    assert list(event.timeline.values_list("action", flat=True))[-2:] == ["suspend", "resume"]


def test_a_hold_needs_the_centres_approval_and_marks_the_event():
    event = event_in(S.IN_PROGRESS)
    move(event, "request_hold", "dept-transport", note="汛期无法施工")
    assert event.status == S.IN_PROGRESS
    assert "request_hold" not in allowed_for(event, get_user("dept-transport"))

    move(event, "approve_hold", "center", note="同意缓办")

    assert event.status == S.ON_HOLD and event.was_on_hold
    assert event.requests.get().status == Request.Status.APPROVED
    assert all(d.paused_at for d in deadlines.open_deadlines(event))
    move(event, "resume", "dept-transport")
    assert event.status == S.IN_PROGRESS and event.was_on_hold


def test_an_approved_extension_moves_the_resolution_deadline():
    event = event_in(S.SIGNED)
    new_due = event.resolve_due_at + dt.timedelta(days=3)
    move(event, "request_extension", "dept-transport", note="需调集机械", due_at=new_due)
    assert event.resolve_due_at != new_due

    move(event, "approve_extension", "center", note="同意")

    assert event.resolve_due_at == new_due and event.extension_count == 1
    [deadline] = deadlines.open_deadlines(event, "resolve")
    assert deadline.due_at == new_due
    request = event.requests.get()
    assert (request.status, request.decided_by) == (Request.Status.APPROVED, get_user("center"))


def test_a_refused_extension_keeps_the_deadline():
    event = event_in(S.SIGNED)
    due = event.resolve_due_at
    move(
        event,
        "request_extension",
        "dept-transport",
        note="需调集机械",
        due_at=due + dt.timedelta(days=3),
    )
    move(event, "refuse_request", "center", note="险情紧急，不同意延期")
    assert event.resolve_due_at == due and event.extension_count == 0
    assert event.requests.get().status == Request.Status.REFUSED
    assert "approve_extension" not in allowed_for(event, get_user("center"))


def test_an_extension_must_ask_for_a_later_deadline():
    event = event_in(S.SIGNED)
    with pytest.raises(ValidationError) as info:
        move(
            event,
            "request_extension",
            "dept-transport",
            note="需调集机械",
            due_at=event.resolve_due_at - dt.timedelta(hours=1),
        )
    assert "due_at" in info.value.message_dict
    assert not event.requests.exists()


def test_a_dissatisfied_reporter_may_reopen_once_and_not_twice():
    event = event_in(S.CLOSED)
    assert "reopen" not in allowed_for(event, get_user("resident01"))
    move(event, "rate", "resident01", rating=Event.Rating.DISSATISFIED, note="没修好")

    move(event, "reopen", "resident01", note="挡墙又出现新裂缝")

    assert event.status == S.DISPATCHED and event.reopen_count == 1
    assert event.department.code == TRANSPORT and event.rating == ""
    for action, username, fields in [
        ("sign", "dept-transport", {}),
        ("resolve", "dept-transport", {"note": "再次处置", "photos": [png_upload()]}),
        ("verify", "grid01", {}),
        ("rate", "resident01", {"rating": Event.Rating.DISSATISFIED}),
    ]:
        move(event, action, username, **fields)
    with pytest.raises(IllegalTransition) as info:
        move(event, "reopen", "resident01", note="还是没修好")
    assert info.value.allowed == ["message"]
    assert event.status == S.CLOSED and event.reopen_count == 1


def test_a_satisfied_rating_cannot_be_given_twice():
    event = event_in(S.CLOSED)
    move(event, "rate", "resident01", rating=Event.Rating.SATISFIED)
    assert event.rating == Event.Rating.SATISFIED and event.rated_at
    with pytest.raises(IllegalTransition):
        move(event, "rate", "resident01", rating=Event.Rating.BASIC)


def test_each_failed_verification_counts_as_rework():
    event = event_in(S.RESOLVED)
    move(event, "rework", "grid01", note="仍有危石")
    assert (event.status, event.rework_count, event.resolved_at) == (S.IN_PROGRESS, 1, None)
    move(event, "resolve", "dept-transport", note="已清理", photos=[png_upload()])
    move(event, "rework", "center", note="警示牌未设置")
    assert event.rework_count == 2
    [deadline] = deadlines.open_deadlines(event, "resolve")
    assert deadline.due_at == event.resolve_due_at


def test_a_returned_event_goes_back_to_the_centre_without_a_department():
    event = event_in(S.SIGNED)
    move(event, "return", "dept-transport", note="不属于本部门职责")
    assert event.status == S.REPORTED and event.department is None
    assert event.return_count == 1 and event.first_department.code == TRANSPORT
    assert (event.sign_due_at, event.resolve_due_at) == (None, None)
    assert not deadlines.open_deadlines(event).exists()
    assert not event.assignments.filter(ended_at__isnull=True).exists()

    make_handler("dept-resources", OTHER_DEPARTMENT)
    move(event, "dispatch", "center", department=OTHER_DEPARTMENT)
    move(event, "return", "dept-resources", note="也不属于本部门")
    assert event.return_count == 2 and event.first_department.code == TRANSPORT


def test_reassigning_hands_the_event_to_the_new_department_with_fresh_deadlines():
    event = event_in(S.SIGNED)
    move(event, "reassign", "center", department=OTHER_DEPARTMENT, note="改派")
    assert event.status == S.DISPATCHED and event.department.code == OTHER_DEPARTMENT
    assert event.signed_at is None
    assert list(
        event.assignments.filter(ended_at__isnull=True).values_list("department__code", "role")
    ) == [(OTHER_DEPARTMENT, "lead")]
    assert "sign" not in allowed_for(event, get_user("dept-transport"))


def test_escalation_goes_to_the_township_centre_then_to_the_county_centre():
    event = event_in(S.SIGNED)
    move(event, "escalate", "grid01", note="需要多部门联动")
    assert event.escalated_to.code == "513999001-center"
    assert event.supervision == Event.Supervision.NORMAL
    move(event, "escalate", "dept-transport", note="镇级协调不了")
    assert event.escalated_to.code == "513999-center"
    with pytest.raises(ValidationError) as info:
        move(event, "escalate", "center", note="再次吹哨")
    assert "level" in info.value.message_dict
    event.refresh_from_db()
    assert event.escalated_to.code == "513999-center"
    assert [e.data["level"] for e in event.timeline.filter(action="escalate")] == [
        "township",
        "county",
    ]


def test_summoned_departments_sign_for_and_finish_their_own_part():
    event = event_in(S.SIGNED)
    move(event, "summon", "center", departments=[HOUSING, OTHER_DEPARTMENT], note="联合处置")
    housing = event.assignments.get(department__code=HOUSING)
    assert housing.role == "assist" and housing.signed_at is None
    assert queries.roles_in(get_user("dept-housing"), event) == {queries.ASSISTING}

    move(event, "assist_sign", "dept-housing", note="住建局已签收")
    with pytest.raises(IllegalTransition):
        move(event, "assist_sign", "dept-housing")
    move(event, "assist_done", "dept-housing", note="房屋安全排查完毕")

    housing.refresh_from_db()
    assert housing.signed_at and housing.done_at and housing.note == "房屋安全排查完毕"
    resources = event.assignments.get(department__code=OTHER_DEPARTMENT)
    assert resources.signed_at is None and resources.done_at is None
    assert event.status == S.SIGNED
    with pytest.raises(ValidationError):
        move(event, "summon", "center", departments=[HOUSING])


def test_every_move_of_the_table_has_its_handler_and_its_label():
    from pingan.events import services  # noqa: F401 - registers the handlers
    from pingan.events.transitions import WORKFLOW

    names = {name for moves in TRANSITIONS.values() for name in moves}
    assert names == set(WORKFLOW.handlers)
    assert all(WORKFLOW.moves[name].label for name in names)
