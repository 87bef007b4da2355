"""Serializers of the events API: what a client sends (a report, a move) and gets back (events).

Output serializers only read; every change goes through ``pingan.events.services``. Field
names are a contract with outside clients (issue 4): keep them stable.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pingan.accounts.models import Department
from pingan.core.api import FloatField, ModelSerializer, RefField
from pingan.core.transitions import allowed_moves
from pingan.events import queries
from pingan.events.intake_warnings import POINT_OUTSIDE, intake_warnings
from pingan.events.models import Attachment, Category, Event, EventLog, Message, Priority
from pingan.events.transitions import TRANSITIONS
from pingan.geo.api import RegionRefSerializer
from pingan.geo.models import Grid
from pingan.workflow.models import Deadline

STAFF_ROLES = frozenset(
    {queries.CENTRE, queries.LEADER, queries.DEPARTMENT, queries.ASSISTING, queries.GRID}
)
ACTIONS = sorted({name for moves in TRANSITIONS.values() for name in moves})


class EscalationLevel(models.TextChoices):
    TOWNSHIP = "township", _("Township centre")
    COUNTY = "county", _("County centre")


# --- references --------------------------------------------------------------------------


class DepartmentRefSerializer(ModelSerializer):
    """A department or governance centre named by id, code and name."""

    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class GridRefSerializer(ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "code", "name"]


class EventRefSerializer(ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "number"]


@extend_schema_field(DepartmentRefSerializer)
class DepartmentRef(RefField):
    pass


@extend_schema_field(GridRefSerializer)
class GridRef(RefField):
    pass


@extend_schema_field(RegionRefSerializer)
class RegionRef(RefField):
    pass


@extend_schema_field(EventRefSerializer)
class EventRef(RefField):
    attrs = ("id", "number")


# --- parts of an event -------------------------------------------------------------------


class DeadlineSerializer(ModelSerializer):
    paused = serializers.SerializerMethodField(help_text=_("The clock is stopped."))
    overdue = serializers.SerializerMethodField(help_text=_("The deadline has passed."))

    class Meta:
        model = Deadline
        fields = ["kind", "due_at", "warn_at", "paused", "overdue"]

    def get_paused(self, deadline: Deadline) -> bool:
        return deadline.paused_at is not None

    def get_overdue(self, deadline: Deadline) -> bool:
        return deadline.due_at < (deadline.paused_at or timezone.now())


class TimelineEntrySerializer(ModelSerializer):
    actor = serializers.SerializerMethodField(help_text=_("Who did it; null for the system."))
    actor_unit = serializers.CharField(
        read_only=True,
        help_text=_(
            "The actor's own unit when they acted (their department, grid or centre); "
            "empty for the system."
        ),
    )
    department = serializers.CharField(
        source="department.name",
        default=None,
        allow_null=True,
        help_text=_(
            "The department the entry is about (dispatched to, signing, urged…), which need "
            "not be the actor's own unit."
        ),
    )
    status_changed = serializers.SerializerMethodField(
        help_text=_("Whether the entry changed the status (from_status differs from to_status).")
    )
    duration_seconds = serializers.SerializerMethodField(
        help_text=_("Seconds since the previous entry (null for the first).")
    )

    class Meta:
        model = EventLog
        fields = [
            "at",
            "action",
            "from_status",
            "to_status",
            "status_changed",
            "actor",
            "actor_unit",
            "department",
            "note",
            "duration_seconds",
        ]

    def get_actor(self, entry: EventLog) -> str | None:
        return entry.actor.display_name if entry.actor_id and entry.actor else None

    def get_status_changed(self, entry: EventLog) -> bool:
        return bool(entry.to_status) and entry.to_status != entry.from_status

    def get_duration_seconds(self, entry: EventLog) -> int | None:
        previous = getattr(entry, "previous_at", None)
        if previous is None:
            return None
        return int((entry.at - previous).total_seconds())


class AttachmentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField(help_text=_("Null for files without one."))

    class Meta:
        model = Attachment
        fields = [
            "id",
            "stage",
            "content_type",
            "original_name",
            "size",
            "uploaded_at",
            "url",
            "thumbnail_url",
        ]

    def get_url(self, item: Attachment) -> str:
        return reverse("events:attachment", args=[item.pk])

    def get_thumbnail_url(self, item: Attachment) -> str | None:
        return reverse("events:thumbnail", args=[item.pk]) if item.thumbnail else None


class MessageSerializer(ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "author", "body", "internal", "created_at"]

    def get_author(self, message: Message) -> str | None:
        return message.author.display_name if message.author_id and message.author else None


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="event.id")
    number = serializers.CharField(source="event.number")
    title = serializers.CharField(source="event.display_title")
    status = serializers.ChoiceField(source="event.status", choices=Event.Status.choices)
    reported_at = serializers.DateTimeField(source="event.reported_at")
    distance_m = FloatField()


class WarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[(POINT_OUTSIDE, _("The point lies outside the county"))],
        help_text=_("What the warning is about; ignore codes you do not know."),
    )
    message = serializers.CharField(help_text=_("What to tell the reporter."))


class AllowedActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text=_("Fields the move needs.")
    )
    optional = serializers.ListField(
        child=serializers.CharField(), help_text=_("Fields the move may take.")
    )


# --- events ------------------------------------------------------------------------------


class EventListSerializer(ModelSerializer):
    """The light shape of an event, for lists (no timeline, no files)."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    category = serializers.CharField(source="category.code", default=None, allow_null=True)
    category_name = serializers.CharField(source="category.name", default=None, allow_null=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    grid = GridRef(allow_null=True)
    region = RegionRef()
    department = DepartmentRef(allow_null=True)
    centre = DepartmentRef(allow_null=True)
    escalated_to = DepartmentRef(allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "title",
            "description",
            "category",
            "category_name",
            "category_source",
            "priority",
            "channel",
            "channel_display",
            "grid",
            "region",
            "department",
            "centre",
            "lng",
            "lat",
            "address",
            "located_by",
            "supervision",
            "escalated_to",
            "reported_at",
            "signed_at",
            "resolved_at",
            "closed_at",
            "sign_due_at",
            "resolve_due_at",
            "overdue_since",
            "is_overdue",
            "rating",
            "url",
        ]


LIST_RELATED = ("category", "grid", "region", "department", "centre", "escalated_to")


class EventSerializer(EventListSerializer):
    """An event with everything a client shows on its page: timeline, files, messages, moves.

    Needs the request in the context: what it shows depends on the caller's part in the event.
    """

    township = RegionRef(allow_null=True)
    merged_into = EventRef(allow_null=True)
    merged_events = serializers.ListField(
        child=EventRef(), read_only=True, source="merged_events.all"
    )
    reporter_name = serializers.SerializerMethodField(help_text=_("Shown to staff only."))
    reporter_phone_masked = serializers.SerializerMethodField(
        help_text=_("Masked; shown to staff only.")
    )
    deadlines = serializers.SerializerMethodField(help_text=_("The deadlines running now."))
    timeline = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    messages = serializers.SerializerMethodField(
        help_text=_("Internal messages are left out for the reporter.")
    )
    possible_duplicates = serializers.SerializerMethodField(
        help_text=_(
            "Open events of the same category nearby, reported lately (staff only; empty in "
            "the answer to a report: fetch the event to see them)."
        )
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("The moves you may make now, with the fields each needs.")
    )
    warnings = serializers.SerializerMethodField(
        help_text=_(
            "What the reporter should know about the report as it was filed, e.g. "
            "`point_outside`: the position lies outside the county, so the chosen village "
            "placed it or it waits unlocated for the county centre. Usually empty."
        )
    )

    class Meta(EventListSerializer.Meta):
        fields = [
            *EventListSerializer.Meta.fields,
            "township",
            "merged_into",
            "merged_events",
            "reporter_name",
            "reporter_phone_masked",
            "rating_comment",
            "rated_at",
            "dispatched_at",
            "urge_count",
            "return_count",
            "rework_count",
            "extension_count",
            "reopen_count",
            "deadlines",
            "timeline",
            "attachments",
            "messages",
            "possible_duplicates",
            "allowed_actions",
            "warnings",
        ]

    def _roles(self, event: Event) -> frozenset[str]:
        """Return the caller's parts in ``event``, worked out once per event."""
        cache = self.__dict__.setdefault("_roles_cache", {})
        if event.pk not in cache:
            cache[event.pk] = queries.roles_in(self.context["request"].user, event)
        return cache[event.pk]

    def _is_staff(self, event: Event) -> bool:
        return bool(self._roles(event) & STAFF_ROLES)

    def get_reporter_name(self, event: Event) -> str | None:
        return event.reporter_name if self._is_staff(event) else None

    def get_reporter_phone_masked(self, event: Event) -> str | None:
        return event.reporter_phone_masked if self._is_staff(event) else None

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, event: Event) -> list[dict]:
        from pingan.workflow.deadlines import open_deadlines

        # A report just filed carries the deadlines it opened (see services.report_event).
        loaded = getattr(event, "loaded_open_deadlines", None)
        if loaded is not None:
            running = sorted(loaded, key=lambda d: (d.due_at, d.pk))
        else:
            running = open_deadlines(event).order_by("due_at", "id")
        return DeadlineSerializer(running, many=True).data

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, event: Event) -> list[dict]:
        entries = list(event.timeline.all())
        previous = None
        for entry in entries:
            entry.previous_at = previous
            previous = entry.at
        return TimelineEntrySerializer(entries, many=True).data

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, event: Event) -> list[dict]:
        messages = list(event.messages.all())
        roles = self._roles(event)
        if not (roles - {queries.REPORTER}):
            messages = [m for m in messages if not m.internal]
        return MessageSerializer(messages, many=True).data

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_possible_duplicates(self, event: Event) -> list[dict]:
        from pingan.events.duplicates import possible_duplicates

        if self.context.get("skip_duplicates") or not self._is_staff(event):
            return []
        found = possible_duplicates(event, self.context["request"].user)
        return DuplicateSerializer(found, many=True).data

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, event: Event) -> list[dict]:
        return intake_warnings(event)

    @extend_schema_field(AllowedActionSerializer(many=True))
    def get_allowed_actions(self, event: Event) -> list[dict]:
        # transitions.allowed_for() with the roles worked out once for this response.
        moves = allowed_moves(TRANSITIONS, event.status, event, self._roles(event))
        return [
            {"action": name, "fields": list(move.fields), "optional": list(move.optional)}
            for name, move in moves.items()
        ]


