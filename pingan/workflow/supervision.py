"""The supervision ladder (普通 → 黄牌 → 红牌督办) and accountability (追责) for any workflow.

When an item misses a deadline, the workflow calls :meth:`Ladder.missed`: the item is put under
supervision (普通督办) at once, and a ``yellow`` deadline is opened
``PINGAN_SUPERVISION_YELLOW_HOURS`` after the miss. When the sweep fires it, the workflow's
overdue hook hands it to :meth:`Ladder.fired`, which raises the yellow card and opens the ``red``
deadline (``PINGAN_SUPERVISION_RED_HOURS`` after the miss), and so on. Raising a grade is the
workflow's own move (it writes the timeline and tells the department): the ladder calls it.
:func:`stop` closes the ladder's deadlines when the item is back on time.

:func:`record_accountability` holds a missed deadline against the department, once per deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pingan.workflow import deadlines
from pingan.workflow.models import AccountabilityRecord


class Grade(models.TextChoices):
    """How closely an item is supervised (督办)."""

    NONE = "", gettext_lazy("None")
    NORMAL = "normal", gettext_lazy("Supervised (普通督办)")
    YELLOW = "yellow", gettext_lazy("Yellow card (黄牌督办)")
    RED = "red", gettext_lazy("Red card (红牌督办)")


# Grades by rank: a grade only ever rises by itself.
ORDER = {Grade.NONE: 0, Grade.NORMAL: 1, Grade.YELLOW: 2, Grade.RED: 3}
# The kinds of the ladder's own deadlines.
YELLOW = "yellow"
RED = "red"
KINDS = (YELLOW, RED)


def rank(grade: str) -> int:
    """Return the rank of ``grade`` (0 none … 3 red)."""
    return ORDER.get(grade or "", 0)


def hours() -> tuple[float, float]:
    """Return the hours after a miss at which the yellow and the red card come."""
    return (
        float(settings.PINGAN_SUPERVISION_YELLOW_HOURS),
        float(settings.PINGAN_SUPERVISION_RED_HOURS),
    )


@dataclass(frozen=True)
class Ladder:
    """The ladder of one workflow: its deadlines' handler and how it raises an item's grade.

    ``raise_grade(item, grade, note)`` is the workflow's move; ``grade_field`` holds the grade.
    """

    handler: str
    raise_grade: Callable[[Any, str, str], Any]
    grade_field: str = "supervision"

    def grade(self, item: Any) -> int:
        return rank(getattr(item, self.grade_field))

    def missed(self, item: Any, due_at: dt.datetime, note: str = "") -> None:
        """An item missed a deadline due at ``due_at``: supervise it, start the yellow clock."""
        if self.grade(item) < rank(Grade.NORMAL):
            self.raise_grade(item, Grade.NORMAL, note)
        if self.grade(item) < rank(Grade.YELLOW) and not (
            deadlines.open_deadlines(item, YELLOW).exists()
        ):
            yellow, _red = hours()
            deadlines.open_deadline(
                item,
                kind=YELLOW,
                handler=self.handler,
                start=due_at,
                due_at=due_at + dt.timedelta(hours=yellow),
                warn_fraction=1,
            )

    def fired(self, item: Any, deadline) -> bool:
        """Take one of the ladder's deadlines that the sweep fired; False if it is not one."""
        yellow, red = hours()
        if deadline.kind == YELLOW:
            if self.grade(item) < rank(Grade.YELLOW):
                note = _("Overdue for %(h)g hours") % {"h": yellow}
                self.raise_grade(item, Grade.YELLOW, note)
            deadlines.open_deadline(
                item,
                kind=RED,
                handler=self.handler,
                start=deadline.due_at,
                due_at=deadline.due_at + dt.timedelta(hours=max(red - yellow, 0)),
                warn_fraction=1,
            )
            return True
        if deadline.kind == RED:
            if self.grade(item) < rank(Grade.RED):
                self.raise_grade(item, Grade.RED, _("Overdue for %(h)g hours") % {"h": red})
            return True
        return False


def stop(item: Any) -> None:
    """Close the ladder's deadlines: the item is on time again (its grade stays)."""
    for kind in KINDS:
        deadlines.close_deadline(item, kind)


def record_accountability(
    item: models.Model, *, handler: str, department_id: int | None, kind: str, due_at: dt.datetime
) -> AccountabilityRecord | None:
    """Hold the missed deadline ``kind`` of ``item`` against a department (once per deadline)."""
    if department_id is None:
        return None
    county_code = str(getattr(item, "county_code", "") or "")
    record, _created = AccountabilityRecord.objects.get_or_create(
        county_code=county_code,
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        department_id=department_id,
        kind=kind,
        due_at=due_at,
        defaults={"handler": handler, "number": str(getattr(item, "number", "") or "")},
    )
    return record
