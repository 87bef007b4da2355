"""Every basic-data form reports all its field errors at once, and a failed POST leaves the
browser on a URL that a reload (GET) opens again."""

from __future__ import annotations

import datetime as dt

import pytest

from pingan.core.form_testing import bad_values
from pingan.geo.models import Grid
from pingan.people import idnumber, services
from pingan.people.models import House, Household, Organization
from pingan.people.tests.test_collect import house_post
from pingan.people.tests.test_pages import household_post

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
HEAD_ID = idnumber.generate("513999", dt.date(1970, 5, 1), 11)
SPOUSE_ID = idnumber.generate("513999", dt.date(1972, 8, 9), 22)


@pytest.fixture
def household(user):
    return services.create_household(
        grid=Grid.objects.get(code=GRID01),
        number="H-0001",
        registered_address="示范县城关镇南门路12号",
        members=[
            {"name": "王大山", "id_number": HEAD_ID, "phone": "", "relation": "head"},
            {"name": "李小芳", "id_number": SPOUSE_ID, "phone": "", "relation": "spouse"},
        ],
        acting_user=user("grid01"),
    )


PAGES = [
    "/people/houses/new/",
    "/people/organizations/new/",
    "/people/groups/new/",
    "household-edit",
    "member-new",
]


@pytest.mark.parametrize("username", ["center", "grid01"])
@pytest.mark.parametrize("page", PAGES)
def test_each_basic_data_form_names_every_bad_field_at_once(client_as, household, page, username):
    url = {
        "household-edit": f"/people/households/{household.pk}/edit/",
        "member-new": f"/people/households/{household.pk}/members/new/",
    }.get(page, page)
    client = client_as(username)
    form = client.get(url).context["form"]
    data, expected = bad_values(form)
    response = client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= expected, (url, dict(errors))
    assert client.get(url).status_code == 200
    assert House.objects.count() == 0 and Organization.objects.count() == 0


def test_a_new_household_reports_its_own_and_its_members_errors_together(client_as):
    data = household_post(
        [
            ("王大山", HEAD_ID, "", "head"),
            ("李小芳", HEAD_ID, "not a phone", "head"),
            ("", "123", "", "child"),
        ]
    )
    data["household-registered_address"] = ""
    client = client_as("grid01")
    response = client.post("/people/households/new/", data)
    assert response.status_code == 400
    assert "registered_address" in response.context["form"].errors
    members = response.context["members"]
    assert "phone" in members.forms[1].errors
    assert {"name", "id_number"} <= set(members.forms[2].errors)
    assert set(members.non_form_errors()) == {
        "一户必须有且只有一位户主。",
        "同一身份证号填写了两次。",
    }
    assert not Household.objects.exists()
    assert client.get("/people/households/new/").status_code == 200


def test_a_house_at_a_kept_address_is_told_together_with_the_other_errors(client_as):
    client = client_as("grid01")
    assert client.post("/people/houses/new/", house_post()).status_code == 302
    response = client.post("/people/houses/new/", house_post(use="no-such-use"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"use", "street"} <= set(errors)
    assert House.objects.count() == 1


def test_reloading_a_failed_relation_change_opens_the_household(client_as, household):
    member = household.memberships.get(relation="spouse")
    url = f"/people/households/{household.pk}/members/{member.pk}/relation/"
    client = client_as("grid01")
    assert client.post(url, {f"m{member.pk}-relation": "nonsense"}).status_code == 400
    reloaded = client.get(url, follow=True)
    assert reloaded.status_code == 200
    assert reloaded.redirect_chain[-1][0] == f"/people/households/{household.pk}/"


def test_reloading_a_failed_reveal_opens_the_resident_masked(client_as, household):
    resident = household.memberships.get(relation="head").resident
    reloaded = client_as("center").get(f"/people/{resident.pk}/reveal/", follow=True)
    assert reloaded.status_code == 200
    assert reloaded.redirect_chain[-1][0] == f"/people/{resident.pk}/"
    assert HEAD_ID not in reloaded.content.decode()
