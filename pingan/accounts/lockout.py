"""The sign-in throttle: django-axes with a lock an attacker cannot turn against the owner.

Three rules (see the README's security section):

- five wrong passwords for one username from one address pause that pair, not the username
  everywhere;
- many failures from one address across usernames (password spraying) pause the address, at
  a higher threshold (``PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT``) so an office behind one NAT
  address is not locked by a few typos;
- a lock lasts ``AXES_COOLOFF_TIME`` from the failure that set it: failures during the lock
  are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), and the owner
  can still get in with the right password and a valid code of their authenticator app.
"""

from __future__ import annotations

import hashlib
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest

ADDRESS_ONLY = "ip_address"


def client_address(request: HttpRequest) -> str | None:
    """Return the client's address: behind our proxy, the one it appended to X-Forwarded-For.

    Only the last entry is the proxy's own; earlier ones come from the client and can be made
    up. Without ``PINGAN_BEHIND_PROXY`` the header is ignored, for the same reason.
    """
    if settings.PINGAN_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass  # no header, or not an address: the proxy's own address it is
    return request.META.get("REMOTE_ADDR")


def _lock_key(username: str, address: str) -> str:
    return f"pingan:locked:{hashlib.sha256(f'{username}|{address}'.encode()).hexdigest()}"


@receiver(user_locked_out, dispatch_uid="accounts.lockout.remember_lock")
def remember_lock(sender, request=None, username=None, ip_address=None, **kwargs):
    """Remember in the cache that sign-in for (username, address) is paused.

    API tokens check this on every request; a cache look-up costs no query. ``add`` keeps the
    first expiry, so failures during the lock do not make tokens refused for longer.
    """
    if not username or not ip_address:
        return
    cool_off = get_cool_off(request)
    timeout = int(cool_off.total_seconds()) if cool_off else None
    cache.add(_lock_key(username, ip_address), True, timeout=timeout)


def is_paused(username: str, address: str | None) -> bool:
    """Return whether sign-in for ``username`` from ``address`` is paused by the lock."""
    return bool(address) and bool(cache.get(_lock_key(username, address)))


def forget_lock(username: str, address: str | None) -> None:
    """Forget the pause of (username, address), e.g. after the owner signed in with a code."""
    if address:
        cache.delete(_lock_key(username, address))


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with its own threshold for the address-only key."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Return the failures that count towards the lock, in units of the pair limit.

        Axes compares one number with one limit; the address's failures are scaled so that
        reaching ``PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT`` is the same as reaching the pair limit.
        """
        limit = get_failure_limit(request, credentials)
        address_limit = max(settings.PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT, 1)
        parameters = get_lockout_parameters(request, credentials)
        counts = []
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == ADDRESS_ONLY or parameter == [ADDRESS_ONLY]:
                failures = failures * limit // address_limit
            counts.append(failures)
        return max(counts, default=0)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Forget the failures of the user who signed in, from this address only.

        Axes would also delete every failure of the address, so one attacker's own account
        could wipe the spraying count, and one sign-in would unlock everyone behind a NAT.
        """
        from axes.helpers import get_client_username
        from axes.models import AccessAttempt

        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count

    def post_delete_access_attempt(self, instance, **kwargs) -> None:
        """Forget the pause with its failures: a sign-in, ``axes_reset`` or the admin."""
        forget_lock(instance.username, instance.ip_address)


def sign_in_despite_lock(request: HttpRequest, username: str, password: str, code: str):
    """Return the user if the password and their authenticator's code are both right.

    Used only while axes refuses the sign-in: it checks the password without axes (so the
    lock neither grows nor ends) and says nothing about which part was wrong. The password
    is checked before the code, so that strangers cannot throttle the owner's device.
    """
    code = (code or "").replace(" ", "").strip()
    if not username or not password or not code.isdigit():
        return None
    user = ModelBackend().authenticate(request, username=username, password=password)
    if user is None:
        return None
    from pingan.accounts.views import confirmed_device

    device = confirmed_device(user)
    if device is None:
        return None
    allowed, _detail = device.verify_is_allowed()
    if not allowed or not device.verify_token(code):
        return None
    user.backend = "django.contrib.auth.backends.ModelBackend"
    user.otp_device = device
    return user
