"""Admin for the event data people edit (categories, routing, keywords, intake) and read-only
views of events.

Events change only through ``pingan.events.services``: their admin pages show, never edit.
Staff who are not superusers see the rows in their scope (``ScopedAdminMixin``): events through
``visible_to``, routing rules and call terminals by region. Accountability records are in the
workflow admin. Categories, routing rules and keyword rules have a history page
(``HistoryAdmin``): who changed which field from what to what, and when.
"""

from __future__ import annotations

import dataclasses

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from pingan.accounts.admin import ReadOnlyAdmin, ScopedAdminMixin, ScopedInlineMixin
from pingan.accounts.models import Department
from pingan.core import crypto
from pingan.events.models import (
    Assignment,
    CallTerminal,
    Category,
    Event,
    EventLog,
    IntakeSystem,
    KeywordRule,
    RoutingRule,
)
from pingan.geo.models import Region

# --- edit history -----------------------------------------------------------------------------


class ReadableChanges(HistoricalRecordContextHelper):
    """Show a change as people read the form: choice labels, yes/no, "—" for nothing."""

    hidden_fields = frozenset({"created_at", "updated_at"})  # the row's own date says when

    def context_for_delta_changes(self, delta):
        shown = [c for c in delta.changes if c.field not in self.hidden_fields]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=shown))

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(field, models.BooleanField):
            return gettext("Yes") if value else gettext("No")
        return super().prepare_delta_change_value(change, value)


def _valid_id(field: models.Field, value: str):
    """Return ``value`` as an id of ``field``; a malformed id in a URL answers "not found"."""
    try:
        return field.clean(value, None)
    except ValidationError as exc:
        raise Http404 from exc


class HistoryAdmin(SimpleHistoryAdmin):
    """An admin whose "history" page lists every version: who, when, each field before → after.

    The history shows and never saves: reverting would skip the inlines, and the library would
    save an old version even for a user who may only view. A user sees the history of the rows
    the admin shows them; a deleted row's history needs ``history_in_scope``.
    """

    object_history_list_template = "admin/events/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        object_id = _valid_id(self.model._meta.pk, object_id)
        records = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if request.user.is_superuser or self.get_queryset(request).filter(pk=object_id).exists():
            return records
        if self.model._default_manager.filter(pk=object_id).exists():
            return records.none()  # the row lives outside the user's scope
        return records if self.history_in_scope(request, records) else records.none()

    def history_in_scope(self, request, records) -> bool:
        """Whether a deleted row's history, newest first, may be shown to ``request.user``."""
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        opts = self.model._meta
        history = getattr(self.model, opts.simple_history_manager_attribute)
        records = self.get_history_queryset(request, history, opts.pk.attname, unquote(object_id))
        version_field = records.model._meta.pk
        if not records.filter(history_id=_valid_id(version_field, version_id)).exists():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- categories -------------------------------------------------------------------------------


class LevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("1", _("Major categories")), ("2", _("Minor categories"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(parent__isnull=True)
        if self.value() == "2":
            return queryset.filter(parent__isnull=False)
        return queryset


class KeywordRuleInline(admin.TabularInline):
    model = KeywordRule
    extra = 1
    fields = ["phrase", "weight", "is_active"]


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = [
        "code",
        "tree_name",
        "parent",
        "priority",
        "sign_time",
        "resolve_time",
        "auto_dispatch",
        "duplicate_radius_m",
        "is_active",
    ]
    list_display_links = ["code", "tree_name"]
    list_filter = [LevelFilter, "priority", "auto_dispatch", "is_active", "sign_unit"]
    search_fields = ["code", "name", "description"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    # Codes nest (01, 0101, 0102, 02 …): ordering by code lists each major before its minors.
    ordering = ["code"]
    list_per_page = 200
    inlines = [KeywordRuleInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "parent", "description", "sort_order", "is_active")}),
        (
            _("Handling and deadlines"),
            {
                "fields": (
                    "priority",
                    ("sign_amount", "sign_unit"),
                    ("resolve_amount", "resolve_unit"),
                    "auto_dispatch",
                    "duplicate_radius_m",
                )
            },
        ),
        (
            _("Standard replies to the reporter"),
            {
                "description": _(
                    "Leave empty for the default text. %(department)s and %(number)s are "
                    "replaced by the department's name and the event's number."
                ),
                "fields": ("reply_signed", "reply_resolved", "reply_closed"),
            },
        ),
    )

    @admin.display(description=_("name"), ordering="code")
    def tree_name(self, obj: Category) -> str:
        return f"　└ {obj.name}" if obj.parent_id else obj.name

    @admin.display(description=_("time to sign for"))
    def sign_time(self, obj: Category) -> str:
        return f"{obj.sign_amount.normalize():f} {obj.get_sign_unit_display()}"

    @admin.display(description=_("time to resolve"))
    def resolve_time(self, obj: Category) -> str:
        return f"{obj.resolve_amount.normalize():f} {obj.get_resolve_unit_display()}"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        # The parent autocomplete offers major categories only (two levels).
        if request.GET.get("field_name") == "parent":
            queryset = queryset.filter(parent__isnull=True)
        return queryset, duplicates


