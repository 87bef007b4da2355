"""House import (实有房屋) from Excel: addresses found or made, bad rows reported, idempotent."""

from __future__ import annotations

import pytest
from django.utils import translation

from pingan.geo.models import Grid
from pingan.people.importers import ImportFileError, import_houses
from pingan.people.importers.houses import HouseImporter
from pingan.people.models import Address, House, normalise_address
from pingan.people.tests.xlsx_helpers import GRID01, GRID02, workbook, write

pytestmark = pytest.mark.django_db

HEADER = HouseImporter.header_labels()


def row(street="人民路", number="1", use="", rented="", lng=None, lat=None, grid=GRID01, **extra):
    values = {
        "building": "",
        "unit": "",
        "room": "",
        "owner": "",
        "occupier": "",
        "notes": "",
        **extra,
    }
    return [
        grid,
        street,
        number,
        values["building"],
        values["unit"],
        values["room"],
        use,
        values["owner"],
        values["occupier"],
        rented,
        values["notes"],
        lng,
        lat,
    ]


def good_rows():
    return [
        row("人民路", "12", "商铺", "是", 104.1, 30.2, owner="张三", occupier="李四"),
        row("人民路", "14", building="2", unit="1", room="301", notes="楼道堆放杂物"),
        row("幸福巷", "3", "空置", "否"),
    ]


def bad_rows():
    return [
        row(street=""),  # row 5: no street
        row("建设路", "1", grid="513999999999999"),  # row 6: unknown grid
        row("建设路", "2", use="城堡"),  # row 7: unknown use
        row("建设路", "3", rented="也许"),  # row 8: neither 是 nor 否
        row("建设路", "4", lng=204.0, lat=30.0),  # row 9: not in China
        row("建设路", "5", lng=104.0),  # row 10: longitude without latitude
        row("人民路", "１２"),  # row 11: the address of row 2 (full-width digits)
    ]


def import_as(tmp_path, username, rows, user, name="houses.xlsx"):
    with translation.override("en"):
        return import_houses(write(tmp_path, workbook(HEADER, rows), name), user=user(username))


def test_good_rows_are_stored_at_standard_addresses_of_the_grids_village(tmp_path, user):
    result = import_as(tmp_path, "center", good_rows(), user)

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    grid = Grid.objects.get(code=GRID01)
    shop = House.objects.get(address__street="人民路", address__number="12")
    assert shop.use == House.Use.SHOP and shop.is_rented
    assert (shop.owner_name, shop.occupier_name) == ("张三", "李四")
    assert shop.grid == grid and shop.region_id == grid.region_id and shop.path
    assert (shop.address.lng, shop.address.lat) == (104.1, 30.2)
    assert shop.address.normalised == normalise_address(
        grid.region.code, "人民路", "12", "", "", ""
    )
    assert shop.collected_by == user("center")
    flat = House.objects.get(address__room="301")
    assert flat.use == House.Use.HOME and not flat.is_rented  # blanks: home, not rented
    assert flat.safety_notes == "楼道堆放杂物"
    assert House.objects.get(address__street="幸福巷").use == House.Use.VACANT


def test_the_template_says_产权人_as_the_house_page_and_older_房主_files_still_import(
    tmp_path, user
):
    assert "产权人" in HEADER and "房主" not in HEADER
    older = [("房主" if h == "产权人" else h) for h in HEADER]
    path = write(tmp_path, workbook(older, [row(owner="张三")]))

    import_houses(path, user=user("center"))

    assert House.objects.get(address__street="人民路").owner_name == "张三"


def test_each_bad_row_is_rejected_with_its_column_and_reason(tmp_path, user):
    result = import_as(tmp_path, "center", good_rows() + bad_rows(), user)

    assert result.created == 3 and result.rejected_count == 7
    reasons = {r.row: (r.column, r.reason) for r in result.rejected}
    assert reasons[5] == ("街路巷", "The street or road is missing.")
    assert reasons[6] == ("网格编码", "There is no grid with this code.")
    assert reasons[7][0] == "房屋用途" and "自住" in reasons[7][1]
    assert reasons[8] == ("是否出租", "Write 是 or 否.")
    assert reasons[9][0] == "经度" and "not in China" in reasons[9][1]
    assert reasons[10] == ("纬度", "Give both the longitude and the latitude, or neither.")
    assert reasons[11] == ("街路巷", "The same address is already in row 2.")
    assert House.objects.count() == 3


def test_importing_the_same_file_again_changes_nothing(tmp_path, user):
    import_as(tmp_path, "center", good_rows() + bad_rows(), user)
    houses = list(House.objects.order_by("pk").values())
    addresses = list(Address.objects.order_by("pk").values())

    again = import_as(tmp_path, "center", good_rows() + bad_rows(), user, "again.xlsx")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert again.rejected_count == 7
    assert list(House.objects.order_by("pk").values()) == houses
    assert list(Address.objects.order_by("pk").values()) == addresses


def test_a_changed_row_updates_the_house_at_the_same_address(tmp_path, user):
    import_as(tmp_path, "center", good_rows(), user)
    rows = good_rows()
    rows[2][6], rows[2][7] = "自住", "王五"

    result = import_as(tmp_path, "center", rows, user, "changed.xlsx")

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    house = House.objects.get(address__street="幸福巷")
    assert (house.use, house.owner_name) == (House.Use.HOME, "王五")
    assert House.objects.count() == 3


def test_a_house_kept_through_the_form_is_found_by_its_address_not_duplicated(tmp_path, user):
    grid = Grid.objects.get(code=GRID01)
    address = Address.objects.create(grid=grid, region=grid.region, street="人民路", number="12")
    kept = House.objects.create(address=address, grid=grid, region=grid.region)

    result = import_as(tmp_path, "center", [row(" 人民路 ", "12", "商铺")], user)

    assert (result.created, result.updated) == (0, 1)
    kept.refresh_from_db()
    assert kept.use == House.Use.SHOP and House.objects.count() == 1


def test_a_grid_worker_cannot_import_into_another_grid(tmp_path, user):
    result = import_as(tmp_path, "grid02", [row(grid=GRID01)], user)

    assert result.created == 0
    assert result.rejected[0].reason == "This grid is outside your area."
    assert not House.objects.exists()


def test_a_grid_worker_imports_into_their_own_grid(tmp_path, user):
    result = import_as(tmp_path, "grid02", [row(grid=GRID02)], user)

    assert result.created == 1
    assert House.objects.get().grid.code == GRID02


def test_a_file_without_the_required_columns_is_refused_and_nothing_is_written(tmp_path, user):
    content = workbook(["网格编码", "门牌号"], [[GRID01, "1"]])

    with translation.override("en"), pytest.raises(ImportFileError) as info:
        import_houses(write(tmp_path, content), user=user("center"))

    assert "街路巷" in info.value.message
    assert not House.objects.exists() and not Address.objects.exists()


def test_a_grid_worker_cannot_change_a_house_of_another_grid_in_their_village(tmp_path, user):
    neighbour = "513999001001002"  # grid01's village, not grid01's grid
    import_as(tmp_path, "center", [row("人民路", "12", "商铺", grid=neighbour)], user)

    result = import_as(tmp_path, "grid01", [row("人民路", "12", "自住")], user, "b.xlsx")

    assert result.rejected[0].reason == "This house is recorded in a grid outside your area."
    house = House.objects.get()
    assert house.use == House.Use.SHOP and house.grid.code == neighbour
