"""Put the signed-in user's unread notification count in every template (the navbar bell)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from pingan.notify.models import Notification


def notifications(request) -> dict:
    """Return ``notify_unread_count``, counted lazily: pages that never show it pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "notify_unread_count": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        )
    }
