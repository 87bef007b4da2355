"""Intake systems: sensors and other platforms that report events through the API with a key.

A system files its reports under its own account (``system-<name>``: no password, no role
membership), so its reports carry the channel ``system``, are idempotent per system on their
client key, and are visible to the system as their reporter. The key is shown once, when it
is made; the database keeps its SHA-256 and its first characters (to find it, and to tell
keys apart in the admin).
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from pingan.events.models import IntakeSystem
from pingan.geo.models import Region

logger = logging.getLogger(__name__)

KEY_PREFIX = "pingan_"
PREFIX_LENGTH = 12
USERNAME_PREFIX = "system-"


def hash_key(key: str) -> str:
    """Return the SHA-256 (hex) under which ``key`` is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _username(name: str) -> str:
    User = get_user_model()
    base = USERNAME_PREFIX + (
        slugify(name)[:60] or slugify(name, allow_unicode=True)[:60] or "intake"
    )
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


@transaction.atomic
def create_system(name: str, region: Region, *, acting_user=None) -> tuple[IntakeSystem, str]:
    """Register an intake system for the county ``region``; return it and its key (shown once)."""
    User = get_user_model()
    user = User(username=_username(name), full_name=name[:50], is_active=True)
    user.set_unusable_password()
    user.save()
    key = _new_key()
    system = IntakeSystem.objects.create(
        name=name,
        user=user,
        region=region,
        key_prefix=key[:PREFIX_LENGTH],
        key_hash=hash_key(key),
    )
    logger.info(
        "intake system %s (%s) created by %s",
        system.pk,
        name,
        getattr(acting_user, "username", None) or "-",
    )
    return system, key


@transaction.atomic
def rotate_key(system: IntakeSystem, *, acting_user=None) -> str:
    """Give ``system`` a new key (the old one stops working at once); return the new key."""
    key = _new_key()
    system.key_prefix = key[:PREFIX_LENGTH]
    system.key_hash = hash_key(key)
    system.save(update_fields=["key_prefix", "key_hash"])
    logger.info(
        "intake system %s key rotated by %s",
        system.pk,
        getattr(acting_user, "username", None) or "-",
    )
    return key


def system_for_key(key: str) -> IntakeSystem | None:
    """Return the system whose key is ``key`` (active or not), or None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) <= PREFIX_LENGTH:
        return None
    digest = hash_key(key)
    candidates = IntakeSystem.objects.select_related("user").filter(key_prefix=key[:PREFIX_LENGTH])
    for system in candidates:
        if system.key_hash and secrets.compare_digest(system.key_hash, digest):
            return system
    return None
