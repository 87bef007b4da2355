"""The event (事件): what is reported, where, by whom, who handles it and how it stands.

Every state change goes through ``pingan.events.services``; the workflow itself is the table in
``pingan.events.transitions``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pingan.core import crypto
from pingan.core.fields import LineField, LongTextField, NoteField
from pingan.events.models.taxonomy import Category, KeywordRule, Priority, RoutingRule
from pingan.geo.models import Place
from pingan.workflow import supervision


class EventQuerySet(models.QuerySet):
    def visible_to(self, user) -> EventQuerySet:
        """Return the events ``user`` may see (see ``pingan.events.queries.visibility_q``)."""
        from pingan.events.queries import visibility_q

        q = visibility_q(user)
        if q is None:
            return self
        return self.filter(q) if q else self.none()

    def open(self) -> EventQuerySet:
        return self.filter(status__in=Event.OPEN_STATUSES)


class Event(Place):
    """One reported problem (事件), with one human number for its whole life (一案一码)."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Awaiting dispatch")
        DISPATCHED = "dispatched", _("Dispatched")
        SIGNED = "signed", _("Signed for")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved, awaiting verification")
        CLOSED = "closed", pgettext_lazy("event status", "Closed")
        SUSPENDED = "suspended", _("Awaiting information")
        ON_HOLD = "on_hold", _("On hold")
        MERGED = "merged", _("Merged")
        INVALID = "invalid", _("Invalid")

    class Channel(models.TextChoices):
        GRID_WORKER = "grid_worker", _("Grid worker")
        RESIDENT = "resident", _("Resident")
        HOTLINE = "hotline", _("12345 hotline")
        ONE_KEY_CALL = "one_key_call", _("Elderly one-key call")
        APPEAL_BOX = "appeal_box", _("Appeal box")
        SYSTEM = "system", _("Sensor / other system")
        CENTRE = "centre", _("Centre staff")

    class CategorySource(models.TextChoices):
        NONE = "", _("Unclassified")
        REPORTER = "reporter", _("Reporter")
        RULE = "rule", _("Keyword rule")
        PERSON = "person", _("Centre staff")

    class LocatedBy(models.TextChoices):
        GRID = "grid", _("Coordinates in a grid")
        NEAREST = "nearest_village", _("Nearest village")
        VILLAGE = "village", _("Chosen village")
        NONE = "none", _("Not located")

    Supervision = supervision.Grade

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASIC = "basic", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    OPEN_STATUSES = (
        Status.REPORTED,
        Status.DISPATCHED,
        Status.SIGNED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.SUSPENDED,
        Status.ON_HOLD,
    )
    # Statuses in which a department holds the event and its resolution clock runs.
    HANDLING_STATUSES = (Status.DISPATCHED, Status.SIGNED, Status.IN_PROGRESS)
    # Statuses in which a missed deadline still counts as overdue: a department holds the
    # event (or it is paused in its hands). Once resolved, the department's work is done; the
    # late resolution stays on record (``resolved_on_time``) but the event is no longer overdue.
    OVERDUE_STATUSES = (*HANDLING_STATUSES, Status.SUSPENDED, Status.ON_HOLD)
    SUPERVISION_ORDER = supervision.ORDER

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = LineField(_("title"), max_length=100, blank=True)
    description = LongTextField(_("description"), max_length=4000)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    category_source = models.CharField(
        _("category from"), max_length=8, choices=CategorySource.choices, blank=True, default=""
    )
    keyword_rule = models.ForeignKey(
        KeywordRule,
        verbose_name=_("matching keyword rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    # Idempotency: a client key is unique per source (a user or an intake system).
    client_key = models.CharField(_("client key"), max_length=64, blank=True)
    source_key = models.CharField(_("source"), max_length=32, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_events",
    )
    reporter_name = LineField(_("reporter name"), max_length=50, blank=True)
    reporter_phone_encrypted = models.TextField(_("reporter phone (encrypted)"), blank=True)
    reporter_phone_hash = models.CharField(
        _("reporter phone hash"), max_length=64, blank=True, db_index=True
    )
    reporter_phone_masked = models.CharField(_("reporter phone"), max_length=20, blank=True)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("followers"),
        blank=True,
        related_name="followed_events",
        help_text=_("Reporters of merged duplicates follow the surviving event."),
    )

    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = LineField(_("address"), max_length=200, blank=True)
    located_by = models.CharField(
        _("located by"), max_length=16, choices=LocatedBy.choices, default=LocatedBy.NONE
    )
    township = models.ForeignKey(
        "geo.Region",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    centre = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="centre_events",
        help_text=_("The governance centre whose queue holds the event."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    first_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("first department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    routing_rule = models.ForeignKey(
        RoutingRule,
        verbose_name=_("routing rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_to = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("in command (吹哨)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commanded_events",
    )
    supervision = models.CharField(
        _("supervision"), max_length=8, choices=Supervision.choices, blank=True, default=""
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_events",
    )
    resume_status = models.CharField(
        _("status before the pause"), max_length=12, choices=Status.choices, blank=True
    )

    reported_at = models.DateTimeField(_("reported"), default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("sign-for deadline"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolution deadline"), null=True, blank=True)
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    signed_on_time = models.BooleanField(_("signed for on time"), null=True, blank=True)
    resolved_on_time = models.BooleanField(_("resolved on time"), null=True, blank=True)
    was_on_hold = models.BooleanField(_("was put on hold"), default=False)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("urges"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = NoteField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Missed deadlines held against departments (kept after the event closes).
    accountability_records = GenericRelation(
        "workflow.AccountabilityRecord", related_query_name="event"
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-reported_at"], name="event_status_reported"),
            models.Index(fields=["department", "status"], name="event_department_status"),
            models.Index(fields=["path", "-reported_at"], name="event_path_reported"),
            models.Index(fields=["grid", "status"], name="event_grid_status"),
            models.Index(fields=["centre", "status"], name="event_centre_status"),
            models.Index(
                fields=["overdue_since"],
                condition=Q(overdue_since__isnull=False),
                name="event_overdue",
            ),
            models.Index(fields=["category", "reported_at"], name="event_category_reported"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "client_key"],
                condition=~Q(client_key=""),
                name="event_client_key_unique",
                violation_error_message=_("This client key was used for another report."),
            ),
            models.CheckConstraint(
                condition=(Q(lng__isnull=True) & Q(lat__isnull=True))
                | (Q(lng__gte=-180) & Q(lng__lte=180) & Q(lat__gte=-90) & Q(lat__lte=90)),
                name="event_point_valid",
                violation_error_message=_("Give both coordinates, as longitude and latitude."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_title}"

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])

    @property
    def display_title(self) -> str:
        return self.title or (self.description[:30] + ("…" if len(self.description) > 30 else ""))

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Whether a deadline was missed and a department still holds the event."""
        return self.overdue_since is not None and self.status in self.OVERDUE_STATUSES

    @property
    def has_point(self) -> bool:
        return self.lng is not None and self.lat is not None

    def set_reporter_phone(self, phone: str) -> None:
        """Store the caller's phone encrypted, hashed and masked (raise ValidationError)."""
        (
            self.reporter_phone_encrypted,
            self.reporter_phone_hash,
            self.reporter_phone_masked,
        ) = crypto.protect_phone(phone)

    def distance_m(self, lng: float, lat: float) -> float:
        """Return the great-circle distance in metres from the event to a point."""
        from pingan.geo.geometry import EARTH_RADIUS_KM

        p1, p2 = math.radians(self.lat), math.radians(lat)
        dphi, dl = p2 - p1, math.radians(lng - self.lng)
        a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_KM * 1000 * math.asin(math.sqrt(a))
