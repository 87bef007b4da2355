"""Two-factor login for the roles that must have it (等保三级)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from pingan.accounts.scope import scope_for

# Pages a signed-in user may open before completing two-factor login.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/api/", "/favicon.ico")


def needs_two_factor(user) -> bool:
    """Return whether ``user`` must use a second factor under the current settings."""
    if not settings.PINGAN_REQUIRE_2FA or not user.is_authenticated:
        return False
    return user.is_superuser or scope_for(user).has_role(*settings.PINGAN_2FA_ROLES)


class RequireTwoFactorMiddleware:
    """Send users who must use 2FA, and have not, to enrol or to enter their code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and needs_two_factor(user)
            and not user.is_verified()
        ):
            return redirect(reverse("accounts:otp_setup") + "?next=" + request.path)
        return self.get_response(request)
