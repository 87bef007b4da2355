"""The shared Excel writer: text stays text, illegal characters go, the header keeps its style."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook

from pingan.core.excel import (
    FORMULA_STARTS,
    HEADER_FILL,
    HEADER_FONT,
    SheetWriter,
    ascii_name,
    cell_text,
    content_disposition,
    stamped_name,
    write_workbook,
)

HEADING = [("编号", 20), ("说明", 40), ("数量", 8)]


def read(content: bytes):
    """Return the first sheet of ``content``, loaded fully (styles and types included)."""
    return load_workbook(io.BytesIO(content)).worksheets[0]


def sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_text_that_starts_like_a_formula_is_written_as_text(start):
    text = f'{start}HYPERLINK("http://evil.example","点我")'
    content, _count = write_workbook("台账", HEADING, [["SJ-1", text, 1]])

    cell = read(content)["B2"]
    assert cell.value == text.replace("\r", "\n")  # XML reads a carriage return as a line feed
    assert cell.data_type == "s"
    assert cell.quotePrefix
    assert "<f>" not in sheet_xml(content)


def test_a_plain_equals_sign_formula_never_reaches_the_sheet():
    content, _count = write_workbook(
        "台账", HEADING, [["=1+1", "=SUM(A1:A9)", "=cmd|' /C calc'!A0"]]
    )

    sheet = read(content)
    assert [c.value for c in sheet[2]] == ["=1+1", "=SUM(A1:A9)", "=cmd|' /C calc'!A0"]
    assert {c.data_type for c in sheet[2]} == {"s"}
    assert "<f>" not in sheet_xml(content)


def test_characters_excel_cannot_hold_are_dropped_instead_of_failing():
    content, count = write_workbook("台账", HEADING, [["SJ\x00-1", "楼道\x01堆放\x1f杂物\x0b", 2]])

    assert count == 1
    assert [c.value for c in read(content)[2]] == ["SJ-1", "楼道堆放杂物", 2]


def test_a_formula_hidden_behind_illegal_characters_is_still_text():
    content, _count = write_workbook("台账", HEADING, [["\x01=1+1", "", None]])

    cell = read(content)["A2"]
    assert cell.value == "=1+1"
    assert cell.data_type == "s"
    assert "<f>" not in sheet_xml(content)


def test_ordinary_text_numbers_and_dates_are_written_as_they_are():
    # Excel holds naive local times (the exports convert before writing).
    when = dt.datetime(2026, 3, 14, 9, 30)  # noqa: DTZ001
    new_year = dt.datetime(2026, 1, 2)  # noqa: DTZ001 - a date reads back as midnight
    content, _count = write_workbook(
        "台账",
        HEADING + [("时间", 18), ("日期", 12)],
        [["川A-12345", "负数", -3, when, dt.date(2026, 1, 2)]],
    )

    row = read(content)[2]
    assert [c.value for c in row] == ["川A-12345", "负数", -3, when, new_year]
    assert row[2].data_type == "n"
    assert not any(c.quotePrefix for c in row)


def test_the_header_row_is_bold_filled_and_frozen_with_the_column_widths():
    content, _count = write_workbook("台账", HEADING, [])

    sheet = read(content)
    header = sheet[1]
    assert [c.value for c in header] == ["编号", "说明", "数量"]
    for cell in header:
        assert cell.font.b is True and HEADER_FONT.b is True
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb == HEADER_FILL.fgColor.rgb == "00DDEBF7"
    assert sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [20, 40, 8]


def test_rows_below_the_header_are_not_styled():
    content, _count = write_workbook("台账", HEADING, [["SJ-1", "说明", 1]])

    for cell in read(content)[2]:
        assert not cell.font.b
        assert cell.fill.fill_type is None


def test_the_sheet_is_named_by_its_title_cut_to_excels_31_characters():
    content, _count = write_workbook("事" * 40, HEADING, [])

    assert read(content).title == "事" * 31


def test_the_writer_counts_rows_and_reports_progress():
    seen = []
    content, count = write_workbook(
        "台账", HEADING, ([f"SJ-{i}", "", i] for i in range(5)), on_row=seen.append
    )

    assert count == 5 and seen == [1, 2, 3, 4, 5]
    assert read(content).max_row == 6


def test_the_sheet_writer_streams_to_a_file(tmp_path):
    writer = SheetWriter("被拒绝的行", HEADING)
    writer.append([2, "=A1", "原因"])
    writer.append([3, "", ""])
    writer.save(tmp_path / "report.xlsx")

    sheet = read((tmp_path / "report.xlsx").read_bytes())
    assert writer.count == 2
    assert sheet["B2"].value == "=A1" and sheet["B2"].data_type == "s"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (513999.0, "513999"),
        (1.5, "1.5"),
        (True, "True"),
        (" 示范县 ", "示范县"),
        (7, "7"),
    ],
)
def test_a_cell_read_from_a_file_becomes_text(value, text):
    assert cell_text(value) == text


def test_a_download_carries_its_chinese_name_and_an_ascii_fallback():
    header = content_disposition("事件台账-20260314-0930.xlsx", "event-ledger-20260314-0930.xlsx")
    assert header == (
        'attachment; filename="event-ledger-20260314-0930.xlsx"; '
        "filename*=UTF-8''%E4%BA%8B%E4%BB%B6%E5%8F%B0%E8%B4%A6-20260314-0930.xlsx"
    )


def test_the_ascii_fallback_keeps_the_stamp_and_never_breaks_the_header():
    assert ascii_name("事件台账-20260314-0930.xlsx", "events.export") == (
        "events-export-20260314-0930.xlsx"
    )
    assert ascii_name("实有人口导入模板.xlsx", "residents") == "residents.xlsx"
    assert ascii_name('a "b";c.xlsx') == "a-bc.xlsx"
    assert content_disposition('名"单.xlsx').count('"') == 2  # only the fallback's quotes


def test_a_stamped_name_has_the_local_date_and_minute():
    at = dt.datetime(2026, 3, 14, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    assert stamped_name("事件台账", at=at) == "事件台账-20260314-0930.xlsx"
