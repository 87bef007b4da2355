"""The Django admin: everything for superusers, only their scope for other staff."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from pingan.accounts.models import Department, Membership, User
from pingan.geo.models import Grid, GridMember, Region

pytestmark = pytest.mark.django_db

TOWNSHIP = "513999001"


@pytest.fixture
def town01_staff(user):
    """Make the first township's centre user staff who may view and change grids."""
    town01 = user("town01")
    town01.is_staff = True
    town01.save(update_fields=["is_staff"])
    town01.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["geo", "accounts"],
            codename__in=[
                "view_grid",
                "change_grid",
                "view_region",
                "view_user",
                "change_user",
                "view_membership",
                "view_gridmember",
                "view_department",
            ],
        )
    )
    return town01


@pytest.mark.parametrize(
    "model", [Region, Grid, GridMember, User, Department, Membership], ids=lambda m: m.__name__
)
def test_superuser_can_open_the_list_and_add_pages_of_every_model(client_as, model):
    client = client_as("admin")
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == model.objects.count()
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200


@pytest.mark.parametrize("model", [Region, Grid, User, Department], ids=lambda m: m.__name__)
def test_superuser_can_open_a_change_page(client_as, model):
    obj = model.objects.order_by("pk").last()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client_as("admin").get(url).status_code == 200


def test_superuser_changelist_search_finds_a_grid_by_code(client_as):
    grid = Grid.objects.order_by("code").first()
    response = client_as("admin").get(reverse("admin:geo_grid_changelist"), {"q": grid.code})
    assert grid in response.context["cl"].result_list


def test_township_staff_see_only_their_township_grids(client_as, town01_staff):
    response = client_as("town01").get(reverse("admin:geo_grid_changelist"))
    assert response.status_code == 200
    cl = response.context["cl"]
    township = Region.objects.get(code=TOWNSHIP)
    assert cl.result_count == Grid.objects.in_region(township).count()
    assert cl.result_count < Grid.objects.count()
    assert all(grid.code.startswith(TOWNSHIP) for grid in cl.queryset)


def test_township_staff_cannot_open_a_grid_of_another_township(client_as, town01_staff):
    other = Grid.objects.exclude(code__startswith=TOWNSHIP).first()
    mine = Grid.objects.filter(code__startswith=TOWNSHIP).first()
    client = client_as("town01")
    assert client.get(reverse("admin:geo_grid_change", args=[mine.pk])).status_code == 200
    response = client.get(reverse("admin:geo_grid_change", args=[other.pk]))
    assert response.status_code == 302  # the admin's "object does not exist" redirect
    assert response["Location"] == reverse("admin:index")


def test_township_staff_see_only_their_regions_and_team_members(client_as, town01_staff):
    client = client_as("town01")
    regions = client.get(reverse("admin:geo_region_changelist")).context["cl"].queryset
    assert regions.exists()
    assert all(r.path.count(f"/{TOWNSHIP}/") == 1 for r in regions)
    members = client.get(reverse("admin:geo_gridmember_changelist")).context["cl"].queryset
    assert members.exists()
    assert all(m.grid.code.startswith(TOWNSHIP) for m in members)


def test_township_staff_do_not_see_superusers_or_other_townships_users(client_as, town01_staff):
    users = client_as("town01").get(reverse("admin:accounts_user_changelist")).context["cl"]
    usernames = {u.username for u in users.queryset}
    assert "grid01" in usernames
    assert "admin" not in usernames
    assert "grid02" not in usernames


def test_township_staff_cannot_make_themselves_superuser(client_as, town01_staff):
    url = reverse("admin:accounts_user_change", args=[town01_staff.pk])
    form = client_as("town01").get(url).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields


def test_township_staff_grid_region_choices_are_their_regions(client_as, town01_staff):
    grid = Grid.objects.filter(code__startswith=TOWNSHIP).first()
    response = client_as("town01").get(reverse("admin:geo_grid_change", args=[grid.pk]))
    region_choices = response.context["adminform"].form.fields["region"].queryset
    assert all(f"/{TOWNSHIP}/" in r.path for r in region_choices)


def test_staff_without_permissions_see_no_grids(client, user):
    center = user("center")
    center.groups.clear()
    assert center.is_staff and not center.is_superuser
    client.force_login(center)
    response = client.get(reverse("admin:geo_grid_changelist"))
    assert response.status_code == 403


def test_demo_centre_staff_manage_the_county_grids_in_the_admin(client_as):
    response = client_as("center").get(reverse("admin:geo_grid_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == Grid.objects.count()


def test_region_code_and_parent_cannot_be_changed_once_saved(client_as):
    region = Region.objects.get(code=TOWNSHIP)
    url = reverse("admin:geo_region_change", args=[region.pk])
    form = client_as("admin").get(url).context["adminform"].form
    assert "code" not in form.fields
    assert "parent" not in form.fields


def test_township_staff_see_only_memberships_in_their_scope(client_as, town01_staff):
    response = client_as("town01").get(reverse("admin:accounts_membership_changelist"))
    memberships = response.context["cl"].queryset
    assert memberships.filter(user__username="grid01").exists()
    assert not memberships.filter(user__username="grid02").exists()
    assert not memberships.filter(user__username="center").exists()
