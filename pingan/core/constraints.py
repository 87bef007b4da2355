"""Small builders for model constraints used in several apps."""

from __future__ import annotations

from django.db.models import Q


def exactly_one_set(*fields: str) -> Q:
    """Return a condition true when exactly one of the nullable ``fields`` is set."""
    q = Q()
    for chosen in fields:
        q |= Q(**{f"{field}__isnull": field != chosen for field in fields})
    return q