# --- routing and keywords ---------------------------------------------------------------------


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdminMixin, HistoryAdmin):
    list_display = ["category", "region", "department", "is_active", "note", "updated_at"]
    list_filter = [
        "is_active",
        ("category", admin.RelatedOnlyFieldListFilter),
        ("region", admin.RelatedOnlyFieldListFilter),
        ("department", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "category__code",
        "category__name",
        "region__code",
        "region__name",
        "department__code",
        "department__name",
        "note",
    ]
    list_select_related = ["category", "category__parent", "region", "department"]
    autocomplete_fields = ["category", "region", "department"]
    fields = ["category", "region", "department", "note", "is_active"]

    def visible_queryset(self, request, queryset):
        regions = Region.objects.visible_to(request.user).values("pk")
        departments = Department.objects.visible_to(request.user).values("pk")
        return queryset.filter(
            Q(region__in=regions) | Q(region__isnull=True, department__in=departments)
        )

    def history_in_scope(self, request, records) -> bool:
        # The historical rows carry the same region and department: the same filter fits.
        last = records[:1].values("pk")
        return self.visible_queryset(request, records.model.objects.filter(pk__in=last)).exists()


@admin.register(KeywordRule)
class KeywordRuleAdmin(HistoryAdmin):
    list_display = ["phrase", "category", "weight", "is_active", "updated_at"]
    list_editable = ["weight", "is_active"]
    list_filter = ["is_active", ("category__parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["phrase", "category__code", "category__name"]
    list_select_related = ["category", "category__parent"]
    autocomplete_fields = ["category"]
    fields = ["phrase", "category", "weight", "is_active"]


# --- intake -----------------------------------------------------------------------------------


@admin.register(IntakeSystem)
class IntakeSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "key_prefix", "is_active", "last_used_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key_prefix"]
    list_select_related = ["region"]
    actions = ["rotate_keys"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "region"]
        return ["name", "region", "is_active", "user", "key_prefix", "last_used_at", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["region", "user", "key_prefix", "last_used_at", "created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            counties = Region.objects.filter(level=Region.Level.COUNTY)
            if not request.user.is_superuser:
                counties = counties.filter(pk__in=Region.objects.visible_to(request.user))
            kwargs["queryset"] = counties
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(region__in=Region.objects.visible_to(request.user).values("pk"))

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        from pingan.events.systems import create_system

        system, key = create_system(obj.name, obj.region, acting_user=request.user)
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved system.
        for field in IntakeSystem._meta.concrete_fields:
            setattr(obj, field.attname, getattr(system, field.attname))
        obj._state.adding = False
        obj._state.db = system._state.db
        self._show_key(request, system, key)

    def _show_key(self, request, system: IntakeSystem, key: str) -> None:
        self.message_user(
            request,
            gettext("The key of “%(name)s” is %(key)s — copy it now: it is shown only this once.")
            % {"name": system.name, "key": key},
            messages.WARNING,
        )

    @admin.action(
        description=_("Rotate the key (the old key stops working at once)"),
        permissions=["change"],
    )
    def rotate_keys(self, request, queryset):
        from pingan.events.systems import rotate_key

        for system in queryset:
            self._show_key(request, system, rotate_key(system, acting_user=request.user))


class CallTerminalForm(forms.ModelForm):
    """A terminal with its phone typed in plain, stored encrypted, hashed and masked."""

    phone = forms.CharField(
        label=_("phone"),
        max_length=30,
        required=False,
        help_text=_("The number the terminal calls from. Stored encrypted; shown masked."),
    )

    class Meta:
        model = CallTerminal
        fields = ["name", "phone", "address", "village", "lng", "lat", "is_active", "is_demo"]

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip()
        if not value:
            if self.instance.pk is None:
                raise forms.ValidationError(_("Give the terminal's phone number."))
            return ""  # keep the stored number
        phone = crypto.validate_phone(value)
        taken = CallTerminal.objects.filter(phone_hash=crypto.keyed_hash(phone))
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another terminal has this number."))
        return phone

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("lng") is None) != (cleaned.get("lat") is None):
            raise forms.ValidationError(_("Give both coordinates or neither."))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("phone"):
            self.instance.set_phone(self.cleaned_data["phone"])
        return super().save(commit)


@admin.register(CallTerminal)
class CallTerminalAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = CallTerminalForm
    list_display = ["name", "phone_masked", "address", "village", "is_active", "is_demo"]
    list_filter = ["is_active", "is_demo"]
    search_fields = ["name", "address", "village__name"]
    list_select_related = ["village"]
    autocomplete_fields = ["village"]
    readonly_fields = ["phone_masked"]
    fields = [
        "name",
        "phone",
        "phone_masked",
        "address",
        "village",
        "lng",
        "lat",
        "is_active",
        "is_demo",
    ]

    def visible_queryset(self, request, queryset):
        return queryset.filter(village__in=Region.objects.visible_to(request.user).values("pk"))

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        # A phone number is found through its keyed hash: the plain number is nowhere stored.
        try:
            phone = crypto.validate_phone(search_term)
        except forms.ValidationError:
            return queryset, duplicates
        found = self.get_queryset(request).filter(phone_hash=crypto.keyed_hash(phone))
        return queryset | found, duplicates


# --- events (read-only) -----------------------------------------------------------------------


class ReadOnlyInline(ScopedInlineMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ["department", "role", "assigned_at", "signed_at", "done_at", "ended_at", "note"]
    readonly_fields = fields


def _status_label(value: str) -> str:
    return str(Event.Status(value).label) if value in Event.Status.values else value


class EventLogInline(ReadOnlyInline):
    """The timeline, named as the workflow table names it (签收, 已派遣), not by its codes."""

    model = EventLog
    fields = ["at", "actor", "step", "from_label", "to_label", "department", "note"]
    readonly_fields = fields

    @admin.display(description=_("action"))
    def step(self, entry: EventLog) -> str:
        return entry.step_label()

    @admin.display(description=_("from"))
    def from_label(self, entry: EventLog) -> str:
        return _status_label(entry.from_status)

    @admin.display(description=_("to"))
    def to_label(self, entry: EventLog) -> str:
        return _status_label(entry.to_status)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "short_title",
        "category",
        "status",
        "supervision",
        "channel",
        "department",
        "centre",
        "reported_at",
    ]
    list_filter = [
        "status",
        "supervision",
        "channel",
        "category_source",
        "located_by",
        "priority",
        ("category", admin.RelatedOnlyFieldListFilter),
        ("department", admin.RelatedOnlyFieldListFilter),
        "is_demo",
    ]
    search_fields = ["=number", "title", "description"]
    date_hierarchy = "reported_at"
    list_select_related = ["category", "category__parent", "department", "centre"]
    # Counting every event for "n of N" is slow on big tables; the page count is enough.
    show_full_result_count = False
    inlines = [AssignmentInline, EventLogInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "status",
                    "title",
                    "description",
                    "category",
                    "category_source",
                    "keyword_rule",
                    "priority",
                    "channel",
                )
            },
        ),
        (
            _("Reporter"),
            {"fields": ("reporter", "reporter_name", "reporter_phone_masked", "followers")},
        ),
        (
            _("Place"),
            {"fields": ("address", "lng", "lat", "located_by", "region", "grid", "township")},
        ),
        (
            _("Handling"),
            {
                "fields": (
                    "centre",
                    "department",
                    "first_department",
                    "routing_rule",
                    "escalated_to",
                    "supervision",
                    "merged_into",
                )
            },
        ),
        (
            _("Times"),
            {
                "fields": (
                    "reported_at",
                    "dispatched_at",
                    "signed_at",
                    "resolved_at",
                    "closed_at",
                    "sign_due_at",
                    "resolve_due_at",
                    "overdue_since",
                )
            },
        ),
        (
            _("Counts and rating"),
            {
                "fields": (
                    "return_count",
                    "rework_count",
                    "extension_count",
                    "urge_count",
                    "reopen_count",
                    "was_on_hold",
                    "rating",
                    "rating_comment",
                    "rated_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f for _title, options in self.fieldsets for f in options["fields"]]

    @admin.display(description=_("title"), ordering="title")
    def short_title(self, obj: Event) -> str:
        return obj.display_title
