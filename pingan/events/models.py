"""Events (事件): what is reported, where, by whom, who handles it, and everything that happened.

Routing, SLA policies, classification rules and reply texts are data (categories, routing rules,
keyword rules) edited by admins. Every state change goes through ``pingan.events.services``;
the workflow itself is the table in ``pingan.events.transitions``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pingan.core import crypto
from pingan.core.sla import Unit


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Category(models.Model):
    """A category of event (大类 at level 1, 小类 at level 2) with its SLA policy and replies."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    sign_amount = models.DecimalField(
        _("time to sign for"), max_digits=8, decimal_places=2, default=2
    )
    sign_unit = models.CharField(
        _("sign-for time unit"), max_length=16, choices=Unit.choices, default=Unit.WORKING_HOURS
    )
    resolve_amount = models.DecimalField(
        _("time to resolve"), max_digits=8, decimal_places=2, default=3
    )
    resolve_unit = models.CharField(
        _("resolution time unit"), max_length=16, choices=Unit.choices, default=Unit.WORKING_DAYS
    )
    auto_dispatch = models.BooleanField(
        _("dispatch automatically"),
        default=True,
        help_text=_("Send events to the routed department at once, without the centre's review."),
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (m)"),
        default=100,
        help_text=_(
            "Open events of this category this close are listed as possible duplicates; "
            "0 turns it off."
        ),
    )
    reply_signed = models.TextField(
        _("reply when signed for"),
        blank=True,
        help_text=_("What the reporter reads when a department signs for the event."),
    )
    reply_resolved = models.TextField(_("reply when resolved"), blank=True)
    reply_closed = models.TextField(_("reply when closed"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["code"]

    def __str__(self) -> str:
        if self.parent_id and self.parent:
            return f"{self.parent.name} / {self.name}"
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Categories have two levels: major and minor.")})
        if self.parent_id and not self.code.startswith(self.parent.code):
            raise ValidationError(
                {"code": _("A minor category's code starts with its major category's code.")}
            )
        for field in ("sign_amount", "resolve_amount"):
            if getattr(self, field) is not None and getattr(self, field) <= 0:
                raise ValidationError({field: _("Give a time greater than zero.")})

    @property
    def level(self) -> int:
        return 2 if self.parent_id else 1

    def reply_for(self, state: str) -> str:
        """Return the standard public reply for ``state`` (signed, resolved, closed) or ""."""
        return getattr(self, f"reply_{state}", "") or ""


class RoutingRule(models.Model):
    """(category, region subtree) → department. The most specific rule wins (see routing.py)."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text=_("A major category covers its minor ones; empty: every category."),
    )
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text=_("The rule covers this region and everything under it; empty: everywhere."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category__code", "region__path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "region", "department"],
                name="routing_rule_unique",
                violation_error_message=_("This rule exists already."),
            )
        ]

    def __str__(self) -> str:
        category = self.category or _("every category")
        region = self.region or _("everywhere")
        return f"{category} @ {region} → {self.department}"


class KeywordRule(models.Model):
    """A phrase in a report's title or description that suggests a category (classification)."""

    phrase = models.CharField(
        _("phrase"),
        max_length=100,
        help_text=_(
            "Matched in the title and description. Separate alternatives with |; "
            "join words that must all occur with +, e.g. 挡墙+垮塌|滑坡."
        ),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="keyword_rules",
    )
    weight = models.DecimalField(
        _("confidence"),
        max_digits=3,
        decimal_places=2,
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("0–1: how sure a match makes us. Matches for one category add up."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")
        ordering = ["category__code", "-weight", "id"]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.category}"

    def clean(self) -> None:
        if not any(part.strip() for part in self.phrase.split("|")):
            raise ValidationError({"phrase": _("Give at least one word.")})


class IntakeSystem(models.Model):
    """Another system or a sensor that reports events through the API with its own key."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="intake_system",
        help_text=_("The account the system's reports are filed under."),
    )
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The county whose centre receives reports the system cannot locate."),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=12, blank=True, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("intake system")
        verbose_name_plural = _("intake systems")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CallTerminal(models.Model):
    """A registered one-key call terminal or phone (一键呼) of an elderly resident."""

    name = models.CharField(_("holder"), max_length=50)
    phone_encrypted = models.TextField(_("phone (encrypted)"), editable=False)
    phone_hash = models.CharField(_("phone hash"), max_length=64, unique=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False)
    address = models.CharField(_("registered address"), max_length=200)
    village = models.ForeignKey(
        "geo.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("one-key call terminal")
        verbose_name_plural = _("one-key call terminals")
        ordering = ["village__path", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.phone_masked}"

    def set_phone(self, phone: str) -> None:
        self.phone_encrypted, self.phone_hash, self.phone_masked = crypto.protect_phone(
            crypto.validate_phone(phone)  # a terminal always has a number
        )


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


class Event(models.Model):
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

    class Supervision(models.TextChoices):
        NONE = "", _("None")
        NORMAL = "normal", _("Supervised (普通督办)")
        YELLOW = "yellow", _("Yellow card (黄牌督办)")
        RED = "red", _("Red card (红牌督办)")

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
    SUPERVISION_ORDER = {"": 0, "normal": 1, "yellow": 2, "red": 3}

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    description = models.TextField(_("description"))
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
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
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
    address = models.CharField(_("address"), max_length=200, blank=True)
    located_by = models.CharField(
        _("located by"), max_length=16, choices=LocatedBy.choices, default=LocatedBy.NONE
    )
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("village or township"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    grid = models.ForeignKey(
        "geo.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    # The region path, copied for subtree queries; per-county rows carry the county code.
    path = models.CharField(_("path"), max_length=120, db_index=True, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, editable=False)
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
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

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
        return self.overdue_since is not None and self.is_open

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


class EventLog(models.Model):
    """One line of an event's timeline (append-only): who did what, when, from which state to
    which."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=24)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["event_id", "at", "id"]
        indexes = [
            models.Index(fields=["event", "at"], name="eventlog_event_at"),
            models.Index(fields=["action", "at"], name="eventlog_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


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


class AccountabilityRecordQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccountabilityRecordQuerySet:
        """Return records of departments the user may see (centres: their region's)."""
        from pingan.accounts.scope import scope_for

        scope = scope_for(user)
        return scope.restrict(
            self, "department__region__path", department_id__in=scope.department_ids
        )


class AccountabilityRecord(models.Model):
    """A missed deadline held against a department (追责), kept after the event closes."""

    class Kind(models.TextChoices):
        SIGN = "sign", _("Not signed for in time")
        RESOLVE = "resolve", _("Not resolved in time")

    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        related_name="accountability_records",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="accountability_records",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
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
            models.Index(fields=["department", "recorded_at"], name="accountability_department")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "department", "kind", "due_at"],
                name="accountability_once_per_deadline",
                violation_error_message=_("This missed deadline is recorded already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.event.number} · {self.get_kind_display()}"


from pingan.events import history  # noqa: E402, F401  (edit history of the rules above)
