"""Admin: channels (with a test message), the inbox rows and the notification log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pingan.accounts.admin import ScopedAdminMixin
from pingan.notify import services
from pingan.notify.forms import ChannelForm
from pingan.notify.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    Notification,
    RobotMessage,
    template_label,
)


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", _("Unread")), ("yes", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


class TemplateFilter(admin.SimpleListFilter):
    """Filter by message template, named (事件动态) instead of ``event_update``."""

    title = _("template")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).order_by().values_list("template", flat=True)
        return sorted(((n, template_label(n)) for n in set(names) if n), key=lambda kv: kv[1])

    def queryset(self, request, queryset):
        return queryset.filter(template=self.value()) if self.value() else queryset


@admin.display(description=_("template"), ordering="template")
def template_name(obj: Notification | Delivery) -> str:
    return template_label(obj.template)


@admin.register(Notification)
class NotificationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "recipient", template_name, "created_at", "read_at"]
    list_filter = [ReadFilter, TemplateFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["title", "body", "recipient__username", "recipient__full_name"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "actor"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


@admin.register(Channel)
class ChannelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "owner_display", "target", "is_enabled", "updated_at"]
    list_filter = ["kind", "is_enabled"]
    search_fields = ["name", "grid__name", "grid__code", "department__name", "user__username"]
    list_select_related = ["grid", "department", "user"]
    autocomplete_fields = ["grid", "department", "user"]
    actions = ["send_test_message"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_enabled"]}),
        (_("Owner (exactly one)"), {"fields": ["grid", "department", "user"]}),
        (_("Group robot"), {"fields": ["webhook_url", "secret"]}),
        (_("E-mail and SMS"), {"fields": ["email", "phone"]}),
    ]

    @admin.display(description=_("owner"))
    def owner_display(self, obj: Channel) -> str:
        return str(obj.owner or "—")

    @admin.display(description=_("target"))
    def target(self, obj: Channel) -> str:
        return obj.target

    @admin.action(description=_("Send a test message to the selected channels"))
    def send_test_message(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        deliveries = services.send_test_message(queryset, acting_user=request.user)
        self.message_user(
            request,
            ngettext(
                "Queued a test message to %(n)d channel; see the notification log.",
                "Queued a test message to %(n)d channels; see the notification log.",
                len(deliveries),
            )
            % {"n": len(deliveries)},
            messages.SUCCESS,
        )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "at", "status", "http_status", "duration_ms", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The notification log: every delivery with its attempts, filterable, retryable."""

    list_display = [
        "created_at",
        "title",
        "channel",
        "channel_kind",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = [
        "status",
        ("channel__kind", admin.ChoicesFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        TemplateFilter,
    ]
    search_fields = ["target", "last_error", "channel__name", "payload__title"]
    list_select_related = ["channel"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]
    fields = [
        "channel",
        "notification",
        "template",
        "target",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("title"))
    def title(self, obj: Delivery) -> str:
        return obj.payload.get("title", "")

    @admin.display(description=_("channel kind"), ordering="channel__kind")
    def channel_kind(self, obj: Delivery) -> str:
        return obj.channel.get_kind_display()

    @admin.display(description=_("last error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Retry the selected failed deliveries now"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        retried = sum(
            services.retry_delivery(delivery, acting_user=request.user)
            for delivery in queryset.filter(status=Delivery.Status.FAILED)
        )
        self.message_user(
            request,
            ngettext(
                "Queued %(n)d failed delivery for another attempt.",
                "Queued %(n)d failed deliveries for another attempt.",
                retried,
            )
            % {"n": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )


@admin.register(RobotMessage)
class RobotMessageAdmin(admin.ModelAdmin):
    """What the built-in demo robot received: proof in an offline demo that a call was made."""

    list_display = ["received_at", "robot", "text"]
    list_filter = ["robot"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("message"))
    def text(self, obj: RobotMessage) -> str:
        body = obj.payload.get("markdown") or obj.payload.get("text") or {}
        return (body.get("content") or body.get("text") or "")[:120]
