"""Paging a list without counting the whole table: one LIMIT/OFFSET query, one row extra.

A :class:`Window` is one page of a list. It answers what Django's ``Page`` answers (so the
shared pager ``core/_pager.html`` shows either), with the total only when it came for free
(e.g. a count the page shows anyway); without it the pager offers "next" instead of page numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.http import HttpRequest

from pingan.core.ids import MAX_ID

PAGE_SIZE = 50


@dataclass
class Window:
    """One page of a list: its rows, and the total only when it came for free."""

    object_list: list
    number: int
    per_page: int
    has_next: bool
    total: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def paginator(self) -> Window:
        """Django's ``Page`` gives its pages and count through its paginator: so does a window."""
        return self

    @property
    def count(self) -> int | None:
        return self.total

    @property
    def num_pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0


def window(
    request: HttpRequest, qs, *, total: int | None = None, per_page: int | None = None
) -> Window:
    """Return the page ``?page=`` of ``qs`` with one LIMIT/OFFSET query (one row extra)."""
    per_page = per_page or PAGE_SIZE
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    # A page past what a database can skip to (?page=10**30) is just a page after the last.
    number = min(number, MAX_ID // per_page)
    if total is not None:
        number = min(number, max(1, math.ceil(total / per_page)))
    start = (number - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return Window(rows[:per_page], number, per_page, len(rows) > per_page, total)
