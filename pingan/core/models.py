"""Shared data: the working calendar (holidays, make-up working days, working hours).

The SLA clock (``pingan.core.sla``) reads these tables. The public-holiday calendar itself comes
from the ``chinese-calendar`` package; :class:`CalendarDay` rows override it for single dates and
extend it to years the package does not know yet. :class:`WorkingPeriod` rows are the office
hours of every working day (default 08:30–12:00 and 14:30–18:00, created by a data migration).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# The longest range the "add a range" form accepts: the longest Chinese holiday is 9 days, so
# anything near a month is almost certainly a typo in a year or month.
MAX_RANGE_DAYS = 31


class CalendarDayQuerySet(models.QuerySet):
    def add_range(
        self,
        start: dt.date,
        end: dt.date,
        *,
        kind: str,
        name: str = "",
        note: str = "",
    ) -> list[CalendarDay]:
        """Create (or rename) one entry of ``kind`` for every date from ``start`` to ``end``.

        Raise ``ValidationError`` (keyed by field) when the range ends before it starts, is
        longer than ``MAX_RANGE_DAYS``, or touches a date already entered as the other kind.
        Dates already entered as the same kind get the new name and note, so entering a
        range twice is harmless.
        """
        if kind not in CalendarDay.Kind.values:
            raise ValidationError(
                {"kind": _("Choose holiday or make-up working day, not %(kind)r.") % {"kind": kind}}
            )
        if not isinstance(start, dt.date) or not isinstance(end, dt.date):
            raise ValidationError(_("A range needs a first and a last date."))
        if end < start:
            raise ValidationError(
                {
                    "end": _("The range ends (%(end)s) before it starts (%(start)s).")
                    % {"start": start.isoformat(), "end": end.isoformat()}
                }
            )
        days = (end - start).days + 1
        if days > MAX_RANGE_DAYS:
            raise ValidationError(
                {
                    "end": _("A range may cover at most %(max)d days; this one covers %(n)d.")
                    % {"max": MAX_RANGE_DAYS, "n": days}
                }
            )
        with transaction.atomic():
            existing = {
                day.date: day
                for day in self.select_for_update().filter(date__gte=start, date__lte=end)
            }
            clashes = [day for day in existing.values() if day.kind != kind]
            if clashes:
                clashes.sort(key=lambda day: day.date)
                listed = ", ".join(
                    f"{day.date.isoformat()} ({day.get_kind_display()}"
                    + (f" {day.name})" if day.name else ")")
                    for day in clashes
                )
                raise ValidationError(
                    {
                        "start": _(
                            "The range overlaps dates already entered as another kind: "
                            "%(dates)s. Delete or change them first."
                        )
                        % {"dates": listed}
                    }
                )
            saved = []
            for offset in range(days):
                date = start + dt.timedelta(days=offset)
                day = existing.get(date)
                if day is None:
                    day = CalendarDay(date=date, kind=kind, name=name, note=note)
                    day.full_clean()
                    day.save()
                else:
                    day.name, day.note = name, note
                    day.full_clean()
                    day.save(update_fields=["name", "note"])
                saved.append(day)
        return saved


class CalendarDay(models.Model):
    """One date whose status overrides the public-holiday package: a holiday (休) or a
    make-up working day (班, 调休上班).

    Enter the official schedule here for years the package does not know yet, or local
    exceptions. A date appears at most once.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(
        _("name"), max_length=50, blank=True, help_text=_("The festival, e.g. Spring Festival.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = CalendarDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"],
                name="core_calendarday_unique_date",
                violation_error_message=_(
                    "This date is already in the calendar; a date can be entered only once."
                ),
            )
        ]

    def __str__(self) -> str:
        label = f"{self.date.isoformat()} {self.get_kind_display()}"
        return f"{label} {self.name}" if self.name else label

    @property
    def is_working_day(self) -> bool:
        return self.kind == self.Kind.WORKDAY


class WorkingPeriod(models.Model):
    """A stretch of office hours on every working day, e.g. 08:30–12:00.

    Periods may not overlap and may not cross midnight. When the table is empty the SLA clock
    falls back to the defaults (08:30–12:00, 14:30–18:00) rather than stopping.
    """

    start = models.TimeField(_("starts at"))
    end = models.TimeField(_("ends at"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="core_workingperiod_start_before_end",
                violation_error_message=_(
                    "A working period must end after it starts (and may not cross midnight)."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is None or self.end is None or self.start >= self.end:
            return  # the check constraint reports an inverted period
        # Touching periods (12:00–12:00) are fine; sharing any minute is not.
        overlapping = (
            WorkingPeriod.objects.filter(start__lt=self.end, end__gt=self.start)
            .exclude(pk=self.pk)
            .order_by("start")
            .first()
        )
        if overlapping is not None:
            raise ValidationError(
                _("This period overlaps the working period %(other)s.") % {"other": overlapping}
            )
