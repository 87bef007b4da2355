from __future__ import annotations

from django.conf import settings


def pingan(request) -> dict:
    """Put the site settings every page may need in every template."""
    return {
        "PINGAN_MAP_TILE_URL": settings.PINGAN_MAP_TILE_URL,
        "PINGAN_MAP_TILE_ATTRIBUTION": settings.PINGAN_MAP_TILE_ATTRIBUTION,
    }
