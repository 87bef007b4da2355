"""Notifications: the in-app inbox, the channels messages go out on, and the delivery log.

A :class:`Notification` is one message in one user's inbox. A :class:`Channel` is a way out of
the application (a WeCom or DingTalk group robot, an e-mail address, a phone for SMS) owned by
exactly one grid, department or user. A :class:`Delivery` is one message on its way through one
channel; every try is kept as a :class:`DeliveryAttempt`, so admins can see what failed and why.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pingan.core.constraints import exactly_one_set

# --- masking ---------------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """Return a phone number with its middle hidden: ``138****5678``."""
    digits = (phone or "").strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(email: str) -> str:
    """Return an e-mail address with the local part hidden: ``zh***@example.com``."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return mask_phone(email)
    return f"{local[:2]}***@{domain}"


def mask_url(url: str) -> str:
    """Return a webhook URL whose query values (robot keys, tokens) show only four characters."""
    parts = urlsplit(url or "")
    query = "&".join(
        f"{key}={value[:4]}****" if value else key
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    masked = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return f"{masked}?{query}" if query else masked


# --- inbox -----------------------------------------------------------------------------------


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """Return the notifications in ``user``'s own inbox (nobody reads another's inbox)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


# A line that is nothing but a link (how messages ended before the link got its own place).
BARE_LINK = re.compile(r"https?://\S+")

# The message templates (``notify/<template>.txt``) by the names a person reads in the admin.
TEMPLATE_LABELS = {
    "event_update": _("Event update"),
    "item_update": _("Case update"),
    "deadline_warning": _("Deadline warning"),
    "deadline_overdue": _("Deadline overdue"),
    "reminder_due": _("Reminder due"),
    "test_message": _("Test message"),
    "duplicate_submitted": _("ID number to check"),
    "duplicate_resolved": _("ID number checked"),
}


def template_label(template: str) -> str:
    """Return the name of message template ``template`` (event_update: 事件动态), or the name."""
    return str(TEMPLATE_LABELS.get(template, template))


class Notification(models.Model):
    """One message in one user's inbox, rendered in Chinese from ``notify/<template>.txt``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent because of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    template = models.CharField(_("template"), max_length=60, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The navbar counts a user's unread messages on every page.
            models.Index(fields=["recipient", "read_at"], name="notify_recipient_read"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notify:open", args=[self.pk])

    @property
    def text(self) -> str:
        """Return the body as the inbox shows it: without a bare link line (the page links it).

        Messages written before the link left the body ended with the absolute URL.
        """
        lines = self.body.rstrip().splitlines()
        if lines and BARE_LINK.fullmatch(lines[-1].strip()):
            lines.pop()
        return "\n".join(lines).rstrip()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


# --- channels --------------------------------------------------------------------------------

validate_webhook_url = URLValidator(
    schemes=["http", "https"],
    message=_("Enter a web address that starts with http:// or https://."),
)


class ChannelQuerySet(models.QuerySet):
    def visible_to(self, user) -> ChannelQuerySet:
        """Return the channels of the grids and departments in ``user``'s scope, and their own."""
        from pingan.accounts.models import Department
        from pingan.geo.models import Grid

        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            models.Q(user=user)
            | models.Q(grid__in=Grid.objects.visible_to(user).values("pk"))
            | models.Q(department__in=Department.objects.visible_to(user).values("pk"))
        )

    def enabled(self) -> ChannelQuerySet:
        return self.filter(is_enabled=True)


class Channel(models.Model):
    """A way a message leaves the application, owned by one grid, department or user."""

    class Kind(models.TextChoices):
        WECOM_ROBOT = "wecom_robot", _("WeCom group robot (企业微信)")
        DINGTALK_ROBOT = "dingtalk_robot", _("DingTalk group robot (钉钉)")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    ROBOT_KINDS = (Kind.WECOM_ROBOT, Kind.DINGTALK_ROBOT)

    name = models.CharField(
        _("name"), max_length=100, help_text=_("For example the name of the WeChat group.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    grid = models.ForeignKey(
        "geo.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_channels",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_channels",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_channels",
    )
    webhook_url = models.CharField(
        _("webhook URL"),
        max_length=500,
        blank=True,
        validators=[validate_webhook_url],
        help_text=_("The group robot's address, for WeCom and DingTalk robots."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk only: the robot's signing secret (加签), starting with SEC."),
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_set("grid", "department", "user"),
                name="channel_one_owner",
                violation_error_message=_(
                    "A channel belongs to exactly one of: a grid, a department, a user."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def owner(self):
        return self.grid or self.department or self.user

    @property
    def target(self) -> str:
        """Return where this channel sends to, masked for logs and the admin."""
        if self.kind in self.ROBOT_KINDS:
            return mask_url(self.webhook_url)
        if self.kind == self.Kind.EMAIL:
            return mask_email(self.email)
        return mask_phone(self.phone)

    def clean(self) -> None:
        # "Exactly one owner" is the channel_one_owner constraint, which full_clean() checks.
        errors: dict[str, str] = {}
        if self.kind in self.ROBOT_KINDS and not self.webhook_url:
            errors["webhook_url"] = _("A group robot needs its webhook URL.")
        if self.kind == self.Kind.EMAIL and not self.email:
            errors["email"] = _("An e-mail channel needs an e-mail address.")
        if self.kind == self.Kind.SMS:
            digits = self.phone.replace(" ", "").replace("-", "")
            if not digits:
                errors["phone"] = _("An SMS channel needs a mobile phone number.")
            elif not digits.lstrip("+").isdigit() or not 5 <= len(digits) <= 20:
                errors["phone"] = _("Enter a phone number of digits only.")
        if self.secret and self.kind != self.Kind.DINGTALK_ROBOT:
            errors["secret"] = _("Only DingTalk robots use a signing secret.")
        if errors:
            raise ValidationError(errors)


# --- deliveries ------------------------------------------------------------------------------


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user) -> DeliveryQuerySet:
        """Return the deliveries through channels ``user`` may see."""
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(channel__in=Channel.objects.visible_to(user).values("pk"))


class Delivery(models.Model):
    """One message on its way through one channel, retried with back-off until it is sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    OPEN_STATUSES = (Status.PENDING, Status.RETRYING)

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="deliveries"
    )
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    template = models.CharField(_("template"), max_length=60, blank=True)
    target = models.CharField(_("target"), max_length=500, blank=True)
    # The rendered message ({"title", "body", "url"}), so a retry sends what the first try sent.
    payload = models.JSONField(_("message"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The periodic sweep looks for open deliveries whose next attempt is due.
            models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.payload.get('title', '')} → {self.target}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: when, how it went, and the error if any."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.get_status_display()}"


class RobotMessage(models.Model):
    """A message received by the built-in demo robot (a stand-in for a WeCom/DingTalk group).

    Offline demos and trainings have no WeCom or DingTalk to call; the demo robot endpoint
    answers like them and keeps what it received so a trainer can show the call happened.
    Enabled only with ``PINGAN_DEMO_ROBOT=1`` (``pingan demo`` sets it).
    """

    robot = models.CharField(_("robot"), max_length=20)
    payload = models.JSONField(_("message"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("demo robot message")
        verbose_name_plural = _("demo robot messages")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.robot} · {self.received_at:%Y-%m-%d %H:%M:%S}"
