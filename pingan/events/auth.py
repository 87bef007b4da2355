"""API-key authentication for intake systems: ``Authorization: Api-Key <key>`` or ``X-Api-Key``.

The request runs as the system's account, and ``request.auth`` is the ``IntakeSystem``.
A wrong key, or the key of a deactivated system, answers 401.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

KEYWORD = "Api-Key"
HEADER = "HTTP_X_API_KEY"
# Writing the last use on every request would make each report one more UPDATE.
TOUCH_EVERY = dt.timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate an intake system (sensor, other platform) by its API key."""

    def authenticate(self, request):
        key = self._key(request)
        if key is None:
            return None
        from pingan.events.systems import system_for_key

        system = system_for_key(key)
        if system is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not system.is_active or not system.user.is_active:
            raise exceptions.AuthenticationFailed(_("This intake system is deactivated."))
        self._touch(system)
        return system.user, system

    def authenticate_header(self, request) -> str:
        return KEYWORD

    @staticmethod
    def _key(request) -> str | None:
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == KEYWORD.lower().encode():
            if len(header) != 2:
                raise exceptions.AuthenticationFailed(
                    _("Send the key as “Authorization: Api-Key <key>”.")
                )
            try:
                return header[1].decode()
            except UnicodeError as exc:
                raise exceptions.AuthenticationFailed(_("Invalid API key.")) from exc
        key = request.META.get(HEADER, "").strip()
        return key or None

    @staticmethod
    def _touch(system) -> None:
        from django.db.models import Q

        from pingan.events.models import IntakeSystem

        now = timezone.now()
        if system.last_used_at is not None and now - system.last_used_at < TOUCH_EVERY:
            return
        IntakeSystem.objects.filter(pk=system.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
        ).update(last_used_at=now)
        system.last_used_at = now
