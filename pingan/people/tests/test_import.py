"""Resident import from Excel: bad rows rejected with reasons, good rows stored, idempotent."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.utils import translation
from openpyxl import Workbook, load_workbook

from pingan.core.jobs import run_job, start_job
from pingan.core.models import Job
from pingan.people import idnumber
from pingan.people.importers import ImportFileError, header_labels, import_residents
from pingan.people.jobs import IMPORT_RESIDENTS
from pingan.people.models import HouseholdMember, Resident

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"


def ident(seq: int, year: int = 1970) -> str:
    return idnumber.generate("513999", dt.date(year, 1, 1) + dt.timedelta(days=seq), seq % 1000)


def workbook(rows, header=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header or header_labels())
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write(tmp_path, content: bytes, name: str = "residents.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def good_rows():
    return [
        ["王秀兰", ident(1), "13912345678", "示范县一村", GRID01, "户籍", "在住", "户主", "H1"],
        ["李建国", ident(2), "", "示范县一村", GRID01, "流动", "在住", "配偶", "H1"],
        ["赵六", ident(3), "0816-1234567", "示范县二村", GRID01, "", "", "", ""],
    ]


BAD_ID = ident(4)[:-1] + ("0" if ident(4)[-1] != "0" else "1")


def bad_rows():
    return [
        ["", ident(5), "", "地址", GRID01, "户籍", "在住", "", ""],  # row 5: no name
        ["钱七", BAD_ID, "", "地址", GRID01, "户籍", "在住", "", ""],  # row 6: check digit
        ["孙八", ident(6), "电话号码", "地址", GRID01, "户籍", "在住", "", ""],  # row 7: phone
        ["周九", ident(7), "", "地址", "513999999999999", "户籍", "在住", "", ""],  # row 8
        ["吴十", ident(1), "", "地址", GRID01, "户籍", "在住", "", ""],  # row 9: duplicate
        ["郑一", ident(8), "", "地址", GRID01, "外星", "在住", "", ""],  # row 10: type
    ]


def test_good_rows_are_stored_and_each_bad_row_is_reported_with_its_reason(tmp_path, user):
    path = write(tmp_path, workbook(good_rows() + bad_rows()))

    with translation.override("en"):
        result = import_residents(path, user=user("center"))

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert result.rejected_count == 6
    reasons = {r.row: (r.column, r.reason) for r in result.rejected}
    assert reasons[5] == ("姓名", "The name is missing.")
    assert reasons[6][0] == "身份证号" and "check digit" in reasons[6][1]
    assert reasons[7][0] == "联系电话"
    assert reasons[8] == ("网格编码", "There is no grid with this code.")
    assert reasons[9] == ("身份证号", "The same ID number is already in row 2.")
    assert reasons[10][0] == "人口类型"
    wang = Resident.objects.get(id_number_hash=Resident.hash_of(ident(1)))
    assert wang.name == "王秀兰" and wang.phone_masked == "139****5678"
    assert wang.collected_by == user("center") and wang.grid.code == GRID01
    assert wang.path and wang.county_code == "513999"
    li = Resident.objects.get(name="李建国")
    assert li.residence_type == Resident.ResidenceType.FLOATING
    relations = set(
        HouseholdMember.objects.filter(household__number="H1").values_list("relation", flat=True)
    )
    assert relations == {"head", "spouse"}


def test_importing_the_same_file_again_changes_nothing(tmp_path, user):
    path = write(tmp_path, workbook(good_rows() + bad_rows()))
    import_residents(path, user=user("center"))
    before = list(Resident.objects.order_by("pk").values())

    again = import_residents(path, user=user("center"))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Resident.objects.order_by("pk").values()) == before
    assert HouseholdMember.objects.filter(household__number="H1").count() == 2


def test_a_changed_row_updates_the_resident(tmp_path, user):
    import_residents(write(tmp_path, workbook(good_rows())), user=user("center"))
    rows = good_rows()
    rows[2][6] = "迁出"

    result = import_residents(write(tmp_path, workbook(rows), "b.xlsx"), user=user("center"))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Resident.objects.get(name="赵六").status == Resident.Status.MOVED_OUT


def test_a_grid_worker_cannot_import_into_another_grid(tmp_path, user):
    rows = [["王五", ident(11), "", "地址", GRID02, "户籍", "在住", "", ""]]

    with translation.override("en"):
        result = import_residents(write(tmp_path, workbook(rows)), user=user("grid01"))

    assert result.created == 0
    assert result.rejected[0].reason == "This grid is outside your area."


def test_a_file_that_is_not_excel_is_refused_and_nothing_is_written(tmp_path, user):
    path = write(tmp_path, "姓名,身份证号\n张三,1\n".encode(), "residents.xlsx")

    with translation.override("en"), pytest.raises(ImportFileError) as info:
        import_residents(path, user=user("center"))

    assert "not an Excel workbook" in info.value.message
    assert not Resident.objects.exists()


def test_a_file_without_the_required_columns_is_refused_and_nothing_is_written(tmp_path, user):
    content = workbook([["张三", ident(1)]], header=["姓名", "身份证号"])

    with translation.override("en"), pytest.raises(ImportFileError) as info:
        import_residents(write(tmp_path, content), user=user("center"))

    assert "户籍地址" in info.value.message and "网格编码" in info.value.message
    assert not Resident.objects.exists()


def test_english_headers_are_accepted(tmp_path, user):
    header = ["Name", "ID number", "Phone", "Registered address", "Grid code"]
    content = workbook([["Zhang San", ident(21), "13800001111", "Somewhere", GRID01]], header)

    result = import_residents(write(tmp_path, content), user=user("center"))

    assert result.created == 1


def test_the_database_holds_no_plain_id_or_phone_number_after_an_import(tmp_path, user):
    import_residents(write(tmp_path, workbook(good_rows())), user=user("center"))

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Resident._meta.db_table}")  # noqa: S608
        dump = " ".join(str(v) for row in cursor.fetchall() for v in row)

    for number in (ident(1), ident(2), ident(3), "13912345678"):
        assert number not in dump


def test_the_import_job_reports_counts_and_a_masked_rejection_workbook(
    tmp_path, user, settings, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    stored = default_storage.save(
        "imports/residents.xlsx", ContentFile(workbook(good_rows() + bad_rows()))
    )
    job = start_job(
        kind=IMPORT_RESIDENTS,
        title="import",
        user=user("center"),
        func_path=IMPORT_RESIDENTS,
        params={"path": stored, "user_id": user("center").pk, "language": "en"},
    )
    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_summary["created"] == 3 and job.result_summary["rejected"] == 6
    sheet = load_workbook(job.result_file.path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [5, 6, 7, 8, 9, 10]
    values = " ".join(str(v) for row in rows for v in row)
    assert BAD_ID not in values and ident(1) not in values
    assert idnumber.mask(BAD_ID) in values
    assert not default_storage.exists(stored)  # the upload held plain ID numbers


def test_the_import_job_fails_with_a_clear_message_for_a_non_excel_file(tmp_path, user, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    stored = default_storage.save("imports/x.xlsx", ContentFile(b"hello"))
    job = start_job(
        kind=IMPORT_RESIDENTS,
        title="import",
        user=user("center"),
        func_path=IMPORT_RESIDENTS,
        params={"path": stored, "user_id": user("center").pk, "language": "en"},
    )
    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "not an Excel workbook" in job.error
    assert not Resident.objects.exists()


def test_invisible_characters_in_cells_are_stripped_and_a_reimport_changes_nothing(tmp_path, user):
    row = [
        "\u200b王\u202e五\ufeff",
        ident(9),
        "",
        "示范县\u2066一村",
        GRID01,
        "户籍",
        "在住",
        "",
        "",
    ]
    path = write(tmp_path, workbook([row]))

    first = import_residents(path, user=user("center"))
    again = import_residents(path, user=user("center"))

    resident = Resident.objects.get(name="王五")
    assert resident.registered_address == "示范县一村"
    assert (first.created, again.updated, again.unchanged) == (1, 0, 1)
