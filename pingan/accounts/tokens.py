"""API tokens: issue (hashed, with a lifetime), look up, touch, and revoke.

A token is issued by ``POST /api/v1/auth/token``; it lasts ``PINGAN_TOKEN_DAYS`` days, and is
revoked by its owner (tokens page or API), by a password change and by deactivation
(signals in ``pingan.accounts.signals``). Signing out of the web session does not revoke the
API tokens: they belong to other programs (scripts, the phone app), not to the session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pingan.accounts.models import ApiToken, User

PREFIX_LENGTH = 8
# Writing the last use on every request would make each call one more UPDATE.
TOUCH_EVERY = dt.timedelta(minutes=1)
# A script that signs in on every run must not pile up live tokens without end.
MAX_LIVE_TOKENS = 20


def hash_key(key: str) -> str:
    """Return the SHA-256 (hex) under which ``key`` is stored (keys are random: no salt needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user: User, *, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it and its key, which is not stored anywhere."""
    key = secrets.token_hex(20)
    now = timezone.now()
    client, address = "", None
    if request is not None:
        client = request.META.get("HTTP_USER_AGENT", "")[:200]
        address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
        token = ApiToken.objects.create(
            user=user,
            prefix=key[:PREFIX_LENGTH],
            digest=hash_key(key),
            expires_at=now + dt.timedelta(days=settings.PINGAN_TOKEN_DAYS),
            client=client,
            address=address or None,
        )
        surplus = ApiToken.objects.filter(user=user).values_list("pk", flat=True)[MAX_LIVE_TOKENS:]
        ApiToken.objects.filter(pk__in=list(surplus)).delete()
    return token, key


def token_for_key(key: str) -> ApiToken | None:
    """Return the live token whose key is ``key``, with its user, or None."""
    if not key or len(key) > 100:
        return None
    return ApiToken.objects.live().select_related("user").filter(digest=hash_key(key)).first()


def touch(token: ApiToken) -> None:
    """Record that ``token`` was used now (at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def revoke_token(token: ApiToken) -> None:
    """Revoke one token: it stops working at once."""
    ApiToken.objects.filter(pk=token.pk).delete()


def revoke_all_tokens(user: User) -> int:
    """Revoke every token of ``user``; return how many there were."""
    count, _ = ApiToken.objects.filter(user=user).delete()
    return count
