from __future__ import annotations

from django.conf import settings

from pingan.accounts.scope import scope_for


def pingan(request) -> dict:
    """Put the user's scope and site settings in every template."""
    user = getattr(request, "user", None)
    return {
        "scope": scope_for(user),
        "PINGAN_MAP_TILE_URL": settings.PINGAN_MAP_TILE_URL,
        "PINGAN_MAP_TILE_ATTRIBUTION": settings.PINGAN_MAP_TILE_ATTRIBUTION,
    }
