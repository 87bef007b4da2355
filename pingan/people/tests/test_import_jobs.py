"""The import job over every kind: templates, pages, the report file, errors, flat memory."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from pingan.core.models import Job
from pingan.people import idnumber
from pingan.people.importers import (
    IMPORTERS,
    KEEP_REJECTIONS,
    ImportFileError,
    RejectionReport,
    header_labels,
    import_houses,
    import_residents,
)
from pingan.people.importers.houses import HouseImporter
from pingan.people.importers.residents import COLUMNS as RESIDENT_COLUMNS
from pingan.people.importers.workbook import open_rows
from pingan.people.jobs import import_job_kind
from pingan.people.models import House, HouseholdGroup, Organization, Resident
from pingan.people.tests.xlsx_helpers import (
    GRID01,
    ident,
    run_import_job,
    sheet_rows,
    workbook,
    write,
)

pytestmark = pytest.mark.django_db

MODELS = {
    "residents": Resident,
    "houses": House,
    "organizations": Organization,
    "groups": HouseholdGroup,
}
KINDS = list(MODELS)
FIRST_HEADINGS = {
    "residents": ("姓名", "身份证号", "联系电话", "户籍地址", "网格编码"),
    "houses": ("网格编码", "街路巷", "门牌号", "楼栋", "单元", "房号", "房屋用途"),
    "organizations": ("单位名称", "统一社会信用代码", "单位类型", "网格编码"),
    "groups": ("联户名称", "类型", "网格编码", "联户长身份证号", "成员户号"),
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def resident_row(name: str, number: str) -> list:
    return [name, number, "", "示范县", GRID01]


@pytest.mark.parametrize("kind", KINDS)
def test_each_template_has_chinese_headings_and_an_example_that_imports_cleanly(
    kind, client_as, media, django_capture_on_commit_callbacks
):
    client = client_as("grid01")
    response = client.get(reverse("people:import_template"), {"kind": kind})
    assert response.status_code == 200
    header, example = sheet_rows(response.content)[:2]
    assert header[: len(FIRST_HEADINGS[kind])] == FIRST_HEADINGS[kind]
    assert GRID01 in example  # a grid the downloading user may import into
    upload = io.BytesIO(response.content)
    upload.name = f"{kind}.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("people:import_start"), {"kind": kind, "file": upload})

    job = Job.objects.get(kind=import_job_kind(kind))
    assert page.status_code == 302 and page["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_summary["created"] == 1 and job.result_summary["rejected"] == 0
    assert not job.result_file  # nothing rejected: no report
    assert MODELS[kind].objects.get().collected_by.username == "grid01"


def test_an_unknown_template_kind_is_not_found(client_as):
    response = client_as("center").get(reverse("people:import_template"), {"kind": "castles"})

    assert response.status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_a_non_excel_file_fails_the_job_clearly_and_writes_nothing(kind, user, media):
    job = run_import_job(kind, "名称,网格编码\n张三,1\n".encode(), user("center"))

    assert job.status == Job.Status.FAILED
    assert "not an Excel workbook" in job.error
    assert not MODELS[kind].objects.exists()
    assert not list((media / "imports").iterdir())  # the upload is deleted all the same


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_without_the_required_columns_fails_the_job_and_writes_nothing(kind, user, media):
    required = IMPORTERS[kind].required_labels()
    content = workbook(["备注"], [["无关"]])

    job = run_import_job(kind, content, user("center"))

    assert job.status == Job.Status.FAILED
    assert "lacks the required columns" in job.error
    assert all(label in job.error for label in required)
    assert not MODELS[kind].objects.exists()


def test_a_job_queued_before_kinds_existed_imports_residents(user, media):
    content = workbook(header_labels(), [resident_row("王一", ident(1))])

    job = run_import_job(None, content, user("center"))

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Resident.objects.get().name == "王一"


def test_the_report_file_lists_every_rejected_row_in_order_with_masked_numbers(user, media):
    bad = [resident_row(f"坏{i}", ident(i)[:-1] + "Z") for i in range(30)]
    good = [resident_row("好人", ident(500))]
    content = workbook(header_labels(), [*bad[:15], *good, *bad[15:]])

    job = run_import_job("residents", content, user("center"))

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result_summary == {
        "rows": 31,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 30,
    }
    rows = sheet_rows(job.result_file.read())
    assert rows[0][:2] == ("Row", "Column")
    assert [r[0] for r in rows[1:]] == [*range(2, 17), *range(18, 33)]
    assert {r[1] for r in rows[1:]} == {"身份证号"}
    text = " ".join(str(v) for r in rows for v in r)
    assert ident(3)[:-1] not in text and idnumber.mask(ident(3)[:-1] + "Z") in text
    logged = [m["text"] for m in job.messages]
    assert sum(text.startswith("Row ") for text in logged) == KEEP_REJECTIONS
    assert "… and more: see the report file." in logged


def test_the_import_page_preselects_the_kind_and_offers_each_template(client_as):
    page = client_as("center").get(reverse("people:import_start"), {"kind": "houses"}).text

    assert 'id="kind-houses" value="houses" checked' in page
    for kind in KINDS:
        assert f"{reverse('people:import_template')}?kind={kind}" in page


def test_the_import_page_keeps_the_chosen_kind_when_the_file_is_refused(client_as):
    upload = io.BytesIO(b"a,b")
    upload.name = "ledger.csv"

    response = client_as("center").post(
        reverse("people:import_start"), {"kind": "groups", "file": upload}
    )

    assert response.status_code == 400
    with translation.override(response["Content-Language"]):
        assert gettext("Upload an Excel workbook (.xlsx).") in response.text
    assert 'id="kind-groups" value="groups" checked' in response.text
    assert not Job.objects.exists()


def test_duplicates_are_found_across_batches_with_the_first_row_named(tmp_path, user):
    rows = [resident_row(f"人{i}", ident(i)) for i in range(7)]
    rows += [resident_row("重复一", ident(0)), resident_row("重复二", ident(0))]
    rows += [resident_row("重复三", ident(5))]
    path = write(tmp_path, workbook(header_labels(), rows))

    with translation.override("en"):
        result = import_residents(path, user=user("center"), batch_size=2)

    assert result.created == 7
    assert [(r.row, r.reason) for r in result.rejected] == [
        (9, "The same ID number is already in row 2."),
        (10, "The same ID number is already in row 2."),
        (11, "The same ID number is already in row 7."),
    ]


def test_house_duplicates_are_found_across_batches(tmp_path, user):
    rows = [[GRID01, "人民路", str(i)] for i in range(5)] + [[GRID01, "人民路", "0"]]
    path = write(tmp_path, workbook(HouseImporter.header_labels()[:3], rows))

    with translation.override("en"):
        result = import_houses(path, user=user("center"), batch_size=2)

    assert result.created == 5 and House.objects.count() == 5
    assert result.rejected[0].reason == "The same address is already in row 2."


def test_only_the_first_rejections_stay_in_memory_the_report_gets_them_all(tmp_path, user):
    rows = [resident_row("", ident(i)) for i in range(KEEP_REJECTIONS + 25)]
    path = write(tmp_path, workbook(header_labels(), rows))

    with RejectionReport() as report:
        result = import_residents(path, user=user("center"), batch_size=10, report=report)
        content = report.content()

    assert result.rejected_count == KEEP_REJECTIONS + 25
    assert len(result.rejected) == KEEP_REJECTIONS
    assert [r.row for r in result.rejected] == list(range(2, 2 + KEEP_REJECTIONS))
    assert len(sheet_rows(content)) == 1 + KEEP_REJECTIONS + 25


def test_a_rejected_value_that_looks_like_a_formula_stays_text_in_the_report(tmp_path, user):
    # Text in the uploaded file (openpyxl would write "=…" as a formula, so start with "+").
    formula = '+HYPERLINK("http://evil.example","点我")'
    rows = [["王一", ident(1), "", "示范县", formula], ["王二", ident(2), "", "示范县", "@SUM(1)"]]
    path = write(tmp_path, workbook(header_labels(), rows))

    with RejectionReport() as report:
        import_residents(path, user=user("center"), report=report)
        content = report.content()

    sheet = load_workbook(io.BytesIO(content)).active
    values = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in values] == [formula, "@SUM(1)"]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in values)


def test_a_ledger_of_ten_thousand_bad_rows_gets_a_full_report_and_its_good_rows_in(tmp_path, user):
    """The issue's worst case: 10,000 bad rows, a few good ones between them."""
    good = {i: ident(i) for i in range(0, 10_005, 2001)}  # rows 2, 2003, 4004, …
    rows = [resident_row("赵一" if i in good else "", good.get(i, ident(i))) for i in range(10_005)]
    path = write(tmp_path, workbook(header_labels(), rows))

    with RejectionReport() as report:
        result = import_residents(path, user=user("center"), report=report)
        content = report.content()

    assert (result.rows, result.created, result.rejected_count) == (10_005, 5, 10_000)
    assert (
        Resident.objects.filter(id_number_hash__in=map(Resident.hash_of, good.values())).count()
        == 5
    )
    report_rows = sheet_rows(content)
    assert len(report_rows) == 1 + 10_000
    assert report_rows[1][:2] == (3, "姓名") and report_rows[-1][0] == 10_006


