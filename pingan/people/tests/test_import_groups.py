"""联户 group import from Excel: one member per row, heads by ID number, nothing added twice."""

from __future__ import annotations

import pytest
from django.utils import translation

from pingan.people import idnumber
from pingan.people.importers import import_groups
from pingan.people.importers.groups import GroupImporter
from pingan.people.models import HouseholdGroup
from pingan.people.tests.xlsx_helpers import (
    GRID01,
    GRID02,
    credit_code,
    ident,
    make_household,
    make_organization,
    make_resident,
    workbook,
    write,
)

pytestmark = pytest.mark.django_db

HEADER = GroupImporter.header_labels()
NAME = "人民路十户联防1组"


def row(name=NAME, kind="", grid=GRID01, head="", household="", code="", vehicle=""):
    return [name, kind, grid, head, household, code, vehicle]


@pytest.fixture
def records():
    """Residents, households and a shop in grid01's grid, and a resident in grid02's."""
    return {
        "head": make_resident(GRID01, 1, "王联户"),
        "other": make_resident(GRID01, 2, "李居民"),
        "far": make_resident(GRID02, 3, "赵远方"),
        "h1": make_household(GRID01, "H001"),
        "h2": make_household(GRID01, "H002"),
        "shop": make_organization(GRID01, 1, "示范超市"),
    }


def good_rows():
    return [
        row(kind="十户联防", head=ident(1), household="H001"),
        row(household="H002"),
        row(code=credit_code(1)),
        row(vehicle="川A12345  张三"),
        row(vehicle="川B54321 李四", head=ident(1)),
        row("幸福巷十铺", "十铺", code=credit_code(1)),
    ]


def import_as(tmp_path, username, rows, user, name="groups.xlsx"):
    with translation.override("en"):
        return import_groups(write(tmp_path, workbook(HEADER, rows), name), user=user(username))


def test_rows_of_one_group_make_one_group_with_its_head_and_members(tmp_path, user, records):
    result = import_as(tmp_path, "center", good_rows(), user)

    assert result.rejected == [] and result.created == 6
    group = HouseholdGroup.objects.get(name=NAME)
    assert group.kind == HouseholdGroup.Kind.HOUSEHOLDS and group.head == records["head"]
    assert group.grid.code == GRID01 and group.region_id == records["h1"].region_id
    assert set(group.households.all()) == {records["h1"], records["h2"]}
    assert list(group.organizations.all()) == [records["shop"]]
    assert group.vehicles.splitlines() == ["川A12345 张三", "川B54321 李四"]
    shops = HouseholdGroup.objects.get(name="幸福巷十铺")
    assert shops.kind == HouseholdGroup.Kind.SHOPS and shops.head is None
    assert HouseholdGroup.objects.count() == 2


def test_each_bad_row_is_rejected_with_its_reason(tmp_path, user, records):
    nobody = ident(99)
    rows = [
        *good_rows(),
        row(""),  # row 8: no name
        row(kind="十人"),  # row 9: unknown type
        row(head=nobody),  # row 10: nobody has this ID number
        row("二组", head=ident(3)),  # row 11: a resident of another grid, but centre sees all
        row(household="H999"),  # row 12: no such household
        row(code=credit_code(7)),  # row 13: no such organisation
        row(kind="十车"),  # row 14: another type than row 2 said
        row(household="H001"),  # row 15: listed in row 2 already
        row(head=ident(2)),  # row 16: another head than row 2 named
        row(head="510***********1234"),  # row 17: a masked number of no one
    ]

    result = import_as(tmp_path, "center", rows, user)

    reasons = {r.row: (r.column, r.reason, r.value) for r in result.rejected}
    assert set(reasons) == {8, 9, 10, 12, 13, 14, 15, 16, 17}
    assert reasons[8][:2] == ("联户名称", "The group's name is missing.")
    assert reasons[9][:2] == ("类型", "Write 十户联防, 十铺 or 十车.")
    assert reasons[10] == (
        "联户长身份证号",
        "No resident you may see has this ID number.",
        idnumber.mask(nobody),
    )
    assert reasons[12][0] == "成员户号" and reasons[12][2] == "H999"
    assert reasons[13][0] == "成员单位信用代码"
    assert reasons[14][:2] == ("类型", "Row 2 gives this group a different value.")
    assert reasons[15][:2] == ("成员户号", "This member is already listed for the group in row 2.")
    assert reasons[16][0] == "联户长身份证号" and ident(2) not in reasons[16][2]
    assert reasons[17][:2] == ("联户长身份证号", "This ID number is masked: write the full number.")
    assert HouseholdGroup.objects.get(name=NAME).head == records["head"]