# --- input -------------------------------------------------------------------------------


# A note on a move: what the action form takes (the timeline holds twice that).
NOTE_LENGTH = 2000


class ReportSerializer(serializers.Serializer):
    """A new report (JSON, or multipart form data when photos are sent)."""

    description = serializers.CharField(
        allow_blank=True,
        trim_whitespace=True,
        max_length=Event._meta.get_field("description").max_length,
        help_text=_("What is wrong, in the reporter's words."),
    )
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    category = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text=_("Code of an active category; without it keyword rules classify the report."),
    )
    lng = FloatField(required=False, allow_null=True, help_text=_("Longitude (WGS 84)."))
    lat = FloatField(required=False, allow_null=True, help_text=_("Latitude (WGS 84)."))
    village = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text=_("Code of the village (or township) when there are no coordinates."),
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    channel = serializers.ChoiceField(
        choices=Event.Channel.choices,
        required=False,
        help_text=_("Default: your usual channel (grid worker, resident, system…)."),
    )
    client_key = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_(
            "Your unique key for this report: sending it again returns the original event "
            "(200) and creates nothing."
        ),
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)
    reporter_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("Hotline: the caller.")
    )
    reporter_phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("Hotline: the caller's phone; stored encrypted, shown masked."),
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_("Photos (JPEG, PNG, WebP, GIF) or PDFs; multipart only."),
    )


