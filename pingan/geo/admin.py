"""Admin for the jurisdiction tree, grids and grid teams, scoped to the staff member's regions."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pingan.accounts.admin import ScopedAdminMixin, ScopedInlineMixin
from pingan.geo.models import Grid, GridMember, Region


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_demo"]
    list_filter = ["level", "is_demo"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "county_code"]
    fields = ["code", "name", "level", "parent", "boundary", "is_demo", *readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Descendants and grids copy this region's path; moving or recoding it here would
            # leave them pointing at the old path.
            readonly += ["code", "parent"]
        return readonly


class GridMemberInline(ScopedInlineMixin, admin.TabularInline):
    model = GridMember
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["name", "role", "work_phone", "user", "sort_order"]


@admin.register(Grid)
class GridAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "subkind", "region", "households", "is_active"]
    list_filter = ["kind", "subkind", "is_active", "is_demo"]
    search_fields = ["code", "name", "region__name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    readonly_fields = ["path", "county_code", "area_km2", "created_at", "updated_at"]
    inlines = [GridMemberInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "subkind", "region", "households")}),
        (_("In use"), {"fields": ("is_active", "active_from", "active_until", "description")}),
        (_("Shape"), {"fields": ("geometry", "is_demo")}),
        (_("Computed"), {"fields": readonly_fields}),
    )


@admin.register(GridMember)
class GridMemberAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "role", "grid", "work_phone", "user"]
    list_filter = ["role"]
    search_fields = ["name", "work_phone", "grid__name", "grid__code"]
    list_select_related = ["grid", "user"]
    autocomplete_fields = ["grid", "user"]

    def visible_queryset(self, request, queryset):
        return queryset.filter(grid__in=Grid.objects.visible_to(request.user).values("pk"))
