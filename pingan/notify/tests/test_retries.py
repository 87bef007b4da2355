"""Failed deliveries are retried with back-off, then kept as failed; the business goes on."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone, translation
from huey.contrib.djhuey import HUEY

from pingan.accounts.models import User
from pingan.notify import services
from pingan.notify.models import Channel, Delivery, Notification
from pingan.notify.tasks import attempt_delivery, backoff_seconds, deliver, requeue_due_deliveries

pytestmark = pytest.mark.django_db

CONTEXT = {"item": "测试事项", "deadline": timezone.now(), "kind": "事件"}


def robot(grid, url: str, **kwargs) -> Channel:
    return Channel.objects.create(
        name="群机器人", kind=Channel.Kind.WECOM_ROBOT, grid=grid, webhook_url=url, **kwargs
    )


def make_due(delivery: Delivery) -> None:
    """Move the next attempt into the past, as if the back-off had elapsed."""
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def scheduled_deliveries() -> list:
    return [task for task in HUEY.scheduled() if task.name.endswith("deliver")]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/robot?key=x"


def test_backoff_doubles_from_thirty_seconds_and_is_capped():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(30) == 3600


@override_settings(PINGAN_NOTIFY_MAX_ATTEMPTS=3)
def test_an_endpoint_answering_500_is_retried_with_backoff_then_marked_failed(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    robot(grid, robot_server.url("/status500/send?key=abc"))

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(units=[grid], template="deadline_warning", context=CONTEXT)

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("HTTP 500")
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 25 < wait <= 30
    # The task scheduled its own retry instead of looping synchronously.
    [retry] = scheduled_deliveries()
    assert retry.args == (delivery.pk,)

    # Not due yet: a premature run (a duplicate task, the sweep) changes nothing.
    assert attempt_delivery(delivery.pk).attempts == 1
    assert len(robot_server.requests) == 1

    make_due(delivery)
    delivery = attempt_delivery(delivery.pk)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, 2)
    assert 55 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 60

    make_due(delivery)
    delivery = attempt_delivery(delivery.pk)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert len(robot_server.requests) == 3
    attempts = list(delivery.attempt_log.values_list("number", "status", "http_status"))
    assert attempts == [(1, "failed", 500), (2, "failed", 500), (3, "failed", 500)]

    # A failed delivery is kept and never sent again by a stray task.
    make_due(delivery)
    deliver.call_local(delivery.pk)
    assert len(robot_server.requests) == 3


@override_settings(PINGAN_WEBHOOK_TIMEOUT=0.3)
def test_an_endpoint_that_times_out_is_a_recorded_failure(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    robot_server.slow_seconds = 1.5
    grid = grid_of("grid01")
    robot(grid, robot_server.url("/slow/send?key=abc"))

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(units=[grid], template="deadline_warning", context=CONTEXT)

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "timed out" in delivery.last_error
    attempt = delivery.attempt_log.get()
    assert attempt.status == "failed"
    assert attempt.http_status is None
    assert attempt.duration_ms < 1500


def test_a_broken_channel_does_not_block_or_roll_back_the_business_transaction(
    grid_of, user, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    robot(grid, closed_port_url())
    grid01 = user("grid01")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        # The caller's own business row, written in the same transaction.
        User.objects.create_user("business-row", password="x")
        notifications = services.notify(
            users=[grid01], units=[grid], template="deadline_overdue", context=CONTEXT
        )

    assert User.objects.filter(username="business-row").exists()
    assert Notification.objects.filter(pk=notifications[0].pk, recipient=grid01).exists()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "cannot connect" in delivery.last_error


def test_a_database_error_in_notify_leaves_the_callers_transaction_usable(
    grid_of, user, monkeypatch
):
    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Notification.objects, "bulk_create", refuse)
    with transaction.atomic():
        User.objects.create_user("business-row", password="x")
        assert services.notify(users=[user("grid01")], template="reminder_due", context={}) == []
        # Still usable: the savepoint was rolled back, not the caller's transaction.
        assert User.objects.filter(username="business-row").exists()


def test_nothing_is_sent_before_the_transaction_commits(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    robot(grid, robot_server.url("/ok?key=a"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(units=[grid], template="reminder_due", context=CONTEXT)
    assert robot_server.requests == []
    assert len(callbacks) == 1
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_a_sent_delivery_is_not_sent_again(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    robot(grid, robot_server.url("/ok?key=a"))
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(units=[grid], template="reminder_due", context=CONTEXT)
    delivery = Delivery.objects.get()

    deliver.call_local(delivery.pk)
    deliver.call_local(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
    assert len(robot_server.requests) == 1


def test_the_sweep_sends_deliveries_whose_task_was_lost(robot_server, grid_of):
    grid = grid_of("grid01")
    channel = robot(grid, robot_server.url("/ok?key=a"))
    lost = Delivery.objects.create(channel=channel, target="x", payload={"title": "T"})
    Delivery.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh = Delivery.objects.create(channel=channel, target="x", payload={"title": "T"})

    assert requeue_due_deliveries.call_local() == 1

    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == Delivery.Status.SENT
    assert fresh.status == Delivery.Status.PENDING  # its own task is still on the way
    assert robot_server.requests[0].body["markdown"]["content"] == "**T**"


def test_retry_now_gives_a_failed_delivery_one_more_attempt(
    robot_server, grid_of, django_capture_on_commit_callbacks
):
    grid = grid_of("grid01")
    channel = robot(grid, robot_server.url("/ok?key=a"))
    failed = Delivery.objects.create(
        channel=channel,
        target="x",
        payload={"title": "T"},
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="HTTP 500",
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_delivery(failed)

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (Delivery.Status.SENT, 6, "")


def test_a_disabled_channel_fails_its_queued_delivery_without_sending(robot_server, grid_of):
    grid = grid_of("grid01")
    channel = robot(grid, robot_server.url("/ok?key=a"), is_enabled=False)
    delivery = Delivery.objects.create(channel=channel, target="x", payload={"title": "T"})
    assert attempt_delivery(delivery.pk).status == Delivery.Status.FAILED
    assert robot_server.requests == []


# --- channel validation ----------------------------------------------------------------------


def test_a_webhook_url_that_is_not_http_is_a_field_error(grid_of):
    channel = Channel(name="x", kind=Channel.Kind.WECOM_ROBOT, grid=grid_of("grid01"))
    channel.webhook_url = "ftp://x"
    with pytest.raises(ValidationError) as exc:
        channel.full_clean()
    assert "webhook_url" in exc.value.message_dict
    assert "http" in exc.value.message_dict["webhook_url"][0]


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (Channel.Kind.WECOM_ROBOT, "webhook_url"),
        (Channel.Kind.DINGTALK_ROBOT, "webhook_url"),
        (Channel.Kind.EMAIL, "email"),
        (Channel.Kind.SMS, "phone"),
    ],
)
def test_each_kind_needs_its_own_field(grid_of, kind, field):
    channel = Channel(name="x", kind=kind, grid=grid_of("grid01"))
    with pytest.raises(ValidationError) as exc:
        channel.full_clean()
    assert field in exc.value.message_dict


def test_a_channel_has_exactly_one_owner(grid_of, department):
    channel = Channel(
        name="x",
        kind=Channel.Kind.EMAIL,
        email="a@example.org",
        grid=grid_of("grid01"),
        department=department,
    )
    # The message is matched in English; the default language is Chinese.
    with translation.override("en"):
        with pytest.raises(ValidationError, match="exactly one"):
            channel.full_clean()
        channel.grid = channel.department = None
        with pytest.raises(ValidationError, match="exactly one"):
            channel.full_clean()


def test_the_admin_form_shows_the_webhook_error_next_to_the_field(client_as, grid_of):
    from django.urls import reverse

    response = client_as("admin").post(
        reverse("admin:notify_channel_add"),
        {
            "name": "坏地址",
            "kind": Channel.Kind.WECOM_ROBOT,
            "grid": grid_of("grid01").pk,
            "webhook_url": "ftp://x",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "webhook_url" in response.context["adminform"].form.errors
    assert not Channel.objects.exists()


def test_a_channel_added_after_a_message_gets_the_next_one(robot_server, grid_of):
    # Who owns a channel is cached per process; adding one must reach the very next message.
    grid = grid_of("grid01")
    services.notify(units=[grid], template="reminder_due", context=CONTEXT)
    assert not Delivery.objects.exists()
    robot(grid, robot_server.url("/ok?key=a"))
    services.notify(units=[grid], template="reminder_due", context=CONTEXT)
    assert Delivery.objects.filter(channel__grid=grid).count() == 1


def test_messages_sent_without_their_own_savepoint_fail_together_not_the_caller(
    grid_of, user, monkeypatch
):
    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Notification.objects, "bulk_create", refuse)
    grid01 = user("grid01")
    with transaction.atomic():
        User.objects.create_user("business-row", password="x")
        with transaction.atomic():
            for _ in range(2):
                sent = services.notify(
                    users=[grid01], template="reminder_due", context={}, savepoint=False
                )
                assert sent == []
        assert User.objects.filter(username="business-row").exists()
    assert User.objects.filter(username="business-row").exists()