class OneKeyCallSerializer(serializers.Serializer):
    phone = serializers.CharField(
        max_length=30, help_text=_("The calling number of a registered one-key call terminal.")
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_LENGTH)
    client_key = serializers.CharField(max_length=64, required=False, allow_blank=True)


class ActionSerializer(serializers.Serializer):
    """One move: its name, a note, and the fields the move takes (see ``allowed_actions``)."""

    action = serializers.ChoiceField(choices=[(a, a) for a in ACTIONS])
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_LENGTH)
    department = serializers.CharField(
        required=False, help_text=_("dispatch, reassign: the department's id or code.")
    )
    departments = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("summon: ids or codes of the assisting departments."),
    )
    into = serializers.CharField(
        required=False, help_text=_("merge: id or number of the surviving event.")
    )
    category = serializers.CharField(
        required=False, allow_blank=True, help_text=_("dispatch, update: category code.")
    )
    village = serializers.CharField(
        required=False, allow_blank=True, help_text=_("update: village code.")
    )
    lng = FloatField(required=False, allow_null=True)
    lat = FloatField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)
    due_at = serializers.DateTimeField(
        required=False, help_text=_("request_extension: the deadline asked for.")
    )
    grade = serializers.ChoiceField(
        choices=Event.Supervision.choices,
        required=False,
        allow_blank=True,
        help_text=_("supervise: normal, yellow or red (empty: none)."),
    )
    rating = serializers.ChoiceField(choices=Event.Rating.choices, required=False)
    level = serializers.ChoiceField(
        choices=EscalationLevel.choices,
        required=False,
        help_text=_("escalate: which centre takes command (default: the next one up)."),
    )
    internal = serializers.BooleanField(
        required=False, help_text=_("message: hide it from the reporter.")
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_("resolve, verify, rework: photos; multipart only."),
    )


class ConflictSerializer(serializers.Serializer):
    """The answer to a move that is not possible now (409)."""

    detail = serializers.CharField()
    status = serializers.ChoiceField(
        choices=Event.Status.choices, help_text=_("The event's status now.")
    )
    allowed_actions = serializers.ListField(
        child=serializers.CharField(), help_text=_("Names of the moves you may make now.")
    )


class CategorySerializer(ModelSerializer):
    parent = serializers.CharField(source="parent.code", default=None, allow_null=True)
    level = serializers.IntegerField(read_only=True, help_text=_("1 major, 2 minor."))
    sign_amount = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False)
    resolve_amount = serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=False
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "level",
            "description",
            "priority",
            "sign_amount",
            "sign_unit",
            "resolve_amount",
            "resolve_unit",
            "auto_dispatch",
            "duplicate_radius_m",
        ]
