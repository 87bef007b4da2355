"""Admin pages: deadlines (read-mostly, to see what fired when), accountability records
(read-only, scoped) and reminders."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pingan.accounts.admin import ReadOnlyAdmin
from pingan.workflow.models import AccountabilityRecord, Deadline, Reminder


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
        "handler",
        "kind",
        "content_type",
        "object_id",
        "warn_at",
        "due_at",
        "warned_at",
        "overdue_at",
        "closed_at",
    )
    list_filter = ("handler", "kind", StateFilter)
    search_fields = ("=object_id", "handler", "county_code")
    date_hierarchy = "due_at"
    list_select_related = ("content_type",)
    readonly_fields = [f.name for f in Deadline._meta.concrete_fields]

    def has_add_permission(self, request) -> bool:
        # Deadlines are opened by workflows' services, never by hand.
        return False


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(ReadOnlyAdmin):
    list_display = ["number", "department", "kind", "due_at", "recorded_at", "county_code"]
    list_filter = ["kind", "handler", ("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=number", "department__name", "department__code"]
    date_hierarchy = "recorded_at"
    list_select_related = ["department"]
    fields = ["number", "department", "kind", "due_at", "recorded_at", "county_code", "note"]
    readonly_fields = fields


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