def test_rows_keep_their_sheet_numbers_below_blank_rows_and_gaps(tmp_path, user):
    book = Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(header_labels())  # the header in row 2, row 1 blank
    sheet.append(resident_row("王一", ident(1)))
    sheet.cell(row=6, column=1, value="")  # rows 4 and 5 missing, row 6 blank
    for column, value in enumerate(resident_row("", ident(2)), start=1):
        sheet.cell(row=7, column=column, value=value)
    out = io.BytesIO()
    book.save(out)

    with translation.override("en"):
        result = import_residents(write(tmp_path, out.getvalue()), user=user("center"))

    assert result.created == 1
    assert [(r.row, r.reason) for r in result.rejected] == [(7, "The name is missing.")]


def test_a_sheet_damaged_part_way_fails_with_the_last_row_read(tmp_path, user):
    rows = [resident_row(f"人{i}", ident(i)) for i in range(5)]
    content = workbook(header_labels(), rows)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="5"')] + b"<row r=5 broken"
            target.writestr(item, data)

    with translation.override("en"), pytest.raises(ImportFileError) as info:
        import_residents(write(tmp_path, damaged.getvalue()), user=user("center"), batch_size=2)

    assert "cannot be read after row 4" in info.value.message
    assert Resident.objects.count() == 2  # the batch before the damage (rows 2 and 3)


