from __future__ import annotations

from django.urls import include, path

from pingan.people.views import collect, duplicates, groups, households, residents, verify

app_name = "people"

urlpatterns = [
    path("", residents.resident_list, name="resident_list"),
    path("unverified/", verify.unverified, name="unverified"),
    path("verify/<slug:kind>/<int:pk>/", verify.record_verify, name="record_verify"),
    path("duplicates/", duplicates.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/resolve/", duplicates.duplicate_resolve, name="duplicate_resolve"),
    path("<int:pk>/", residents.resident_detail, name="resident_detail"),
    path("<int:pk>/reveal/", residents.resident_reveal, name="resident_reveal"),
    path("<int:pk>/verify/", residents.resident_verify, name="resident_verify"),
    # Households (户) and their members.
    path("households/new/", households.household_new, name="household_new"),
    path("households/<int:pk>/", households.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household_edit"),
    path("households/<int:pk>/head/", households.household_head, name="household_head"),
    path("households/<int:pk>/members/new/", households.member_new, name="household_member_new"),
    path("households/<int:pk>/members/add/", households.member_add, name="household_member_add"),
    path(
        "households/<int:pk>/members/<int:member_pk>/relation/",
        households.member_relation,
        name="household_member_relation",
    ),
    path(
        "households/<int:pk>/members/<int:member_pk>/remove/",
        households.member_remove,
        name="household_member_remove",
    ),
    # 联户 groups.
    path("groups/", groups.group_list, name="group_list"),
    path("groups/new/", groups.group_new, name="group_new"),
    path("groups/pick/<slug:field>/", groups.group_pick, name="group_pick"),
    path("groups/<int:pk>/", groups.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", groups.group_edit, name="group_edit"),
    # Houses and organisations.
    path("houses/", collect.house_list, name="house_list"),
    path("houses/new/", collect.house_new, name="house_new"),
    path("houses/<int:pk>/edit/", collect.house_edit, name="house_edit"),
    path("organizations/", collect.organization_list, name="organization_list"),
    path("organizations/new/", collect.organization_new, name="organization_new"),
    path("organizations/<int:pk>/edit/", collect.organization_edit, name="organization_edit"),
    # Excel import and export (台账), in this namespace.
    path("import/", include("pingan.people.urls_import")),
]
