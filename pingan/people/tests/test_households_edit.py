"""Editing a household on a phone: number, address and grid; members joining, changing their
relation, a new head, members leaving — scoped, with field errors and nothing half-changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from pingan.geo.models import Grid
from pingan.people import idnumber, services
from pingan.people.models import Address, Household, HouseholdMember, Resident

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
HEAD_ID = idnumber.generate("513999", dt.date(1970, 5, 1), 11)
SPOUSE_ID = idnumber.generate("513999", dt.date(1972, 8, 9), 22)
NEW_ID = idnumber.generate("513999", dt.date(2001, 4, 5), 33)
OTHER_ID = idnumber.generate("513999", dt.date(1950, 9, 9), 44)
PHONE = "13912345678"


@pytest.fixture
def household(user):
    """王大山's household in grid01: him (head) and 李小芳 (spouse)."""
    return services.create_household(
        grid=Grid.objects.get(code=GRID01),
        number="H-0001",
        registered_address="示范县城关镇南门路12号",
        members=[
            {"name": "王大山", "id_number": HEAD_ID, "phone": "13800001111", "relation": "head"},
            {"name": "李小芳", "id_number": SPOUSE_ID, "phone": "", "relation": "spouse"},
        ],
        acting_user=user("grid01"),
    )


def make_resident(grid_code=GRID01, number=OTHER_ID, name="赵老四"):
    grid = Grid.objects.get(code=grid_code)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(number)
    resident.set_phone(PHONE)
    resident.save()
    return resident


def relations(household) -> dict[str, str]:
    return {m.resident.name: m.relation for m in household.memberships.select_related("resident")}


def new_member_post(**extra):
    return {
        "name": "王小明",
        "id_number": NEW_ID,
        "phone": PHONE,
        "relation": "child",
        "registered_address": "示范县城关镇南门路12号",
        **extra,
    }


def test_grid01_adds_a_new_resident_to_a_kept_household(client_as, household, user):
    client = client_as("grid01")
    url = f"/people/households/{household.pk}/members/new/"
    form = client.get(url).content.decode()
    assert "示范县城关镇南门路12号" in form  # the head's registration, filled in

    response = client.post(url, new_member_post())

    assert response.status_code == 302
    assert relations(household) == {"王大山": "head", "李小芳": "spouse", "王小明": "child"}
    child = Resident.objects.get(name="王小明")
    assert child.grid.code == GRID01 and child.collected_by == user("grid01")
    assert child.reveal_id_number() == NEW_ID and child.birth_date == dt.date(2001, 4, 5)
    page = client.get(response["Location"]).content.decode()
    assert "王小明" in page and child.id_number_masked in page
    assert NEW_ID not in page and PHONE not in page


