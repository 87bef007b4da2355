from __future__ import annotations

from pingan.accounts.scope import scope_for


def scope(request) -> dict:
    """Put the user's scope in every template (menus show what the user may open)."""
    return {"scope": scope_for(getattr(request, "user", None))}
