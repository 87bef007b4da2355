"""Every state change of notifications: send a message, mark read, retry a delivery.

``tell(item, headline, …)`` is what workflows call to tell people about one of their items; it
renders the workflow's notice (``notify/<notice_template>.txt``) and goes through ``notify()``,
which any app may call for other messages. ``notify()`` writes the inbox rows and the pending
deliveries in the caller's transaction (inside a savepoint, so a database error here cannot
poison the caller's transaction), and queues the sending only after the commit: a broken robot
or mail server can make a delivery fail, never the business action that caused it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.template import Context, engines
from django.utils import timezone, translation

from pingan.core.cache import TableCache
from pingan.core.transitions import workflow_for
from pingan.notify.channels import absolute_url
from pingan.notify.models import Channel, Delivery, Notification

logger = logging.getLogger(__name__)

MESSAGE_LANGUAGE = "zh-hans"


def _load_owners() -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    rows = list(Channel.objects.enabled().values_list("user_id", "grid_id", "department_id"))
    return tuple(frozenset(row[i] for row in rows if row[i]) for i in range(3))


# Who has an enabled channel (users, grids, departments): most messages go to nobody who has
# one, and then finding their channels would be a query for nothing.
OWNERS = TableCache("channel-owners", _load_owners).depends_on([Channel])


def render_message(template: str, context: dict) -> tuple[str, str]:
    """Render ``notify/<template>.txt`` in Chinese; return (first line, the rest)."""
    engine = engines["django"]
    compiled = engine.get_template(f"notify/{template}.txt").template
    with translation.override(MESSAGE_LANGUAGE):
        # Plain text for robots, e-mail and SMS: HTML escaping would show "&amp;" in a group chat.
        text = compiled.render(Context(context, autoescape=False))
    title, _newline, body = text.strip().partition("\n")
    return title.strip()[:200], body.strip()


def _split_units(units: Iterable) -> tuple[set[int], set[int]]:
    from pingan.accounts.models import Department
    from pingan.geo.models import Grid

    grid_ids: set[int] = set()
    department_ids: set[int] = set()
    for unit in units:
        if isinstance(unit, Grid):
            grid_ids.add(unit.pk)
        elif isinstance(unit, Department):
            department_ids.add(unit.pk)
        else:
            raise TypeError(f"notify() units are grids or departments, not {type(unit).__name__}")
    return grid_ids, department_ids


def notify(
    *,
    users: Iterable = (),
    units: Iterable = (),
    template: str,
    context: dict,
    url: str = "",
    acting_user=None,
    savepoint: bool = True,
) -> list[Notification]:
    """Put a message in each user's inbox and send it on the channels of the users and units.

    ``units`` are grids and departments: their own channels (group robots) get the message; their
    members do not get inbox rows unless they are among ``users``. The message is rendered from
    ``notify/<template>.txt`` (first line the title). Sending happens in tasks after the commit.
    Return the inbox notifications created (none when the database refused them).

    ``savepoint=False`` is for a caller that sends several messages inside its own savepoint
    (one round trip less each); a database error then drops all of them, never its own work.
    """
    grid_ids, department_ids = _split_units(units)
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    user_owners, grid_owners, department_owners = OWNERS.get()
    has_channels = bool(
        user_owners.intersection(recipients)
        or grid_owners.intersection(grid_ids)
        or department_owners.intersection(department_ids)
    )
    if not recipients and not has_channels:
        return []  # nobody to tell: units without a channel of their own
    link = absolute_url(url)
    title, body = render_message(template, {"url": link, **context})
    payload = {"title": title, "body": body, "url": link}
    try:
        with transaction.atomic(savepoint=savepoint):
            notifications = Notification.objects.bulk_create(
                [
                    Notification(
                        recipient=user,
                        actor=acting_user if getattr(acting_user, "pk", None) else None,
                        template=template,
                        title=title,
                        body=body,
                        url=url,
                    )
                    for user in recipients.values()
                ]
            )
            by_user = {n.recipient_id: n for n in notifications}
            channels = (
                Channel.objects.enabled().filter(
                    Q(user__in=recipients.keys())
                    | Q(grid__in=grid_ids)
                    | Q(department__in=department_ids)
                )
                if has_channels
                else []
            )
            deliveries = Delivery.objects.bulk_create(
                [
                    Delivery(
                        channel=channel,
                        notification=by_user.get(channel.user_id),
                        template=template,
                        target=channel.target,
                        payload=payload,
                    )
                    for channel in channels
                ]
            )
    except DatabaseError:
        # The savepoint rolled back only our rows; the caller's work goes on.
        logger.exception("Could not store the %r notification", template)
        return []
    queue_deliveries([d.pk for d in deliveries])
    return notifications


_held = threading.local()


@contextmanager
def held() -> Iterator[list]:
    """Hold what :func:`tell` is asked to send inside the block; send it with :func:`send_held`.

    Intake numbers a new item last (so the number's row lock is held as briefly as possible);
    messages held until then carry the number.
    """
    _held.messages = []
    try:
        yield _held.messages
    finally:
        _held.messages = None


def send_held(messages: list) -> None:
    """Send held messages, all in one savepoint: a failure loses them, never the caller's work."""
    if not messages:
        return
    with transaction.atomic():
        for item, headline, kwargs in messages:
            tell(item, headline, **kwargs, savepoint=False)


def tell(
    item: Any,
    headline: str,
    *,
    users: Iterable = (),
    units: Iterable = (),
    note: str = "",
    acting_user=None,
    savepoint: bool = True,
) -> None:
    """Tell ``users`` (never the actor) and ``units`` (their group robots) about ``item``.

    ``headline`` names the notice in the item's workflow: a move's headline or one of the
    workflow's own (``Workflow.headline``). The message shows the item, its status, its
    department (if it has one) and ``note``, with a link to the item; it is delivered after
    the commit, and a failure to store it never undoes the caller's work.
    """
    pending = getattr(_held, "messages", None)
    if pending is not None:
        pending.append(
            (
                item,
                headline,
                {
                    "users": list(users),
                    "units": list(units),
                    "note": note,
                    "acting_user": acting_user,
                },
            )
        )
        return
    recipients = [u for u in users if u is not None and u != acting_user]
    units = [u for u in units if u is not None]
    if not recipients and not units:
        return
    workflow = workflow_for(item)
    notify(
        users=recipients,
        units=units,
        template=workflow.notice_template,
        context={
            "headline": workflow.headline(headline),
            "item": item,
            "status": item.get_status_display(),
            "department": getattr(item, "department", None),
            "note": note,
        },
        url=item.get_absolute_url(),
        acting_user=acting_user,
        savepoint=savepoint,
    )


def send_test_message(channels: Iterable[Channel], *, acting_user=None) -> list[Delivery]:
    """Queue a test message to each of ``channels``, enabled or not (admins check the set-up)."""
    deliveries = []
    with transaction.atomic():
        for channel in channels:
            title, body = render_message(
                "test_message",
                {
                    "item": channel.name,
                    "kind": channel.get_kind_display(),
                    "channel": channel,
                    "sender": acting_user,
                    "deadline": timezone.now(),
                    "url": absolute_url("/"),
                },
            )
            deliveries.append(
                Delivery.objects.create(
                    channel=channel,
                    template="test_message",
                    target=channel.target,
                    payload={"title": title, "body": body, "url": absolute_url("/")},
                )
            )
    queue_deliveries([d.pk for d in deliveries])
    return deliveries


def retry_delivery(delivery: Delivery, *, acting_user=None) -> bool:
    """Give a failed delivery one more attempt now; return whether it was queued."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.RETRYING, next_attempt_at=timezone.now()
    )
    if updated:
        logger.info("Delivery %s retried by %s", delivery.pk, acting_user)
        queue_deliveries([delivery.pk])
    return bool(updated)


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Queue a ``deliver`` task for each delivery once the current transaction commits."""
    if delivery_ids:
        transaction.on_commit(partial(_enqueue, list(delivery_ids)), robust=True)


def _enqueue(delivery_ids: list[int]) -> None:
    from pingan.notify.tasks import deliver

    for delivery_id in delivery_ids:
        try:
            deliver(delivery_id)
        except Exception:
            # The queue is down (e.g. Redis); the periodic sweep picks the delivery up later.
            logger.exception("Could not queue delivery %s", delivery_id)


def mark_read(notification: Notification, user) -> bool:
    """Mark ``user``'s own notification read; return whether it was unread."""
    updated = Notification.objects.filter(
        pk=notification.pk, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())
    if updated:
        notification.read_at = timezone.now()
    return bool(updated)


def mark_all_read(user) -> int:
    """Mark every unread notification of ``user`` read; return how many there were."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
