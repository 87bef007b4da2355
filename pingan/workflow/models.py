"""Deadlines and accountability on any workflow item, and reminders (提醒事项).

A :class:`Deadline` belongs to one item of any model (a generic foreign key) and to the workflow
``handler`` whose hooks the sweep calls (see ``pingan.workflow.deadlines``). It has two
thresholds: ``warn_at`` (a fraction of the way to the deadline) and ``due_at``. ``warned_at`` and
``overdue_at`` record when each hook fired, so each fires exactly once.

An :class:`AccountabilityRecord` holds one missed deadline of any workflow item against the
department that missed it (追责), keyed as deadlines are, so the cockpit and assessment count
one table for every workflow. Reminders are the smallest workflow on the kit (see
``docs/workflows.md``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.core.fields import LineField, LongTextField
from pingan.core.sla import Unit
from pingan.core.timeline import TimelineEntry


class Deadline(models.Model):
    """When one workflow item must have reached its next step, and which hooks have fired."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("item type"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("item id"))
    item = GenericForeignKey("content_type", "object_id")
    handler = models.CharField(
        _("workflow"), max_length=64, help_text=_("The registered workflow whose hooks fire.")
    )
    kind = models.CharField(_("kind"), max_length=32, help_text=_("e.g. sign, resolve, due"))
    unit = models.CharField(
        _("time unit"), max_length=16, choices=Unit.choices, default=Unit.NATURAL_HOURS
    )
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    starts_at = models.DateTimeField(_("starts"))
    warn_at = models.DateTimeField(_("warn at"))
    due_at = models.DateTimeField(_("due"))
    warned_at = models.DateTimeField(_("warning fired"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("overdue fired"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_total = models.DurationField(_("time paused"), default=dt.timedelta(0))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Per-county data carries the county code so a province-wide install can shard by county.
    county_code = models.CharField(_("county code"), max_length=6, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "id"]
        indexes = [
            # The sweep's two questions are index range scans on these partial indexes: only
            # open, running deadlines whose hook has not fired are in them, so they stay small
            # however many closed deadlines pile up.
            models.Index(
                fields=["warn_at", "id"],
                condition=Q(closed_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True),
                name="deadline_warn_pending",
            ),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(
                    closed_at__isnull=True, paused_at__isnull=True, overdue_at__isnull=True
                ),
                name="deadline_due_pending",
            ),
            models.Index(fields=["content_type", "object_id"], name="deadline_item"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_at__lte=F("due_at")),
                name="deadline_warn_before_due",
                violation_error_message=_("The warning cannot come after the deadline."),
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=Q(closed_at__isnull=True),
                name="deadline_one_open_per_kind",
                violation_error_message=_("This item already has an open deadline of this kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handler} {self.content_type_id}:{self.object_id} {self.kind} {self.due_at}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class AccountabilityRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccountabilityRecordQuerySet:
        """Return records of departments the user may see (centres: their region's)."""
        from pingan.accounts.scope import scope_for

        scope = scope_for(user)
        return scope.restrict(
            self, "department__region__path", department_id__in=scope.department_ids
        )

    def for_item(self, item: models.Model) -> AccountabilityRecordQuerySet:
        """Return the records of one workflow item."""
        return self.filter(content_type=ContentType.objects.get_for_model(item), object_id=item.pk)


class AccountabilityRecord(models.Model):
    """A missed deadline of a workflow item held against a department (追责), kept for good."""

    class Kind(models.TextChoices):
        SIGN = "sign", _("Not signed for in time")
        RESOLVE = "resolve", _("Not resolved in time")

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("item type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("item id"))
    item = GenericForeignKey("content_type", "object_id")
    handler = models.CharField(_("workflow"), max_length=64)
    # The item's human number, so that lists of records need no join to every workflow.
    number = models.CharField(_("number"), max_length=32, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="accountability_records",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    due_at = models.DateTimeField(_("deadline"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    county_code = models.CharField(_("county code"), max_length=6, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = AccountabilityRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("accountability record")
        verbose_name_plural = _("accountability records")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["department", "recorded_at"], name="accountability_dept_at"),
            models.Index(fields=["content_type", "object_id"], name="accountability_item"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "content_type", "object_id", "department", "kind", "due_at"],
                name="accountability_once_per_miss",
                violation_error_message=_("This missed deadline is recorded already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.number} · {self.get_kind_display()}"


class ReminderQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReminderQuerySet:
        """Return the reminders ``user`` may see: their own (superusers: all)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(owner=user)


class Reminder(models.Model):
    """A personal reminder (提醒事项): the smallest workflow with a deadline and escalation."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    title = LineField(_("title"), max_length=200)
    note = LongTextField(_("note"), max_length=2000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person to remind"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["status", "due_at", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_at"], name="reminder_owner")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("workflow:reminder_detail", args=[self.pk])


class ReminderEntry(TimelineEntry):
    """One line of a reminder's timeline: created, completed."""

    item_field = "reminder"

    reminder = models.ForeignKey(
        Reminder, verbose_name=_("reminder"), on_delete=models.CASCADE, related_name="timeline"
    )

    class Meta(TimelineEntry.Meta):
        ordering = ["reminder_id", "at", "id"]
