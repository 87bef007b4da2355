"""Template tags of accounts: the sign-in pages' filters and the main menu."""

from __future__ import annotations

import datetime as dt
import math

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Return a duration in whole minutes, rounded up so "try again in N minutes" holds."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))


@register.simple_tag(takes_context=True)
def main_menu(context) -> list:
    """Return the main menu of the signed-in user (see ``pingan.accounts.menu``)."""
    from pingan.accounts.menu import menu_for
    from pingan.accounts.scope import scope_for

    request = context.get("request")
    return menu_for(scope_for(getattr(request, "user", None)))
