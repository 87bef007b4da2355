"""Database ids read from outside (a query string, a form, JSON): a number in range, or nothing.

An id beyond 64 bits (``?department=9223372036854775808``) is no row, but a lookup with it
crashes: SQLite raises OverflowError, PostgreSQL DataError. Django guards its own integer
lookups on a model's id, not those through a foreign key (``department_id=…``). Read every id
through :func:`as_id` or filter by :class:`IdFilter`, and such a value finds nothing.
"""

from __future__ import annotations

import django_filters
from django import forms

# The largest id a database holds (BigAutoField on PostgreSQL, INTEGER on SQLite).
MAX_ID = 2**63 - 1


def as_id(value: object) -> int | None:
    """Return ``value`` as an id (a whole number from 1 to MAX_ID), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


class IdField(forms.IntegerField):
    """A form field for an id: a whole number from 1 to MAX_ID, with the usual Chinese errors."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """Filter by an id (of the row or through a foreign key); out-of-range ids are a form error.

    The API answers such a filter 400 with the field's error, a page ignores it (and can show
    the error), as for any invalid filter.
    """

    field_class = IdField
