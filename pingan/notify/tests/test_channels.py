"""Messages leave on the channels of users, grids and departments, in the vendors' formats."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime

import pytest

from pingan.geo.models import Region
from pingan.notify.models import Channel, Delivery, DeliveryAttempt, Notification
from pingan.notify.services import notify

pytestmark = pytest.mark.django_db

# Stored in UTC, shown in Asia/Shanghai: 10:00 UTC is 18:00 in the message.
DEADLINE = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
CONTEXT = {"item": "SJ-20260314-0007 道路塌陷", "deadline": DEADLINE, "kind": "事件"}
TITLE = "【即将超期】SJ-20260314-0007 道路塌陷"
BODY = "类型：事件\n办理期限：2026-03-14 18:00，即将到期，请尽快办理。"
LINK = "http://127.0.0.1:8000/reminders/7/"


def send_warning(capture, **kwargs):
    with capture(execute=True):
        return notify(template="deadline_warning", context=CONTEXT, url="/reminders/7/", **kwargs)


def test_wecom_robot_of_a_grid_receives_the_documented_markdown_message(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    channel = Channel.objects.create(
        name="网格一群",
        kind=Channel.Kind.WECOM_ROBOT,
        grid=grid,
        webhook_url=robot_server.url("/wecom/cgi-bin/webhook/send?key=693axxx6-7aoc-4bc4"),
    )

    send_warning(django_capture_on_commit_callbacks, units=[grid])

    [received] = robot_server.requests
    assert received.path == "/wecom/cgi-bin/webhook/send"
    assert received.query == {"key": ["693axxx6-7aoc-4bc4"]}
    assert received.headers["Content-Type"].startswith("application/json")
    assert received.body == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{TITLE}**\n{BODY}\n[查看详情]({LINK})"},
    }
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.sent_at is not None
    assert delivery.notification is None  # a unit's robot: no inbox row
    assert "693a****" in delivery.target and "7aoc" not in delivery.target
    [attempt] = delivery.attempt_log.all()
    assert (attempt.number, attempt.status, attempt.http_status) == (1, "sent", 200)


def test_dingtalk_robot_without_secret_receives_the_markdown_message_unsigned(
    robot_server, department, django_capture_on_commit_callbacks
):
    Channel.objects.create(
        name="交通运输局钉钉群",
        kind=Channel.Kind.DINGTALK_ROBOT,
        department=department,
        webhook_url=robot_server.url("/dingtalk/robot/send?access_token=tok123"),
    )

    send_warning(django_capture_on_commit_callbacks, units=[department])

    [received] = robot_server.requests
    assert received.query == {"access_token": ["tok123"]}
    assert received.body == {
        "msgtype": "markdown",
        "markdown": {"title": TITLE, "text": f"#### {TITLE}\n\n{BODY}\n\n[查看详情]({LINK})"},
    }


def test_dingtalk_robot_with_secret_gets_a_timestamp_and_a_valid_signature(
    robot_server, department, django_capture_on_commit_callbacks
):
    secret = "SEC0123456789abcdef+/="
    Channel.objects.create(
        name="加签机器人",
        kind=Channel.Kind.DINGTALK_ROBOT,
        department=department,
        webhook_url=robot_server.url("/dingtalk/robot/send?access_token=tok123"),
        secret=secret,
    )
    before = int(time.time() * 1000)

    send_warning(django_capture_on_commit_callbacks, units=[department])

    [received] = robot_server.requests
    assert received.query["access_token"] == ["tok123"]
    [timestamp] = received.query["timestamp"]
    [sign] = received.query["sign"]  # parse_qs undid the URL encoding
    assert before <= int(timestamp) <= int(time.time() * 1000)
    expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(sign) == expected
    assert received.body["markdown"]["title"] == TITLE


def test_a_robot_answering_a_nonzero_errcode_is_a_failed_attempt(
    robot_server, department, django_capture_on_commit_callbacks
):
    Channel.objects.create(
        name="签名错误",
        kind=Channel.Kind.DINGTALK_ROBOT,
        department=department,
        webhook_url=robot_server.url("/errcode/robot/send?access_token=x"),
    )

    send_warning(django_capture_on_commit_callbacks, units=[department])

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "310000" in delivery.last_error
    assert delivery.attempt_log.get().http_status == 200


def test_an_answer_that_is_not_json_is_a_failed_attempt(
    robot_server, department, django_capture_on_commit_callbacks
):
    Channel.objects.create(
        name="坏网关",
        kind=Channel.Kind.WECOM_ROBOT,
        department=department,
        webhook_url=robot_server.url("/notjson?key=x"),
    )
    send_warning(django_capture_on_commit_callbacks, units=[department])
    assert "not JSON" in Delivery.objects.get().last_error


def test_users_get_an_inbox_message_and_their_email_channel_a_mail(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    grid01 = user("grid01")
    Channel.objects.create(
        name="grid01 mail", kind=Channel.Kind.EMAIL, user=grid01, email="grid01@example.org"
    )

    [notification] = send_warning(django_capture_on_commit_callbacks, users=[grid01])

    assert notification.recipient == grid01
    assert (notification.title, notification.body) == (TITLE, BODY)
    assert notification.url == "/reminders/7/"
    [mail] = mailoutbox
    assert mail.subject == TITLE
    assert mail.to == ["grid01@example.org"]
    assert mail.body == f"{BODY}\n\n查看：{LINK}"
    delivery = Delivery.objects.get()
    assert delivery.notification == notification
    assert delivery.status == Delivery.Status.SENT
    assert delivery.target == "gr***@example.org"


def test_sms_logging_backend_logs_the_text_with_the_phone_masked(
    user, caplog, django_capture_on_commit_callbacks
):
    grid01 = user("grid01")
    Channel.objects.create(name="短信", kind=Channel.Kind.SMS, user=grid01, phone="13812345678")

    with caplog.at_level(logging.INFO, logger="pingan.notify.channels"):
        send_warning(django_capture_on_commit_callbacks, users=[grid01])

    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert "138****5678" in caplog.text
    assert TITLE in caplog.text
    assert f"\n查看：{LINK}" in caplog.text  # the link is labelled, never a bare line
    assert "13812345678" not in caplog.text


def test_disabled_channels_and_other_units_channels_get_nothing(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid01, grid02 = grid_of("grid01"), grid_of("grid02")
    Channel.objects.create(
        name="停用",
        kind=Channel.Kind.WECOM_ROBOT,
        grid=grid01,
        webhook_url=robot_server.url("/ok?key=a"),
        is_enabled=False,
    )
    Channel.objects.create(
        name="别的网格",
        kind=Channel.Kind.WECOM_ROBOT,
        grid=grid02,
        webhook_url=robot_server.url("/ok?key=b"),
    )

    send_warning(django_capture_on_commit_callbacks, units=[grid01])

    assert robot_server.requests == []
    assert not Delivery.objects.exists()


def test_every_message_template_renders_a_chinese_title_and_body():
    from pingan.notify.services import render_message

    for template in ("deadline_warning", "deadline_overdue", "reminder_due", "test_message"):
        title, body = render_message(template, {**CONTEXT, "url": LINK})
        assert title.startswith("【"), template
        assert body, template
    assert render_message("deadline_overdue", CONTEXT)[0] == "【已超期】SJ-20260314-0007 道路塌陷"


def test_messages_are_plain_text_not_html_escaped():
    from pingan.notify.services import render_message

    title, _body = render_message("reminder_due", {"item": "A & B <村>", "deadline": None})
    assert title == "【提醒】A & B <村>"


def test_units_other_than_grids_and_departments_are_refused():
    with pytest.raises(TypeError):
        notify(units=[Region.objects.first()], template="reminder_due", context=CONTEXT)
    assert not Notification.objects.exists()


def test_a_delivery_attempt_row_is_kept_for_each_try(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    Channel.objects.create(
        name="ok", kind=Channel.Kind.WECOM_ROBOT, grid=grid, webhook_url=robot_server.url("/ok")
    )
    send_warning(django_capture_on_commit_callbacks, units=[grid])
    assert DeliveryAttempt.objects.count() == 1


def test_no_message_template_puts_a_bare_link_line_in_the_body():
    """The link travels beside the text (inbox link, robot button, "查看：" line), not in it."""
    from pingan.notify.models import TEMPLATE_LABELS
    from pingan.notify.services import render_message

    context = {**CONTEXT, "url": LINK, "headline": "已派遣", "status": "已派遣", "note": "请处理"}
    for template in TEMPLATE_LABELS:
        title, body = render_message(template, context)
        assert LINK not in title and LINK not in body, template
