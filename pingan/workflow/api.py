"""Reminders in the API: my reminders, a new one, and their moves (``POST …/actions/``).

Every reminder is its owner's (others answer 404). A move the table does not allow now answers
409 with the moves that are, as for every workflow on the kit.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from pingan.core.api import ModelSerializer
from pingan.workflow import services
from pingan.workflow.forms import MAX_MINUTES
from pingan.workflow.models import Reminder


class ReminderSerializer(ModelSerializer):
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("The moves you may make on the reminder now.")
    )

    class Meta:
        model = Reminder
        fields = ["id", "title", "note", "due_at", "status", "completed_at", "created_at"]
        fields += ["allowed_actions"]
        read_only_fields = ["status", "completed_at", "created_at"]

    def get_allowed_actions(self, reminder: Reminder) -> list[str]:
        request = self.context.get("request")
        return sorted(services.REMINDERS.allowed(reminder, getattr(request, "user", None)))

    def validate_due_at(self, value: dt.datetime) -> dt.datetime:
        now = timezone.now()
        if value <= now:
            raise serializers.ValidationError(_("The due time must lie in the future."))
        if value > now + dt.timedelta(minutes=MAX_MINUTES):
            raise serializers.ValidationError(_("The due time must lie within a year."))
        return value


class ReminderActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(services.REMINDERS.moves))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


@extend_schema_view(
    list=extend_schema(summary=_("List my reminders")),
    retrieve=extend_schema(summary=_("Get one of my reminders")),
    create=extend_schema(summary=_("Create a reminder for me (its deadline opens with it)")),
)
class ReminderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """My reminders (提醒事项): the smallest workflow on the kit."""

    serializer_class = ReminderSerializer
    # For the schema (the id's type); the rows come from get_queryset.
    queryset = Reminder.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        return (
            Reminder.objects.visible_to(self.request.user)
            .filter(owner=self.request.user)
            .order_by("status", "due_at", "id")
        )

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_reminder(
            owner=self.request.user,
            title=data["title"],
            note=data.get("note", ""),
            due_at=data["due_at"],
            acting_user=self.request.user,
        )

    @extend_schema(
        summary=_("Make a move on a reminder"),
        request=ReminderActionSerializer,
        responses={200: ReminderSerializer},
    )
    @action(detail=True, methods=["post"], url_path="actions")
    def perform_action(self, request: Request, pk=None) -> Response:
        reminder = self.get_object()
        form = ReminderActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        name = fields.pop("action")
        moved = services.REMINDERS.perform(reminder, name, acting_user=request.user, **fields)
        return Response(self.get_serializer(moved).data)