def _reading_peak(path) -> int:
    tracemalloc.start()
    try:
        for _row in open_rows(path, RESIDENT_COLUMNS, ("name",)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("write_only", [False, True], ids=["shared strings", "inline strings"])
def test_reading_a_longer_file_takes_no_more_memory(tmp_path, write_only):
    def make(rows: int, name: str):
        book = Workbook(write_only=write_only)
        sheet = book.create_sheet() if write_only else book.active
        sheet.append(header_labels())
        for i in range(rows):  # every text different: nothing shared between rows
            sheet.append([f"人{i}", f"ID{i:016d}", f"1390000{i:04d}", f"地址{i}", GRID01])
        path = tmp_path / name
        book.save(path)
        return path

    small, large = _reading_peak(make(2000, "small.xlsx")), _reading_peak(make(8000, "large.xlsx"))

    # Holding 6,000 more rows, even at 80 bytes a row, would add ~500 KB.
    assert large < small + 150_000, (small, large)


def _post_import(client, name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(reverse("people:import_start"), {"kind": "residents", "file": upload})


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 not really a zip", b"<html>an export from another system</html>"],
    ids=["broken zip", "not a zip"],
)
def test_a_file_called_xlsx_that_is_no_workbook_is_refused_on_the_page(client_as, content):
    response = _post_import(client_as("center"), "台账.xlsx", content)

    assert response.status_code == 400
    with translation.override(response["Content-Language"]):
        assert gettext("The file is not an Excel workbook (.xlsx).") in response.text
    assert not Job.objects.exists()


def test_a_zip_without_a_workbook_inside_is_refused_on_the_page(client_as):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "不是工作簿")

    response = _post_import(client_as("center"), "台账.xlsx", out.getvalue())

    assert response.status_code == 400
    assert not Job.objects.exists()


def test_a_workbook_that_would_unpack_past_the_limit_is_refused_before_unpacking(
    client_as, monkeypatch
):
    from pingan.core import excel

    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 100_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * 50_000)  # 300 kB, packs to 1 kB

    response = _post_import(client_as("center"), "台账.xlsx", out.getvalue())

    assert response.status_code == 400
    assert len(out.getvalue()) < 5_000
    assert not Job.objects.exists()


def test_a_workbook_with_a_very_long_chinese_name_starts_its_import(client_as, media):
    name = "示范县南门社区第一网格实有人口登记台账" * 12 + ".xlsx"  # 230 characters, 680 bytes
    book = Workbook()
    book.active.append(["姓名"])
    content = io.BytesIO()
    book.save(content)

    response = _post_import(client_as("center"), name, content.getvalue())

    assert response.status_code == 302
    job = Job.objects.get()
    assert len(job.title) <= 200 and job.title.endswith("…")
    assert len(job.params["path"].encode()) < 200
