"""Organisation import (实有单位) from Excel: credit codes checked, phones protected, idempotent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation

from pingan.people.importers import import_organizations
from pingan.people.importers.organizations import OrganizationImporter
from pingan.people.models import Address, Organization
from pingan.people.tests.xlsx_helpers import (
    GRID01,
    GRID02,
    credit_code,
    make_organization,
    workbook,
    write,
    wrong_check,
)

pytestmark = pytest.mark.django_db

HEADER = OrganizationImporter.header_labels()


def row(name, code="", kind="", grid=GRID01, street="", number="", contact="", phone=""):
    return [name, code, kind, grid, street, number, contact, phone]


def good_rows():
    return [
        row(
            "示范便民超市",
            credit_code(1),
            "个体工商户",
            street="人民路",
            number="8",
            phone="13912345678",
        ),
        row("示范小学", "", "学校", contact="王老师", phone="0816-1234567"),
        row("示范茶馆", credit_code(2).lower(), "", street="幸福巷"),
    ]


def bad_rows():
    return [
        row(""),  # row 5: no name
        row("坏代码公司", wrong_check(credit_code(3))),  # row 6: wrong check character
        row("坏电话公司", phone="电话号码"),  # row 7: no phone number
        row("怪类型公司", kind="宇宙公司"),  # row 8: unknown kind
        row("无路公司", number="8"),  # row 9: a number without a street
        row("重复超市", credit_code(1)),  # row 10: the credit code of row 2
        row("示范小学"),  # row 11: the name of row 3, in the same village, without a code
        row("外区公司", grid="513999999999999"),  # row 12: unknown grid
    ]


def import_as(tmp_path, username, rows, user, name="organizations.xlsx"):
    with translation.override("en"):
        path = write(tmp_path, workbook(HEADER, rows), name)
        return import_organizations(path, user=user(username))


def test_good_rows_are_stored_with_a_masked_phone_and_their_address(tmp_path, user):
    result = import_as(tmp_path, "center", good_rows(), user)

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    shop = Organization.objects.get(credit_code=credit_code(1))
    assert shop.kind == Organization.Kind.SHOP and shop.grid.code == GRID01
    assert shop.contact_phone_masked == "139****5678"
    assert str(shop.address) == "人民路8号" and shop.address.region_id == shop.region_id
    school = Organization.objects.get(name="示范小学")
    assert school.credit_code is None and school.kind == Organization.Kind.SCHOOL
    assert school.contact_name == "王老师" and school.address is None
    tea = Organization.objects.get(name="示范茶馆")
    assert tea.credit_code == credit_code(2)  # normalised to upper case
    assert tea.kind == Organization.Kind.ENTERPRISE  # blank: the first kind


def test_each_bad_row_is_rejected_with_its_column_and_reason(tmp_path, user):
    result = import_as(tmp_path, "center", good_rows() + bad_rows(), user)

    assert result.created == 3 and result.rejected_count == 8
    reasons = {r.row: (r.column, r.reason) for r in result.rejected}
    assert reasons[5] == ("单位名称", "The name is missing.")
    assert reasons[6][0] == "统一社会信用代码" and "check character" in reasons[6][1]
    assert reasons[7][0] == "联系电话"
    assert reasons[8][0] == "单位类型" and "个体工商户" in reasons[8][1]
    assert reasons[9] == ("街路巷", "A house number needs the street or road.")
    assert reasons[10] == ("统一社会信用代码", "The same credit code is already in row 2.")
    assert reasons[11][0] == "单位名称" and "already in row 3" in reasons[11][1]
    assert reasons[12] == ("网格编码", "There is no grid with this code.")
    assert Organization.objects.count() == 3


def test_a_rejected_phone_is_reported_masked(tmp_path, user):
    result = import_as(tmp_path, "center", [row("电话公司", phone="1391234567")], user)

    assert result.rejected[0].column == "联系电话"
    assert "1391234567" not in result.rejected[0].value


def test_importing_the_same_file_again_changes_nothing(tmp_path, user):
    import_as(tmp_path, "center", good_rows() + bad_rows(), user)
    before = list(Organization.objects.order_by("pk").values())
    addresses = Address.objects.count()

    again = import_as(tmp_path, "center", good_rows() + bad_rows(), user, "again.xlsx")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Organization.objects.order_by("pk").values()) == before
    assert Address.objects.count() == addresses


def test_an_organisation_is_updated_by_its_credit_code(tmp_path, user):
    kept = make_organization(GRID01, 1, "旧名称")

    result = import_as(tmp_path, "center", [row("新名称", credit_code(1), "企业")], user)

    assert (result.created, result.updated) == (0, 1)
    kept.refresh_from_db()
    assert kept.name == "新名称" and Organization.objects.count() == 1


def test_a_code_given_later_is_added_to_the_organisation_kept_by_name(tmp_path, user):
    import_as(tmp_path, "center", [row("示范小学", "", "学校")], user)

    result = import_as(
        tmp_path, "center", [row("示范小学", credit_code(5), "学校")], user, "b.xlsx"
    )

    assert (result.created, result.updated) == (0, 1)
    assert Organization.objects.get().credit_code == credit_code(5)


def test_the_database_holds_no_plain_contact_phone(tmp_path, user):
    import_as(tmp_path, "center", good_rows(), user)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Organization._meta.db_table}")  # noqa: S608
        dump = " ".join(str(v) for found in cursor.fetchall() for v in found)

    assert "13912345678" not in dump and "1234567" not in dump


def test_a_masked_phone_as_exported_keeps_the_stored_number(tmp_path, user):
    kept = make_organization(GRID01, 1, "示范超市", phone="13912345678")
    stored = kept.contact_phone_encrypted

    unchanged = import_as(
        tmp_path, "center", [row("示范超市", credit_code(1), "企业", phone="139****5678")], user
    )
    wrong = import_as(
        tmp_path, "center", [row("示范超市", credit_code(1), phone="139****0000")], user, "b.xlsx"
    )

    assert unchanged.unchanged == 1
    assert wrong.rejected[0].reason == "This phone number is masked: write the full number."
    kept.refresh_from_db()
    assert kept.contact_phone_encrypted == stored


def test_a_grid_worker_cannot_import_into_another_grid(tmp_path, user):
    result = import_as(tmp_path, "grid02", [row("越界公司", grid=GRID01)], user)

    assert result.rejected[0].reason == "This grid is outside your area."
    assert not Organization.objects.exists()


def test_a_grid_worker_cannot_take_over_another_grids_organisation_by_its_code(tmp_path, user):
    kept = make_organization(GRID01, 1, "一网格超市")

    result = import_as(tmp_path, "grid02", [row("二网格超市", credit_code(1), grid=GRID02)], user)

    assert result.rejected[0].reason == "This organisation is recorded in a grid outside your area."
    kept.refresh_from_db()
    assert kept.name == "一网格超市" and kept.grid.code == GRID01
