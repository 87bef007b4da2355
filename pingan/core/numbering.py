"""Human case numbers (一案一码): ``SJ-20260314-0007``, one counter per prefix and day."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone

from pingan.core.models import NumberSequence


def next_number(prefix: str, day: dt.date | None = None, *, width: int = 4) -> str:
    """Return the next number of ``prefix`` for ``day`` (Asia/Shanghai today by default).

    The counter row is incremented with an UPDATE, which holds its row lock until the caller's
    transaction ends: concurrent intakes queue for a moment and never share a number, and a
    rolled-back intake gives its number back.
    """
    day = day or timezone.localdate()
    key = f"{prefix}-{day:%Y%m%d}"
    with transaction.atomic(savepoint=False):
        last = _increment(key)
        if last is None:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(key=key, last=1)
                last = 1
            except IntegrityError:  # another intake created it meanwhile
                last = _increment(key)
    return f"{key}-{last:0{width}d}"


def _increment(key: str) -> int | None:
    """Add one to the counter ``key`` and return its new value; None if there is no counter."""
    db = router.db_for_write(NumberSequence)
    connection = connections[db]
    if not connection.features.can_return_rows_from_bulk_insert:
        # No UPDATE … RETURNING (SQLite before 3.35): increment, then read it back.
        if not NumberSequence.objects.using(db).filter(key=key).update(last=F("last") + 1):
            return None
        return NumberSequence.objects.using(db).values_list("last", flat=True).get(key=key)
    quote = connection.ops.quote_name
    meta = NumberSequence._meta
    table, last, key_column = (
        quote(meta.db_table),
        quote(meta.get_field("last").column),
        quote(meta.get_field("key").column),
    )
    # One statement instead of two: intake takes a number on every report.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {key_column} = %s RETURNING {last}",  # noqa: S608 -- quoted identifiers from the model, the value is a parameter
            [key],
        )
        row = cursor.fetchone()
    return row[0] if row else None