def test_importing_the_same_file_again_adds_nothing(tmp_path, user, records):
    import_as(tmp_path, "center", good_rows(), user)
    groups = list(HouseholdGroup.objects.order_by("pk").values())
    members = sorted(HouseholdGroup.households.through.objects.values_list("pk", flat=True))

    again = import_as(tmp_path, "center", good_rows(), user, "again.xlsx")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert list(HouseholdGroup.objects.order_by("pk").values()) == groups
    assert sorted(HouseholdGroup.households.through.objects.values_list("pk", flat=True)) == members


def test_a_later_file_changes_the_groups_type_and_head(tmp_path, user, records):
    import_as(tmp_path, "center", good_rows(), user)

    result = import_as(tmp_path, "center", [row(kind="十车", head=ident(2))], user, "b.xlsx")

    assert (result.created, result.updated) == (0, 1)
    group = HouseholdGroup.objects.get(name=NAME)
    assert group.kind == HouseholdGroup.Kind.VEHICLES and group.head == records["other"]


def test_the_masked_head_of_an_export_keeps_the_head(tmp_path, user, records):
    import_as(tmp_path, "center", good_rows(), user)

    masked = records["head"].id_number_masked
    result = import_as(tmp_path, "center", [row(head=masked, household="H001")], user, "b.xlsx")

    assert result.rejected == [] and result.unchanged == 1
    assert HouseholdGroup.objects.get(name=NAME).head == records["head"]


def test_a_grid_worker_cannot_import_into_another_grid(tmp_path, user, records):
    result = import_as(tmp_path, "grid02", [row(grid=GRID01)], user)

    assert result.rejected[0].reason == "This grid is outside your area."
    assert not HouseholdGroup.objects.exists()


def test_a_grid_worker_cannot_name_a_head_or_shop_they_may_not_see(tmp_path, user, records):
    rows = [row("二组", grid=GRID02, head=ident(1)), row("二组", grid=GRID02, code=credit_code(1))]

    result = import_as(tmp_path, "grid02", rows, user)

    assert [r.reason for r in result.rejected] == [
        "No resident you may see has this ID number.",
        "There is no organisation with this credit code that you may see.",
    ]
    assert not HouseholdGroup.objects.exists()


def test_a_grid_worker_cannot_change_a_group_of_another_grid_in_their_village(
    tmp_path, user, records
):
    neighbour = "513999001001002"  # grid01's village, not grid01's grid
    import_as(tmp_path, "center", [row(grid=neighbour, kind="十户联防")], user)

    result = import_as(tmp_path, "grid01", [row(kind="十车", household="H001")], user, "b.xlsx")

    assert result.rejected[0].reason == "This group is recorded in a grid outside your area."
    group = HouseholdGroup.objects.get(name=NAME)
    assert group.grid.code == neighbour and group.kind == HouseholdGroup.Kind.HOUSEHOLDS
    assert not group.households.exists()


def test_the_same_name_in_another_village_is_another_group(tmp_path, user, records):
    import_as(tmp_path, "center", good_rows(), user)

    own = import_as(tmp_path, "grid02", [row(grid=GRID02, head=ident(3))], user, "b.xlsx")

    assert own.created == 1
    assert HouseholdGroup.objects.filter(name=NAME).count() == 2
    assert HouseholdGroup.objects.get(name=NAME, grid__code=GRID01).head == records["head"]
