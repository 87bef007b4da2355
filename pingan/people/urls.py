from __future__ import annotations

from django.urls import include, path

from pingan.people import views, views_collect

app_name = "people"

urlpatterns = [
    path("", views.resident_list, name="resident_list"),
    path("unverified/", views.unverified, name="unverified"),
    path("<int:pk>/", views.resident_detail, name="resident_detail"),
    path("<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("<int:pk>/verify/", views.resident_verify, name="resident_verify"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("houses/", views_collect.house_list, name="house_list"),
    path("houses/new/", views_collect.house_new, name="house_new"),
    path("houses/<int:pk>/edit/", views_collect.house_edit, name="house_edit"),
    path("organizations/", views_collect.organization_list, name="organization_list"),
    path("organizations/new/", views_collect.organization_new, name="organization_new"),
    path("organizations/<int:pk>/edit/", views_collect.organization_edit, name="organization_edit"),
    # Excel import and export (台账), in this namespace.
    path("import/", include("pingan.people.urls_import")),
]
