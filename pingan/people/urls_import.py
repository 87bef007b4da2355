"""Resident import and export routes, included under people/import/ in the "people" namespace."""

from __future__ import annotations

from django.urls import path

from pingan.people import views_import

urlpatterns = [
    path("template.xlsx", views_import.import_template, name="import_template"),
    path("", views_import.import_start, name="import_start"),
    path("export/", views_import.export_start, name="export_start"),
]
