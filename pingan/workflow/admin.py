"""Admin pages: deadlines (read-mostly, to see what fired when), accountability records
(read-only, scoped) and reminders."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pingan.accounts.admin import ReadOnlyAdmin
from pingan.workflow import deadlines, supervision
from pingan.workflow.models import AccountabilityRecord, Deadline, Reminder

# The supervision ladder's own deadlines, opened under any workflow's key.
LADDER_KINDS = {
    supervision.YELLOW: supervision.Grade.YELLOW.label,
    supervision.RED: supervision.Grade.RED.label,
}


def workflow_label(key: str) -> str:
    """Return the name of workflow ``key`` ("events.event": 事件), or the key if no model."""
    try:
        return str(apps.get_model(key)._meta.verbose_name)
    except (LookupError, ValueError):
        return key


def kind_label(key: str, kind: str) -> str:
    """Return the name of a deadline ``kind`` of workflow ``key`` (sign: 签收), or the kind."""
    handler = deadlines.registered(key)
    labels = {**LADDER_KINDS, **(handler.kinds if handler else {})}
    return str(labels.get(kind, kind))


class WorkflowFilter(admin.SimpleListFilter):
    """Filter by workflow, named as a person reads it (not ``events.event``)."""

    title = _("workflow")
    parameter_name = "handler"

    def lookups(self, request, model_admin):
        keys = model_admin.get_queryset(request).order_by().values_list("handler", flat=True)
        return sorted(((key, workflow_label(key)) for key in set(keys)), key=lambda kv: kv[1])

    def queryset(self, request, queryset):
        return queryset.filter(handler=self.value()) if self.value() else queryset


class KindFilter(admin.SimpleListFilter):
    """Filter deadlines by kind, named (签收, 处置, 黄牌督办…) instead of ``sign``, ``yellow``."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        pairs = model_admin.get_queryset(request).order_by().values_list("handler", "kind")
        labels: dict[str, set[str]] = {}
        for key, kind in set(pairs):
            labels.setdefault(kind, set()).add(kind_label(key, kind))
        return sorted(((kind, " / ".join(sorted(names))) for kind, names in labels.items()))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", _("Open")),
            ("warned", _("Warning fired")),
            ("overdue", _("Overdue fired")),
            ("paused", _("Paused")),
            ("closed", _("Closed")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.filter(closed_at__isnull=True)
        if value == "warned":
            return queryset.filter(warned_at__isnull=False, overdue_at__isnull=True)
        if value == "overdue":
            return queryset.filter(overdue_at__isnull=False)
        if value == "paused":
            return queryset.filter(paused_at__isnull=False, closed_at__isnull=True)
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "workflow",
        "kind_name",
        "item_type",
        "object_id",
        "warn_at",
        "due_at",
        "warned_at",
        "overdue_at",
        "closed_at",
    )
    list_filter = (WorkflowFilter, KindFilter, StateFilter)
    search_fields = ("=object_id", "handler", "county_code")
    date_hierarchy = "due_at"
    list_select_related = ("content_type",)
    readonly_fields = [f.name for f in Deadline._meta.concrete_fields]

    def has_add_permission(self, request) -> bool:
        # Deadlines are opened by workflows' services, never by hand.
        return False

    @admin.display(description=_("workflow"), ordering="handler")
    def workflow(self, deadline: Deadline) -> str:
        return workflow_label(deadline.handler)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, deadline: Deadline) -> str:
        return kind_label(deadline.handler, deadline.kind)

    @admin.display(description=_("item type"), ordering="content_type")
    def item_type(self, deadline: Deadline) -> str:
        return str(deadline.content_type.name)


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(ReadOnlyAdmin):
    list_display = ["number", "department", "kind", "workflow", "due_at", "recorded_at"]
    list_filter = ["kind", WorkflowFilter, ("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=number", "department__name", "department__code"]
    date_hierarchy = "recorded_at"
    list_select_related = ["department"]
    fields = ["number", "department", "kind", "due_at", "recorded_at", "county_code", "note"]
    readonly_fields = fields

    @admin.display(description=_("workflow"), ordering="handler")
    def workflow(self, record: AccountabilityRecord) -> str:
        return workflow_label(record.handler)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "due_at", "status", "completed_at", "is_demo")
    list_filter = ("status", "is_demo")
    search_fields = ("title", "owner__username", "owner__full_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "created_by")
    readonly_fields = ("status", "completed_at", "created_by", "due_at")

    def has_add_permission(self, request) -> bool:
        # Created through the reminders page so that the deadline is opened with it.
        return False
