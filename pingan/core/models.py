"""Shared data: the working calendar (holidays, make-up working days, working hours), background
jobs with their progress, and background tasks that failed for good.

The SLA clock (``pingan.core.sla``) reads these tables. The public-holiday calendar itself comes
from the ``chinese-calendar`` package; :class:`CalendarDay` rows override it for single dates and
extend it to years the package does not know yet. :class:`WorkingPeriod` rows are the office
hours of every working day (default 08:30–12:00 and 14:30–18:00, created by a data migration).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
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


# --- background work -----------------------------------------------------------------------------


class JobQuerySet(models.QuerySet):
    def visible_to(self, user) -> JobQuerySet:
        """Return the jobs ``user`` may see: the ones they started (superusers see all)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(created_by=user)


class Job(models.Model):
    """A piece of long work (an import, an export) run by the worker, with its progress.

    Start one with :func:`pingan.core.jobs.start_job`; the job function reports through
    :meth:`progress`, :meth:`log` and :meth:`set_result_file` (see ``pingan.core.jobs``).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="jobs",
    )
    func_path = models.CharField(_("job function"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Named percent, not progress: job functions call job.progress(percent, message).
    percent = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    messages = models.JSONField(_("messages"), default=list, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    result_summary = models.JSONField(_("result summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="core_job_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__lte=100),
                name="core_job_percent_at_most_100",
                violation_error_message=_("Progress cannot pass 100%."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("core:job_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    # The reporting methods (progress, log, set_result_file, set_summary) are written in
    # pingan.core.jobs, next to the runner that owns their throttling.
    def progress(self, percent: float, message: str = "") -> None:
        """Report ``percent`` done (0–100) and optionally a line for the job's message list."""
        from pingan.core.jobs import report_progress

        report_progress(self, percent, message)

    def log(self, message: str) -> None:
        """Add a line to the job's message list without changing its progress."""
        from pingan.core.jobs import report_progress

        report_progress(self, None, message)

    def set_result_file(self, name: str, content: bytes) -> None:
        """Store ``content`` as the job's downloadable result, named ``name``."""
        from pingan.core.jobs import store_result_file

        store_result_file(self, name, content)

    def set_summary(self, summary: dict) -> None:
        """Store a small JSON summary of the outcome (counts), shown on the job page."""
        self.result_summary = summary
        self.save(update_fields=["result_summary"])


class FailedTask(models.Model):
    """A background task that kept failing after all its retries, kept for an administrator.

    Written by a Huey signal handler (``pingan.core.tasks``); the admin can retry it.
    """

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    task_id = models.CharField(_("task id"), max_length=64, db_index=True)
    args_repr = models.TextField(_("arguments"), blank=True)
    # The arguments again as JSON when they are JSON-safe, so "retry" can rebuild the task.
    payload = models.JSONField(_("arguments (JSON)"), null=True, blank=True)
    error = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)
    retries_used = models.PositiveSmallIntegerField(_("retries used"), default=0)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now, db_index=True)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_task_id = models.CharField(_("retried as task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class NumberSequence(models.Model):
    """The last human number given for one prefix and day (see ``pingan.core.numbering``)."""

    key = models.CharField(_("key"), max_length=40, unique=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"
