"""Importing regions (CSV, Excel) and grids (GeoJSON): good rows saved, bad rows explained."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook

from pingan.geo.importers import ImportFileError, import_grids, import_regions
from pingan.geo.models import Grid, Region

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "level", "parent_code"]
# Children come before their parents on purpose: the importer must sort them.
GOOD_ROWS = [
    ["510999001001", "甲村", "village", "510999001"],
    ["510999001002", "乙社区", "community", "510999001"],
    ["510999001", "城关街道", "street", "510999"],
    ["510999", "测试县", "county", ""],
    ["510999002", "河口镇", "township", "510999"],
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(path: Path, features: list) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def reasons(report) -> dict[int, str]:
    return {error.row: error.reason for error in report.errors}


# --- regions -----------------------------------------------------------------------------------


def test_regions_from_csv_are_created_parents_first(tmp_path):
    report = import_regions(write_csv(tmp_path / "regions.csv", [HEADER, *GOOD_ROWS]))
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    village = Region.objects.get(code="510999001002")
    assert village.level == "village"
    assert village.parent.code == "510999001"
    assert village.path == "/510999/510999001/510999001002/"
    assert village.county_code == "510999"
    assert Region.objects.get(code="510999001").level == "township"


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "regions.csv", [HEADER, *GOOD_ROWS])
    import_regions(path)
    before = list(Region.objects.filter(code__startswith="510999").values())
    report = import_regions(path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert report.errors == []
    assert list(Region.objects.filter(code__startswith="510999").values()) == before


def test_a_changed_name_is_updated_in_place(tmp_path):
    import_regions(write_csv(tmp_path / "a.csv", [HEADER, *GOOD_ROWS]))
    pk = Region.objects.get(code="510999002").pk
    renamed = [HEADER, *GOOD_ROWS[:4], ["510999002", "河口乡", "township", "510999"]]
    report = import_regions(write_csv(tmp_path / "b.csv", renamed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    assert Region.objects.get(code="510999002").name == "河口乡"
    assert Region.objects.get(code="510999002").pk == pk


def test_moving_a_county_under_a_city_moves_its_whole_subtree(tmp_path):
    import_regions(write_csv(tmp_path / "a.csv", [HEADER, *GOOD_ROWS]))
    village = Region.objects.get(code="510999001001")
    grid = Grid(
        code="510999001001001",
        name="甲村一网格",
        region=village,
        geometry=box(110.0, 35.0, 110.05, 35.1),
    )
    grid.full_clean()
    grid.save()
    moved = [
        HEADER,
        ["510900", "测试市", "city", ""],
        ["510999", "测试县", "county", "510900"],
        *GOOD_ROWS[:3],
        GOOD_ROWS[4],
    ]
    report = import_regions(write_csv(tmp_path / "b.csv", moved))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 4)
    village.refresh_from_db()
    assert village.path == "/510900/510999/510999001/510999001001/"
    assert village.depth == 3
    grid.refresh_from_db()
    assert grid.path == village.path


def test_chinese_headers_and_levels_with_a_bom_are_understood(tmp_path):
    rows = [
        ["区划代码", "名称", "层级", "上级代码"],
        ["510999", "测试县", "县", ""],
        ["510999001", "城关街道", "街道", "510999"],
        ["510999002", "河口镇", "乡镇", "510999"],
        ["510999001001", "东门社区", "社区", "510999001"],
        ["510999002001", "上坝村", "村", "510999002"],
    ]
    report = import_regions(write_csv(tmp_path / "区划.csv", rows, bom=True))
    assert report.errors == []
    assert report.created == 5
    assert Region.objects.get(code="510999001").level == "township"
    assert Region.objects.get(code="510999001001").level == "village"
    assert Region.objects.get(code="510999002001").parent.code == "510999002"


def test_regions_from_an_excel_workbook_are_imported(tmp_path):
    rows = [
        ["代码", "名称", "级别", "上级代码"],
        [510999, "测试县", "county", None],  # Excel keeps codes as numbers
        [510999001, "城关街道", "township", 510999],
        [510999001009, None, "village", 510999001],  # no name: rejected, not fatal
        [510999001001, "甲村", "village", 510999001],
    ]
    report = import_regions(write_xlsx(tmp_path / "regions.xlsx", rows))
    assert report.created == 3
    assert [(e.row, e.reason) for e in report.errors] == [(4, "The name is missing.")]
    assert Region.objects.get(code="510999001001").parent.code == "510999001"


def test_padded_twelve_digit_codes_and_a_missing_parent_column_are_understood(tmp_path):
    rows = [
        ["code", "name", "level"],
        ["510999000000", "测试县", "county"],
        ["510999001000", "城关街道", "township"],
        ["510999001001", "甲村", "village"],
    ]
    report = import_regions(write_csv(tmp_path / "stats.csv", rows))
    assert report.errors == []
    assert Region.objects.get(code="510999001001").parent.code == "510999001"
    assert Region.objects.get(code="510999001").parent.code == "510999"


def test_bad_region_rows_are_reported_and_the_rest_imported(tmp_path):
    rows = [
        HEADER,
        *GOOD_ROWS,  # rows 2-6
        ["510999002001", "孤村", "village", "510999009"],  # 7: unknown parent
        ["510999001003", "错村", "village", "510999002"],  # 8: not under its parent's code
        ["51099900100", "短村", "village", "510999001"],  # 9: 11 digits
        ["510999001004", "", "village", "510999001"],  # 10: no name
        ["510999001005", "重复村", "village", "510999001"],  # 11: duplicate
        ["510999001005", "重复村", "village", "510999001"],  # 12: duplicate
        ["510999001006", "怪村", "hamlet", "510999001"],  # 13: unknown level
        ["510999002002", "无名镇的村", "village", ""],  # 14: inferred parent 510999002 exists
        ["510999003001", "越级村", "village", "510999"],  # 15: a village right under the county
    ]
    report = import_regions(write_csv(tmp_path / "mixed.csv", rows))
    assert report.created == 6
    found = reasons(report)
    assert set(found) == {7, 8, 9, 10, 11, 12, 13, 15}
    assert "Unknown parent code 510999009" in found[7]
    assert "must start with the parent's code 510999002" in found[8]
    assert "12 digits" in found[9]
    assert found[10] == "The name is missing."
    assert "more than one row (rows 11, 12)" in found[11]
    assert "more than one row (rows 11, 12)" in found[12]
    assert "Unknown level “hamlet”" in found[13]
    assert "must be a Township / street; 510999 is a County" in found[15]
    codes = {e.row: e.code for e in report.errors}
    assert codes[7] == "510999002001"
    assert not Region.objects.filter(code__in=["510999002001", "510999001003", "510999001005"])
    assert Region.objects.get(code="510999002002").parent.code == "510999002"


def test_a_row_whose_parent_row_was_rejected_is_rejected_too(tmp_path):
    rows = [
        HEADER,
        ["510999", "测试县", "county", ""],
        ["510999003", "坏镇", "village", "510999"],  # wrong digits for a village
        ["510999003001", "坏镇的村", "village", "510999003"],
    ]
    report = import_regions(write_csv(tmp_path / "chain.csv", rows))
    assert report.created == 1
    assert set(reasons(report)) == {3, 4}
    assert "Unknown parent code 510999003" in reasons(report)[4]


def test_a_file_without_the_required_columns_imports_nothing(tmp_path):
    path = write_csv(tmp_path / "wrong.csv", [["id", "title"], ["510999", "测试县"]])
    with pytest.raises(ImportFileError) as caught:
        import_regions(path)
    assert "Missing column(s): code, name, level" in caught.value.message
    assert not Region.objects.filter(code="510999").exists()


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Old Excel .xls"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "Excel workbook cannot be read"),
        ("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "neither a CSV"),
        ("empty.csv", b"", "no header row"),
    ],
)
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(tmp_path, filename, content, message):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        import_regions(path)
    assert message in caught.value.message


def test_a_missing_file_is_refused_with_a_clear_error(tmp_path):
    with pytest.raises(ImportFileError) as caught:
        import_regions(tmp_path / "nowhere.csv")
    assert "Cannot read" in caught.value.message


def test_a_dry_run_checks_every_row_but_saves_nothing(tmp_path):
    report = import_regions(write_csv(tmp_path / "r.csv", [HEADER, *GOOD_ROWS]), dry_run=True)
    assert report.created == 5
    assert not Region.objects.filter(code__startswith="510999").exists()


# --- grids -------------------------------------------------------------------------------------


@pytest.fixture
def village(db) -> Region:
    county = Region.objects.create(code="510999", name="测试县", level="county")
    town = Region.objects.create(code="510999001", name="测试镇", level="township", parent=county)
    return Region.objects.create(
        code="510999001001",
        name="甲村",
        level="village",
        parent=town,
        boundary=box(110.0, 35.0, 110.1, 35.1),
    )


def good_feature(**overrides) -> dict:
    properties = {
        "region_code": "510999001001",
        "code": "510999001001001",
        "name": "甲村一网格",
        "kind": "农村",
        "households": 180,
        "description": "村委会以东",
        **overrides,
    }
    return feature(box(110.0, 35.0, 110.05, 35.1), **properties)


def test_grids_from_geojson_are_created_with_their_properties(tmp_path, village):
    pasture = feature(
        box(110.06, 35.06, 110.09, 35.09),
        region="510999001001",
        code="510999001001002",
        name="夏季牧场",
        kind="流动",
        active_from="2026-06-01",
        active_until="2026-09-30",
    )
    school = feature(
        box(110.01, 35.01, 110.02, 35.02),
        region_code="510999001001",
        code="510999001001003",
        name="中心小学",
        kind="dedicated",
        subkind="学校",
    )
    report = import_grids(write_geojson(tmp_path / "g.geojson", [good_feature(), pasture, school]))
    assert report.errors == []
    assert report.created == 3
    grid = Grid.objects.get(code="510999001001001")
    assert (grid.kind, grid.households, grid.region, grid.description) == (
        "rural",
        180,
        village,
        "村委会以东",
    )
    assert grid.path == village.path
    assert grid.area_km2 > 0
    seasonal = Grid.objects.get(code="510999001001002")
    assert seasonal.kind == "mobile"
    assert str(seasonal.active_from) == "2026-06-01"
    assert Grid.objects.get(code="510999001001003").subkind == "school"


def test_reimporting_the_same_grids_changes_nothing_and_a_change_updates(tmp_path, village):
    path = write_geojson(tmp_path / "g.geojson", [good_feature()])
    import_grids(path)
    report = import_grids(path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    changed = write_geojson(tmp_path / "h.geojson", [good_feature(households=200)])
    report = import_grids(changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert Grid.objects.get(code="510999001001001").households == 200


def test_bad_grid_features_are_reported_and_the_good_one_imported(tmp_path, village):
    unclosed = {
        "type": "Polygon",
        "coordinates": [[[110.06, 35.0], [110.07, 35.0], [110.07, 35.01], [110.06, 35.01]]],
    }
    features = [
        good_feature(),  # 0
        good_feature(code="510999001001002", name="坏形状")
        | {"geometry": unclosed},  # 1: malformed geometry
        good_feature(code="510999009009001", region_code="510999009009"),  # 2: unknown region
        good_feature(code="5109990010011"),  # 3: bad code (13 digits)
        feature(
            box(110.2, 35.0, 110.3, 35.1),
            region_code="510999001001",
            code="510999001001004",
            name="外面",
        ),  # 4: outside the village
        {"type": "Point", "coordinates": [110, 35]},  # 5: not a feature
        good_feature(code="510999001001005", active_from="1 June"),  # 6: bad date
        good_feature(code="510999001001006", kind="森林"),  # 7: unknown kind
        good_feature(code="510999001001007", name="") | {"geometry": None},  # 8: no geometry
    ]
    report = import_grids(write_geojson(tmp_path / "mixed.geojson", features))
    assert report.created == 1
    assert Grid.objects.filter(code__startswith="510999").count() == 1
    found = reasons(report)
    assert set(found) == {1, 2, 3, 4, 5, 6, 7, 8}
    assert "not closed" in found[1]
    assert found[2] == "Unknown region code 510999009009."
    assert "15 digits" in found[3]
    assert "inside the boundary of 甲村" in found[4]
    assert found[5] == "This is not a GeoJSON Feature."
    assert "must be a date like 2026-05-01" in found[6]
    assert "Unknown kind “森林”" in found[7]
    assert found[8] == "The feature has no geometry."
    assert {e.row: e.code for e in report.errors}[4] == "510999001001004"
    lines = report.error_lines()
    assert lines[0].startswith("features[1] (code 510999001001002): ")


def test_two_features_with_the_same_code_are_both_refused(tmp_path, village):
    features = [good_feature(), good_feature(name="另一个")]
    report = import_grids(write_geojson(tmp_path / "dup.geojson", features))
    assert report.created == 0
    assert set(reasons(report)) == {0, 1}
    assert "more than one feature (features 0, 1)" in reasons(report)[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2, 3]", "must be a GeoJSON FeatureCollection"),
        ('{"type": "Feature", "geometry": null, "properties": {}}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": {}}', "no list of features"),
    ],
)
def test_a_malformed_geojson_file_is_refused(tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_grids(path)
    assert message in caught.value.message


# --- management commands -----------------------------------------------------------------------


def test_import_regions_command_prints_a_summary_and_succeeds(tmp_path):
    out = io.StringIO()
    call_command(
        "import_regions", str(write_csv(tmp_path / "r.csv", [HEADER, *GOOD_ROWS])), stdout=out
    )
    assert "Regions: 5 created, 0 updated, 0 unchanged, 0 rejected." in out.getvalue()


def test_import_regions_command_lists_rejected_rows_and_fails(tmp_path):
    rows = [HEADER, *GOOD_ROWS, ["510999002001", "孤村", "village", "510999009"]]
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(write_csv(tmp_path / "r.csv", rows)), stdout=out)
    assert caught.value.returncode == 1
    assert "1 rejected" in str(caught.value)
    text = out.getvalue()
    assert "5 created" in text
    assert "row 7 (code 510999002001): Unknown parent code 510999009" in text
    assert Region.objects.filter(code="510999001001").exists()


def test_import_grids_command_lists_rejected_features_and_fails(tmp_path, village):
    features = [good_feature(), good_feature(code="510999001001002", region_code="510999009009")]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_grids", str(write_geojson(tmp_path / "g.geojson", features)), stdout=out
        )
    text = out.getvalue()
    assert "Grids: 1 created, 0 updated, 0 unchanged, 1 rejected." in text
    assert "features[1] (code 510999001001002): Unknown region code 510999009009." in text


def test_import_grids_command_refuses_a_malformed_file(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_grids", str(path), stdout=io.StringIO())
    assert "not valid JSON" in str(caught.value)
