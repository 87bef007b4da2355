"""Resident import and export routes, included under people/import/ in the "people" namespace."""

from __future__ import annotations

from django.urls import path

from pingan.people.views import imports

urlpatterns = [
    path("template.xlsx", imports.import_template, name="import_template"),
    path("", imports.import_start, name="import_start"),
    path("export/", imports.export_start, name="export_start"),
]
