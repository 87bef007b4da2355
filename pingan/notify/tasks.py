"""Send deliveries in the background, retry them with back-off and keep every attempt.

The logic lives in :func:`attempt_delivery`, a plain function tests can drive one attempt at a
time; the ``deliver`` task wraps it and schedules the next attempt. A delivery is claimed with
a conditional UPDATE before anything is sent, so two workers (or a scheduled retry and the
catch-up sweep) never send the same message twice, and no row lock is held while waiting on a
slow webhook.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pingan.notify import channels
from pingan.notify.models import Delivery, DeliveryAttempt

logger = logging.getLogger(__name__)

# A claimed delivery is not claimed again for this long beyond the webhook timeout; when a worker
# dies mid-send the catch-up sweep tries it again after that.
CLAIM_LEASE_SECONDS = 60
# Huey runs a scheduled task at its time or later; allow for clocks of different hosts.
EARLY_TOLERANCE_SECONDS = 2
# The sweep leaves deliveries alone until they are this late, so it does not race the queue.
SWEEP_GRACE_SECONDS = 60
SWEEP_BATCH = 500


def backoff_seconds(attempt: int) -> int:
    """Return the wait after failed attempt number ``attempt``: base × 2^(n-1), capped."""
    base = settings.PINGAN_NOTIFY_RETRY_SECONDS
    return int(min(base * 2 ** max(attempt - 1, 0), settings.PINGAN_NOTIFY_RETRY_MAX_SECONDS))


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.PINGAN_WEBHOOK_TIMEOUT + CLAIM_LEASE_SECONDS)
    due = Q(next_attempt_at__isnull=True) | Q(
        next_attempt_at__lte=now + timedelta(seconds=EARLY_TOLERANCE_SECONDS)
    )
    claimed = Delivery.objects.filter(
        due, pk=delivery_id, status__in=Delivery.OPEN_STATUSES
    ).update(attempts=F("attempts") + 1, next_attempt_at=lease)
    return bool(claimed)


def attempt_delivery(delivery_id: int) -> Delivery | None:
    """Make one attempt at sending a delivery if it is due; record it and plan the next one.

    A delivery that is already sent, failed for good, or not yet due is returned untouched.
    Return None when the delivery no longer exists.
    """
    if not _claim(delivery_id):
        return Delivery.objects.filter(pk=delivery_id).first()
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    channel = delivery.channel
    started_at = timezone.now()
    started = time.monotonic()
    error, http_status, give_up = "", None, False
    if not channel.is_enabled and delivery.template != "test_message":
        error, give_up = "the channel is disabled", True
    else:
        try:
            result = channels.send(channel, channels.Message.from_payload(delivery.payload))
            http_status = result.http_status
        except channels.SendError as exc:
            error, http_status = str(exc), exc.http_status
        except Exception as exc:
            # A bug in a sender must not kill the worker; record it like any failure.
            logger.exception("Delivery %s: unexpected error", delivery_id)
            error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery, started_at, duration_ms, error, http_status, give_up)


def _record(
    delivery: Delivery,
    started_at,
    duration_ms: int,
    error: str,
    http_status: int | None,
    give_up: bool,
) -> Delivery:
    now = timezone.now()
    number = delivery.attempts
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=started_at,
            status=DeliveryAttempt.Status.FAILED if error else DeliveryAttempt.Status.SENT,
            http_status=http_status,
            error=error[:2000],
            duration_ms=duration_ms,
        )
        if not error:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = now
            delivery.next_attempt_at = None
            delivery.last_error = ""
        elif give_up or number >= settings.PINGAN_NOTIFY_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = error[:2000]
            logger.warning(
                "Delivery %s to %s failed for good after %s attempts: %s",
                delivery.pk,
                delivery.target,
                number,
                error,
            )
        else:
            delivery.status = Delivery.Status.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(number))
            delivery.last_error = error[:2000]
        delivery.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error"])
    return delivery


@db_task()
def deliver(delivery_id: int) -> str | None:
    """Attempt a delivery; when it should be tried again, schedule that attempt."""
    delivery = attempt_delivery(delivery_id)
    if delivery is None:
        return None
    if delivery.status == Delivery.Status.RETRYING and delivery.next_attempt_at:
        delay = max((delivery.next_attempt_at - timezone.now()).total_seconds(), 1)
        deliver.schedule(args=(delivery_id,), delay=delay)
    return delivery.status


@db_periodic_task(crontab(minute="*"))
def requeue_due_deliveries() -> int:
    """Queue deliveries that are overdue: their task was lost, or their worker died mid-send."""
    cutoff = timezone.now() - timedelta(seconds=SWEEP_GRACE_SECONDS)
    due = list(
        Delivery.objects.filter(status__in=Delivery.OPEN_STATUSES)
        .filter(
            Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True, created_at__lte=cutoff)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        deliver(delivery_id)
    return len(due)
