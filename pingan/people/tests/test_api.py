"""The basic-data API: masked numbers, reveal with a reason, access log, scope, writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone, translation

from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.models import AccessLog, Household, HouseholdMember, Resident, RevealLog

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
ID_NUMBER = idnumber.generate("513999", dt.date(1956, 3, 14), 123)
OTHER_ID = idnumber.generate("513999", dt.date(1980, 1, 2), 44)
PHONE = "13912345678"


def make_resident(grid_code=GRID01, number=ID_NUMBER, name="王秀兰", phone=PHONE):
    grid = Grid.objects.get(code=grid_code)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(number)
    resident.set_phone(phone)
    resident.save()
    return resident


def grant_reveal(user_obj):
    user_obj.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))


def test_the_resident_list_shows_masked_numbers_and_never_the_plain_ones(api_as):
    make_resident()

    response = api_as("grid01").get("/api/v1/residents/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["name"] == "王秀兰" and row["grid"]["code"] == GRID01
    assert row["id_number_masked"] and row["phone_masked"]
    body = response.content.decode()
    assert ID_NUMBER not in body and PHONE not in body


def test_the_list_is_searched_by_name_id_suffix_and_filtered_by_grid_and_unverified(api_as):
    make_resident()
    other = make_resident(GRID01, OTHER_ID, "张三", "13800001111")
    other.verified_at = timezone.now()
    other.save(update_fields=["verified_at"])
    api = api_as("center")

    def names(query):
        return sorted(r["name"] for r in api.get("/api/v1/residents/", query).json()["results"])

    assert names({"q": "王秀"}) == ["王秀兰"]
    assert names({"q": ID_NUMBER[-4:]}) == ["王秀兰"]
    assert names({"grid": GRID02}) == []
    assert names({"unverified": "true"}) == ["王秀兰"]


def test_viewing_a_resident_logs_the_access_with_the_fields_shown(api_as, user):
    resident = make_resident()

    response = api_as("grid01").get(f"/api/v1/residents/{resident.pk}/")

    assert response.status_code == 200
    assert ID_NUMBER not in response.content.decode()
    [entry] = AccessLog.objects.filter(resident=resident)
    assert entry.via == "api" and entry.user == user("grid01")
    assert "id_number_masked" in entry.fields


def test_another_grid_cannot_list_or_fetch_a_resident_even_by_guessing_the_id(api_as):
    resident = make_resident(GRID01)
    api = api_as("grid02")

    assert api.get("/api/v1/residents/").json()["results"] == []
    assert api.get(f"/api/v1/residents/{resident.pk}/").status_code == 404
    reveal = {"field": "id_number", "reason": "入户核实身份"}
    assert api.post(f"/api/v1/residents/{resident.pk}/reveal/", reveal).status_code == 404
    assert not AccessLog.objects.exists()


def test_revealing_needs_the_permission_and_a_reason_and_is_logged(api_as, user):
    resident = make_resident()
    url = f"/api/v1/residents/{resident.pk}/reveal/"

    refused = api_as("center").post(url, {"field": "id_number", "reason": "入户核实身份"})
    assert refused.status_code == 403 and ID_NUMBER not in refused.content.decode()
    grant_reveal(user("center"))
    no_reason = api_as("center").post(url, {"field": "id_number", "reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert not RevealLog.objects.exists()

    shown = api_as("center").post(url, {"field": "phone", "reason": "联系家属"})

    assert shown.status_code == 200 and shown.json() == {"field": "phone", "value": PHONE}
    [entry] = RevealLog.objects.all()
    assert (entry.user, entry.field, entry.reason) == (user("center"), "phone", "联系家属")


def test_grid_staff_add_a_resident_and_bad_numbers_answer_by_field(api_as):
    api = api_as("grid01")
    data = {
        "name": "李四",
        "id_number": ID_NUMBER,
        "phone": PHONE,
        "registered_address": "示范县城关镇",
    }

    created = api.post("/api/v1/residents/", data, format="json")

    assert created.status_code == 201, created.content
    body = created.content.decode()
    assert ID_NUMBER not in body and PHONE not in body
    resident = Resident.objects.get(pk=created.json()["id"])
    assert resident.grid.code == GRID01 and resident.reveal_id_number() == ID_NUMBER
    with translation.override("en"):
        bad = api.post(
            "/api/v1/residents/",
            {**data, "id_number": ID_NUMBER[:-1] + "0", "phone": "123"},
            format="json",
        )
    assert bad.status_code == 400
    assert "id_number" in bad.json() and "phone" in bad.json()


def test_departments_cannot_add_residents(api_as):
    data = {"name": "李四", "id_number": ID_NUMBER, "registered_address": "示范县"}

    response = api_as("dept-transport").post("/api/v1/residents/", data, format="json")

    assert response.status_code == 403
    assert not Resident.objects.exists()


def test_a_household_lists_its_members_with_their_relations_masked(api_as):
    head = make_resident()
    child = make_resident(GRID01, OTHER_ID, "张三", "13800001111")
    grid = Grid.objects.get(code=GRID01)
    household = Household.objects.create(grid=grid, region=grid.region, number="H-1")
    HouseholdMember.objects.create(household=household, resident=head, relation="head")
    HouseholdMember.objects.create(household=household, resident=child, relation="child")

    response = api_as("grid01").get(f"/api/v1/households/{household.pk}/")

    assert response.status_code == 200
    relations = {m["resident"]["name"]: m["relation"] for m in response.json()["members"]}
    assert relations == {"王秀兰": "head", "张三": "child"}
    assert ID_NUMBER not in response.content.decode()
    assert api_as("grid02").get(f"/api/v1/households/{household.pk}/").status_code == 404
    for path in ("houses", "organizations", "addresses"):
        assert api_as("grid01").get(f"/api/v1/{path}/").status_code == 200


def test_a_bad_phone_in_a_change_answers_400_and_keeps_the_old_number(api_as):
    resident = make_resident()
    url = f"/api/v1/residents/{resident.pk}/"

    response = api_as("grid01").patch(url, {"phone": "12"}, format="json")

    assert response.status_code == 400 and "phone" in response.json()
    resident.refresh_from_db()
    assert resident.reveal_phone() == PHONE
    moved = api_as("grid01").patch(url, {"status": "moved_out"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "moved_out"
    assert api_as("grid02").patch(url, {"status": "living"}, format="json").status_code == 404


def test_the_resident_list_costs_the_same_queries_for_many_rows(
    api_as, django_assert_max_num_queries
):
    for seq in range(1, 11):
        make_resident(GRID01, idnumber.generate("513999", dt.date(1990, 1, seq), seq), f"居民{seq}")
    api = api_as("grid01")

    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/residents/")

    assert response.json()["count"] == 10


def test_the_household_list_carries_each_households_members_in_few_queries(
    api_as, django_assert_max_num_queries
):
    grid = Grid.objects.get(code=GRID01)
    for seq in range(1, 6):
        head = make_resident(
            GRID01, idnumber.generate("513999", dt.date(1980, 2, seq), seq), f"户主{seq}"
        )
        household = Household.objects.create(grid=grid, region=grid.region, number=f"H-{seq}")
        HouseholdMember.objects.create(household=household, resident=head, relation="head")
    api = api_as("grid01")
    api.get("/api/v1/households/")

    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/households/")

    rows = response.json()["results"]
    assert len(rows) == 5
    assert all(len(row["members"]) == 1 and row["members"][0]["relation"] == "head" for row in rows)
    assert all(row["members"][0]["resident"]["id_number_masked"] for row in rows)
