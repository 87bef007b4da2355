"""Human case numbers (一案一码): ``SJ-20260314-0007``, one counter per prefix and day."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
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
        if not NumberSequence.objects.filter(key=key).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(key=key, last=1)
            except IntegrityError:  # another intake created it meanwhile
                NumberSequence.objects.filter(key=key).update(last=F("last") + 1)
        last = NumberSequence.objects.values_list("last", flat=True).get(key=key)
    return f"{key}-{last:0{width}d}"