def test_a_bad_id_number_is_a_field_error_and_nothing_changes(client_as, household):
    good = NEW_ID
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = client_as("grid01").post(
        f"/people/households/{household.pk}/members/new/",
        new_member_post(id_number=bad, phone="123"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "check digit" in html.split("field-id_number")[1].split("field-phone")[0]
    assert "invalid-feedback" in html.split("field-phone")[1].split("field-relation")[0]
    assert 'value="王小明"' in html and f'value="{bad}"' in html  # what was typed is kept
    assert Resident.objects.count() == 2 and household.memberships.count() == 2


def test_a_kept_id_number_is_refused_for_a_new_resident(client_as, household):
    make_resident()

    response = client_as("grid01").post(
        f"/people/households/{household.pk}/members/new/", new_member_post(id_number=OTHER_ID)
    )

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode().split("field-id_number")[1][:800]
    assert household.memberships.count() == 2


def test_a_kept_resident_is_found_by_name_id_suffix_or_whole_id_and_added(client_as, household):
    resident = make_resident()
    client = client_as("grid01")
    url = f"/people/households/{household.pk}/members/add/"

    for query in ("赵老", OTHER_ID[-4:], OTHER_ID):
        page = client.post(url, {"q": query, "search": "1"}).content.decode()
        assert f'id="result-{resident.pk}"' in page, query
        assert OTHER_ID not in page.split('id="search-results"')[1]
    # Members already in the household are not offered again.
    assert 'id="empty-state"' in client.post(url, {"q": "王大山", "search": "1"}).content.decode()

    response = client.post(url, {"resident": resident.pk, "relation": "parent"})

    assert response.status_code == 302
    assert relations(household)["赵老四"] == "parent"


def test_a_resident_of_another_grid_can_neither_be_found_nor_added(client_as, household):
    stranger = make_resident(GRID02)
    client = client_as("grid01")
    url = f"/people/households/{household.pk}/members/add/"

    for query in ("赵老四", OTHER_ID):
        page = client.post(url, {"q": query, "search": "1"}).content.decode()
        assert 'id="empty-state"' in page and f'id="result-{stranger.pk}"' not in page
    response = client.post(url, {"resident": stranger.pk, "relation": "child"})

    assert response.status_code == 400 and 'id="resident-error"' in response.content.decode()
    assert household.memberships.count() == 2


def test_a_member_changes_relation(client_as, household):
    spouse = household.memberships.get(relation="spouse")

    response = client_as("grid01").post(
        f"/people/households/{household.pk}/members/{spouse.pk}/relation/",
        {f"m{spouse.pk}-relation": "sibling"},
    )

    assert response.status_code == 302
    assert relations(household) == {"王大山": "head", "李小芳": "sibling"}


def test_a_second_head_is_refused_with_a_clear_error(client_as, household):
    spouse = household.memberships.get(relation="spouse")

    response = client_as("grid01").post(
        f"/people/households/{household.pk}/members/{spouse.pk}/relation/",
        {f"m{spouse.pk}-relation": "head"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    assert response.status_code == 400
    member = html.split(f'id="member-{spouse.pk}"')[1].split("</li>")[0]
    assert "already has a head" in member and "Change head" in member
    assert relations(household) == {"王大山": "head", "李小芳": "spouse"}


def test_adding_a_second_head_is_a_field_error_too(client_as, household):
    client = client_as("grid01")

    new = client.post(
        f"/people/households/{household.pk}/members/new/", new_member_post(relation="head")
    )
    existing = client.post(
        f"/people/households/{household.pk}/members/add/",
        {"resident": make_resident().pk, "relation": "head"},
    )

    assert new.status_code == 400 and existing.status_code == 400
    assert "invalid-feedback" in new.content.decode().split("field-relation")[1][:2000]
    assert list(household.memberships.filter(relation="head").values_list("resident__name")) == [
        ("王大山",)
    ]
    assert not Resident.objects.filter(name="王小明").exists()


def test_the_head_changes_and_the_former_head_takes_the_relation_chosen(client_as, household):
    spouse = household.memberships.get(relation="spouse")
    client = client_as("grid01")
    url = f"/people/households/{household.pk}/head/"
    assert "李小芳" in client.get(url).content.decode()

    response = client.post(url, {"new_head": spouse.pk, "former_head_relation": "spouse"})

    assert response.status_code == 302
    assert relations(household) == {"王大山": "spouse", "李小芳": "head"}


def test_the_head_cannot_be_changed_to_a_stranger_or_to_head_twice(client_as, household, user):
    other = services.create_household(
        grid=Grid.objects.get(code=GRID01),
        number="H-0002",
        registered_address="示范县",
        members=[{"name": "赵一", "id_number": NEW_ID, "phone": "", "relation": "head"}],
        acting_user=user("grid01"),
    )
    foreign = other.memberships.get()
    url = f"/people/households/{household.pk}/head/"

    wrong_member = client_as("grid01").post(
        url, {"new_head": foreign.pk, "former_head_relation": "spouse"}
    )
    head_twice = client_as("grid01").post(
        url,
        {
            "new_head": household.memberships.get(relation="spouse").pk,
            "former_head_relation": "head",
        },
    )

    assert wrong_member.status_code == 400 and head_twice.status_code == 400
    assert relations(household) == {"王大山": "head", "李小芳": "spouse"}


def test_the_head_relation_cannot_be_taken_away_without_a_new_head(household, user):
    head = household.memberships.get(relation="head")

    with pytest.raises(ValidationError) as error:
        services.change_member_relation(head, relation="child", acting_user=user("grid01"))

    assert "relation" in error.value.message_dict
    assert relations(household)["王大山"] == "head"


def test_removing_a_member_asks_first_and_keeps_the_resident(client_as, household):
    spouse = household.memberships.get(relation="spouse")
    client = client_as("grid01")
    url = f"/people/households/{household.pk}/members/{spouse.pk}/remove/"

    confirm = client.get(url)

    assert confirm.status_code == 200 and 'id="remove-form"' in confirm.content.decode()
    assert household.memberships.count() == 2  # asking changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert relations(household) == {"王大山": "head"}
    assert Resident.objects.filter(name="李小芳").exists()


def test_the_head_leaves_only_after_a_new_head_is_chosen(client_as, household):
    head = household.memberships.get(relation="head")

    response = client_as("grid01").post(
        f"/people/households/{household.pk}/members/{head.pk}/remove/",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "Change head" in response.content.decode().split('id="remove-error"')[1][:300]
    assert household.memberships.count() == 2


def test_the_centre_moves_a_household_to_another_grid_with_its_members_and_an_address(
    client_as, household
):
    grid02 = Grid.objects.get(code=GRID02)
    data = {
        "household_number": "H-0009",
        "grid": grid02.pk,
        "street": "北街",
        "number": "7",
        "building": "",
        "unit": "",
        "room": "",
        "move_members": "on",
    }

    response = client_as("center").post(f"/people/households/{household.pk}/edit/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    household.refresh_from_db()
    assert household.number == "H-0009" and household.grid == grid02
    assert household.path == grid02.region.path
    assert str(household.address) == "北街7号" and Address.objects.count() == 1
    for resident in Resident.objects.all():
        assert resident.grid == grid02 and resident.path == grid02.region.path
    assert client_as("grid02").get(f"/people/households/{household.pk}/").status_code == 200
    assert client_as("grid01").get(f"/people/households/{household.pk}/").status_code == 404


def test_grid01_edits_the_number_and_cannot_move_the_household_out_of_its_grids(
    client_as, household
):
    client = client_as("grid01")
    url = f"/people/households/{household.pk}/edit/"
    assert 'value="H-0001"' in client.get(url).content.decode()
    data = {"household_number": "H-0100", "grid": Grid.objects.get(code=GRID02).pk, "street": ""}

    refused = client.post(url, data)
    saved = client.post(url, {**data, "grid": Grid.objects.get(code=GRID01).pk})

    assert refused.status_code == 400
    assert saved.status_code == 302
    household.refresh_from_db()
    assert household.number == "H-0100" and household.grid.code == GRID01
    assert household.address is None


def test_an_address_without_its_street_is_a_field_error(client_as, household):
    data = {"household_number": "H-7", "grid": household.grid_id, "street": "", "room": "301"}

    response = client_as("grid01").post(f"/people/households/{household.pk}/edit/", data)

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode().split("field-street")[1][:600]
    household.refresh_from_db()
    assert household.number == "H-0001"


def test_grid02_gets_404_on_every_page_and_action_of_grid01s_household(client_as, household):
    member = household.memberships.get(relation="spouse")
    base = f"/people/households/{household.pk}"
    client = client_as("grid02")

    for url in (
        f"{base}/",
        f"{base}/edit/",
        f"{base}/members/new/",
        f"{base}/members/add/",
        f"{base}/head/",
        f"{base}/members/{member.pk}/remove/",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"{base}/edit/", {"household_number": "X", "grid": household.grid_id, "street": ""}),
        (f"{base}/members/new/", new_member_post()),
        (f"{base}/members/{member.pk}/relation/", {f"m{member.pk}-relation": "child"}),
        (f"{base}/head/", {"new_head": member.pk, "former_head_relation": "spouse"}),
        (f"{base}/members/{member.pk}/remove/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert relations(household) == {"王大山": "head", "李小芳": "spouse"}
    assert Household.objects.get().number == "H-0001"


def test_a_member_of_another_household_cannot_be_changed_through_this_one(
    client_as, household, user
):
    other = services.create_household(
        grid=Grid.objects.get(code=GRID01),
        number="H-0002",
        registered_address="示范县",
        members=[{"name": "赵一", "id_number": NEW_ID, "phone": "", "relation": "head"}],
        acting_user=user("grid01"),
    )
    foreign = other.memberships.get()
    client = client_as("grid01")

    assert (
        client.post(f"/people/households/{household.pk}/members/{foreign.pk}/remove/").status_code
        == 404
    )
    assert other.memberships.count() == 1


def test_the_household_page_shows_the_head_first_and_only_masked_numbers(client_as, household):
    page = client_as("grid01").get(f"/people/households/{household.pk}/")

    html = page.content.decode()
    assert html.index("王大山") < html.index("李小芳")
    assert HEAD_ID not in html and "13800001111" not in html
    assert idnumber.mask(HEAD_ID) in html
    for anchor in ('id="edit-household"', 'id="add-new-member"', 'id="change-head"'):
        assert anchor in html


def test_the_service_turns_a_racing_second_head_into_a_field_error(household, user):
    # Another request made a head between the check and the insert: the constraint answers.
    grid = Grid.objects.get(code=GRID01)
    empty = Household.objects.create(grid=grid, region=grid.region, number="H-9")
    resident = make_resident()
    HouseholdMember.objects.create(household=empty, resident=resident, relation="head")

    with pytest.raises(ValidationError) as error:
        services._add_membership(empty, Resident.objects.get(name="李小芳"), "head")

    assert "relation" in error.value.message_dict
    assert empty.memberships.count() == 1
