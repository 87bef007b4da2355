from __future__ import annotations

from django.urls import include, path

from pingan.people import views, views_collect, views_groups, views_households, views_verify

app_name = "people"

urlpatterns = [
    path("", views.resident_list, name="resident_list"),
    path("unverified/", views_verify.unverified, name="unverified"),
    path("verify/<slug:kind>/<int:pk>/", views_verify.record_verify, name="record_verify"),
    path("<int:pk>/", views.resident_detail, name="resident_detail"),
    path("<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("<int:pk>/verify/", views.resident_verify, name="resident_verify"),
    # Households (户) and their members.
    path("households/new/", views_households.household_new, name="household_new"),
    path("households/<int:pk>/", views_households.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views_households.household_edit, name="household_edit"),
    path("households/<int:pk>/head/", views_households.household_head, name="household_head"),
    path(
        "households/<int:pk>/members/new/", views_households.member_new, name="household_member_new"
    ),
    path(
        "households/<int:pk>/members/add/", views_households.member_add, name="household_member_add"
    ),
    path(
        "households/<int:pk>/members/<int:member_pk>/relation/",
        views_households.member_relation,
        name="household_member_relation",
    ),
    path(
        "households/<int:pk>/members/<int:member_pk>/remove/",
        views_households.member_remove,
        name="household_member_remove",
    ),
    # 联户 groups.
    path("groups/", views_groups.group_list, name="group_list"),
    path("groups/new/", views_groups.group_new, name="group_new"),
    path("groups/pick/<slug:field>/", views_groups.group_pick, name="group_pick"),
    path("groups/<int:pk>/", views_groups.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views_groups.group_edit, name="group_edit"),
    # Houses and organisations.
    path("houses/", views_collect.house_list, name="house_list"),
    path("houses/new/", views_collect.house_new, name="house_new"),
    path("houses/<int:pk>/edit/", views_collect.house_edit, name="house_edit"),
    path("organizations/", views_collect.organization_list, name="organization_list"),
    path("organizations/new/", views_collect.organization_new, name="organization_new"),
    path("organizations/<int:pk>/edit/", views_collect.organization_edit, name="organization_edit"),
    # Excel import and export (台账), in this namespace.
    path("import/", include("pingan.people.urls_import")),
]
