"""The admin: channels with a test message, and the notification log with filters and retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pingan.notify.models import Channel, Delivery, DeliveryAttempt, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(grid_of, robot_server):
    """Create a sent and a failed delivery on a WeCom robot channel of grid01's grid."""
    channel = Channel.objects.create(
        name="网格一群",
        kind=Channel.Kind.WECOM_ROBOT,
        grid=grid_of("grid01"),
        webhook_url=robot_server.url("/ok?key=abcdef"),
    )
    sent = Delivery.objects.create(
        channel=channel, target=channel.target, payload={"title": "已发送"}, status="sent"
    )
    failed = Delivery.objects.create(
        channel=channel,
        target=channel.target,
        payload={"title": "失败了"},
        status="failed",
        attempts=5,
        last_error="HTTP 500 Internal Server Error",
    )
    DeliveryAttempt.objects.create(
        delivery=failed, number=5, at=failed.created_at, status="failed", http_status=500
    )
    return channel, sent, failed


@pytest.mark.parametrize("model", [Notification, Channel, Delivery], ids=lambda m: m.__name__)
def test_superuser_opens_each_list_and_the_change_pages(client_as, log, model, user):
    Notification.objects.create(recipient=user("grid01"), template="t", title="T")
    client = client_as("admin")
    opts = model._meta
    assert client.get(reverse(f"admin:notify_{opts.model_name}_changelist")).status_code == 200
    obj = model.objects.first()
    url = reverse(f"admin:notify_{opts.model_name}_change", args=[obj.pk])
    assert client.get(url).status_code == 200


def test_the_notification_log_filters_by_status_kind_and_search(client_as, log):
    _channel, sent, failed = log
    client = client_as("admin")
    url = reverse("admin:notify_delivery_changelist")

    failed_only = client.get(url, {"status__exact": "failed"}).context["cl"].result_list
    assert list(failed_only) == [failed]
    by_kind = client.get(url, {"channel__kind__exact": "wecom_robot"}).context["cl"].result_list
    assert set(by_kind) == {sent, failed}
    searched = client.get(url, {"q": "Internal Server"}).context["cl"].result_list
    assert list(searched) == [failed]


def test_the_log_shows_the_masked_target_and_the_attempts(client_as, log):
    _channel, _sent, failed = log
    client = client_as("admin")
    html = client.get(reverse("admin:notify_delivery_change", args=[failed.pk])).content.decode()
    assert "abcd****" in html
    assert "abcdef" not in html.replace("abcd****", "")
    assert "HTTP 500 Internal Server Error" in html


def test_retry_now_action_sends_a_failed_delivery_again(
    client_as, log, robot_server, django_capture_on_commit_callbacks
):
    _channel, sent, failed = log
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("admin").post(
            reverse("admin:notify_delivery_changelist"),
            {"action": "retry_now", "_selected_action": [sent.pk, failed.pk]},
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.SENT
    assert failed.attempt_log.count() == 2
    assert len(robot_server.requests) == 1  # the sent one was left alone


def test_send_test_message_action_reaches_the_robot(
    client_as, log, robot_server, django_capture_on_commit_callbacks
):
    channel, _sent, _failed = log
    with django_capture_on_commit_callbacks(execute=True):
        client_as("admin").post(
            reverse("admin:notify_channel_changelist"),
            {"action": "send_test_message", "_selected_action": [channel.pk]},
        )
    [received] = robot_server.requests
    assert received.body["markdown"]["content"].startswith("**【测试消息】")
    assert Delivery.objects.filter(template="test_message", status="sent").count() == 1


def test_township_staff_see_only_channels_of_their_area(client_as, user, grid_of, log):
    from django.contrib.auth.models import Permission

    Channel.objects.create(
        name="别的乡镇", kind=Channel.Kind.EMAIL, grid=grid_of("grid02"), email="x@example.org"
    )
    town01 = user("town01")
    town01.is_staff = True
    town01.save(update_fields=["is_staff"])
    town01.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_channel", "view_delivery"])
    )
    client = client_as("town01")
    channels = client.get(reverse("admin:notify_channel_changelist")).context["cl"].result_list
    assert [c.name for c in channels] == ["网格一群"]
    deliveries = client.get(reverse("admin:notify_delivery_changelist")).context["cl"]
    assert deliveries.result_count == 2
