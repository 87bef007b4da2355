"""Admin for the jurisdiction tree, grids and grid teams, scoped to the staff member's regions."""

from __future__ import annotations

import json
import os

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pingan.accounts.admin import ScopedAdminMixin, ScopedInlineMixin
from pingan.core import safe_json
from pingan.geo.models import Grid, GridMember, Region

GRID_IMPORT_MAX_BYTES = 20 * 1024 * 1024
GRID_IMPORT_SUFFIXES = (".geojson", ".json")


class GridImportForm(forms.Form):
    """Upload a GeoJSON FeatureCollection of grids; checked enough here to refuse a wrong file."""

    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_(
            "A FeatureCollection (.geojson or .json, at most 20 MB). Feature properties: "
            "region_code, code, name, kind, subkind, households, active_from, active_until."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(GRID_IMPORT_SUFFIXES):
            raise forms.ValidationError(
                _("Choose a GeoJSON file (.geojson or .json), not “%(name)s”."),
                params={"name": upload.name},
                code="suffix",
            )
        if upload.size > GRID_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; at most 20 MB can be imported at once."),
                params={"size": upload.size / 1024 / 1024},
                code="size",
            )
        try:
            data = safe_json.loads(upload.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise forms.ValidationError(
                _("The file is not valid UTF-8 JSON: %(error)s"), params={"error": exc}, code="json"
            ) from exc
        finally:
            upload.seek(0)
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise forms.ValidationError(
                _("The file is JSON but not a GeoJSON FeatureCollection."), code="geojson"
            )
        if not isinstance(data.get("features"), list):
            raise forms.ValidationError(
                _("The FeatureCollection has no list of features."), code="geojson"
            )
        return upload


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
    change_list_template = "admin/geo/grid/change_list.html"

    def get_urls(self):
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="geo_grid_import",
            )
        ]
        return urls + super().get_urls()

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Return whether ``request.user`` may import grids.

        The importer does not know the staff member's scope, so only superusers may run it.
        """
        return request.user.is_superuser

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Take a GeoJSON upload and import it as a background job; show the job's page."""
        from pingan.core.jobs import start_job, upload_name
        from pingan.geo.jobs import IMPORT_GRIDS

        if not self.has_import_permission(request):
            raise PermissionDenied
        form = GridImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            filename = os.path.basename(upload.name)
            stored = default_storage.save(upload_name(filename), upload)
            job = start_job(
                kind=IMPORT_GRIDS,
                title=gettext("Import grids from %(file)s") % {"file": filename},
                user=request.user,
                func_path=IMPORT_GRIDS,
                params={"path": stored, "filename": filename},
            )
            return redirect(job.get_absolute_url())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import grids from GeoJSON"),
            "form": form,
        }
        return TemplateResponse(request, "admin/geo/grid/import.html", context)


@admin.register(GridMember)
class GridMemberAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "role", "grid", "work_phone", "user"]
    list_filter = ["role"]
    search_fields = ["name", "work_phone", "grid__name", "grid__code"]
    list_select_related = ["grid", "user"]
    autocomplete_fields = ["grid", "user"]

    def visible_queryset(self, request, queryset):
        return queryset.filter(grid__in=Grid.objects.visible_to(request.user).values("pk"))
