"""What happens to an event: departments' parts, the timeline, photos, messages, requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.core.timeline import TimelineEntry
from pingan.events.models.event import Event


class DeadlineKind(models.TextChoices):
    """The deadlines of an event (``workflow.Deadline.kind``), besides the supervision ladder's."""

    SIGN = "sign", _("Sign for")
    RESOLVE = "resolve", _("Resolution")
    VERIFY = "verify", _("Verification on site")


class Assignment(models.Model):
    """A department's part in an event: the lead, or an assisting department summoned (吹哨)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        ASSIST = "assist", _("Assisting")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="assignments"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.LEAD)
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    done_at = models.DateTimeField(_("part done"), null=True, blank=True)
    ended_at = models.DateTimeField(
        _("ended"), null=True, blank=True, help_text=_("Returned, reassigned or closed.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["event_id", "role", "assigned_at"]
        indexes = [
            models.Index(
                fields=["department", "event"],
                condition=Q(ended_at__isnull=True),
                name="assignment_active",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "department"],
                condition=Q(ended_at__isnull=True),
                name="assignment_one_active",
                violation_error_message=_("This department already works on this event."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.number} · {self.department} · {self.get_role_display()}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class EventLog(TimelineEntry):
    """One line of an event's timeline (append-only): who did what, when, from which state to
    which."""

    item_field = "event"

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="timeline"
    )

    class Meta(TimelineEntry.Meta):
        ordering = ["event_id", "at", "id"]
        indexes = [
            models.Index(fields=["event", "at"], name="eventlog_event_at"),
            models.Index(fields=["action", "at"], name="eventlog_action_at"),
        ]

    def step_label(self) -> str:
        """Return the step as the event workflow's table names it (签收, 处置完毕…)."""
        from pingan.events.transitions import WORKFLOW  # the table imports the models

        return WORKFLOW.log_label(self.action)


def attachment_path(instance: Attachment, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"events/{now:%Y/%m}/{instance.event_id}-{now:%H%M%S%f}.{ext}"


class Attachment(models.Model):
    """A photo or file of an event: at report, with the resolution, or at verification."""

    class Stage(models.TextChoices):
        REPORT = "report", _("Report")
        RESOLUTION = "resolution", _("Resolution")
        VERIFICATION = "verification", _("Verification")
        MESSAGE = "message", _("Message")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="attachments"
    )
    log = models.ForeignKey(
        EventLog,
        verbose_name=_("timeline entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=attachment_path, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["event_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name

    def get_absolute_url(self) -> str:
        return reverse("events:attachment", args=[self.pk])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Message(models.Model):
    """A message in the thread between the centre, the departments, the grid and the reporter."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("message"))
    internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Hidden from the reporter.")
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["event_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class Request(models.Model):
    """A handler's request for more time (延期申请) or to put the case on hold (缓办)."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("Deadline extension")
        HOLD = "hold", _("Hold")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    new_due_at = models.DateTimeField(_("requested deadline"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(status="pending"),
                name="request_one_pending",
                violation_error_message=_("This event already has a request awaiting a decision."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.number} {self.get_kind_display()} {self.get_status_display()}"
