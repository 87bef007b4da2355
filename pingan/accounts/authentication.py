"""``Authorization: Token <key>`` for the API: live tokens of active users not locked out."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

KEYWORD = "Token"

INVALID = _("Invalid or expired token. Ask for a new one at POST /api/v1/auth/token.")
INACTIVE = _("This account is deactivated.")
LOCKED = _(
    "Too many failed sign-in attempts for this account from your address: "
    "its tokens are refused from here for a while."
)


class TokenAuthentication(authentication.BaseAuthentication):
    """Authenticate by an API token (``pingan.accounts.tokens``); ``request.auth`` is the token."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Token <token>”.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(INVALID) from exc
        from pingan.accounts.tokens import token_for_key, touch

        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID)
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE)
        if settings.AXES_ENABLED and self._locked_out(request, user):
            raise exceptions.AuthenticationFailed(LOCKED)
        touch(token)
        return user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD

    @staticmethod
    def _locked_out(request, user) -> bool:
        """Return whether sign-in for ``user`` from this address is paused by the lock."""
        from axes.helpers import get_client_ip_address

        from pingan.accounts.lockout import is_paused

        return is_paused(user.get_username(), get_client_ip_address(request._request))
