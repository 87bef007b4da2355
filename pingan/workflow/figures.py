"""Figures of the workflow kit that count every workflow at once: missed deadlines (追责).

``accountability_counts(region=…, start=…, end=…)`` answers how many missed deadlines were held
against departments, in all and by kind; pages pass ``records=`` (a visible, filtered queryset).
The cockpit and assessment call it rather than counting the table themselves.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet

from pingan.workflow.models import AccountabilityRecord


def accountability_counts(
    *,
    region=None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    department=None,
    records: QuerySet[AccountabilityRecord] | None = None,
) -> dict[str, int]:
    """Return ``{"records": n, <kind>: n, …}`` of the records recorded in [start, end).

    ``region`` keeps departments under it; ``department`` one department.
    """
    qs = records if records is not None else AccountabilityRecord.objects.all()
    if region is not None:
        qs = qs.filter(department__region__path__startswith=region.path)
    if department is not None:
        qs = qs.filter(department=department)
    if start is not None:
        qs = qs.filter(recorded_at__gte=start)
    if end is not None:
        qs = qs.filter(recorded_at__lt=end)
    counts = {kind: 0 for kind in AccountabilityRecord.Kind.values}
    rows = qs.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    counts.update(rows)
    counts["records"] = sum(counts.values())
    return counts
