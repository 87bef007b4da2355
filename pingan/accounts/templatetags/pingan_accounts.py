"""Template filters for the sign-in pages."""

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
