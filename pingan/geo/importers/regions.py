"""Import the jurisdiction tree (行政区划) from CSV or Excel."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from pingan.core.excel import cell_text
from pingan.geo.importers.common import (
    ImportFileError,
    ImportReport,
    RowRejected,
    _read_bytes,
    describe,
    duplicated,
    normalise_code,
)
from pingan.geo.models import CODE_LENGTHS, Grid, Region

# Header cells (lower-cased, spaces and underscores removed) accepted for each region column.
REGION_HEADERS = {
    "code": {"code", "regioncode", "代码", "区划代码", "行政区划代码", "统计用区划代码", "编码"},
    "name": {"name", "regionname", "名称", "区划名称", "名字"},
    "level": {"level", "级别", "层级", "区划级别"},
    "parent_code": {"parentcode", "parent", "上级代码", "上级区划代码", "父级代码", "上级编码"},
}
REQUIRED_REGION_COLUMNS = ("code", "name", "level")

# The words people write in the level column, English and Chinese, mapped to Region.Level.
LEVEL_WORDS = {
    word: level
    for level, words in {
        "province": ("province", "省", "省级", "自治区", "直辖市"),
        "city": ("city", "prefecture", "市", "地级市", "州", "自治州", "盟"),
        "county": ("county", "district", "县", "区", "县级市", "自治县", "旗"),
        "township": ("township", "town", "street", "乡", "镇", "乡镇", "街道", "苏木"),
        "village": ("village", "community", "村", "社区", "居委会", "村委会", "嘎查"),
    }.items()
    for word in words
}
LEVEL_RANK = {level: rank for rank, level in enumerate(CODE_LENGTHS)}
# Below the county the codes nest strictly: a village sits in a township, a township in a county.
PARENT_LEVELS = {"township": "county", "village": "township"}


def import_regions(path: str | Path, *, dry_run: bool = False) -> ImportReport:
    """Create or update regions from a CSV or .xlsx file; return what happened to each row.

    Columns: code, name, level, parent_code (or 代码/区划代码, 名称, 级别/层级, 上级代码).
    Rows are applied parents first (shorter codes first), keyed on the code.
    """
    rows = list(read_region_rows(path))
    report = ImportReport(unit="row")
    candidates = []
    for number, record in rows:
        try:
            candidates.append(_parse_region_row(number, record))
        except RowRejected as exc:
            report.reject(number, normalise_code(record.get("code", "")), str(exc))
    dupes = duplicated(c["code"] for c in candidates)
    ready = []
    for candidate in candidates:
        if candidate["code"] in dupes:
            others = [str(c["row"]) for c in candidates if c["code"] == candidate["code"]]
            report.reject(
                candidate["row"],
                candidate["code"],
                _("The code appears on more than one row (rows %(rows)s).")
                % {"rows": ", ".join(others)},
            )
        else:
            ready.append(candidate)
    ready.sort(key=lambda c: (len(c["code"]), LEVEL_RANK[c["level"]], c["row"]))
    with transaction.atomic():
        for candidate in ready:
            try:
                with transaction.atomic():
                    outcome = _upsert_region(candidate)
            except RowRejected as exc:
                report.reject(candidate["row"], candidate["code"], str(exc))
            except ValidationError as exc:
                report.reject(candidate["row"], candidate["code"], describe(exc, Region))
            except DatabaseError as exc:
                report.reject(
                    candidate["row"],
                    candidate["code"],
                    _("The database refused the row: %(error)s") % {"error": exc},
                )
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
        if dry_run:
            transaction.set_rollback(True)
    return report


def read_region_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (sheet row number, {column: text}) for each non-empty row of a CSV or .xlsx file."""
    data = _read_bytes(path)
    suffix = Path(path).suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        table = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise ImportFileError(
            _("Old Excel .xls files cannot be read; save the sheet as .xlsx or as CSV (UTF-8).")
        )
    else:
        table = _csv_rows(data)
    header: dict[int, str] | None = None
    for number, cells in table:
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        if header is None:
            header = _region_header(texts)
            continue
        yield number, {name: texts[i] if i < len(texts) else "" for i, name in header.items()}
    if header is None:
        raise ImportFileError(_("The file is empty: it has no header row."))


def _region_header(cells: list[str]) -> dict[int, str]:
    """Return {column index: field name} for a header row, or raise ImportFileError."""
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        key = cell.lstrip("\ufeff").strip().lower().replace(" ", "").replace("_", "")
        for name, words in REGION_HEADERS.items():
            if key in words and name not in found.values():
                found[index] = name
    missing = [name for name in REQUIRED_REGION_COLUMNS if name not in found.values()]
    if missing:
        raise ImportFileError(
            _(
                "Missing column(s): %(missing)s. The first row must name the columns code, name, "
                "level and parent_code (or 代码, 名称, 级别, 上级代码); found: %(found)s."
            )
            % {"missing": ", ".join(missing), "found": ", ".join(c for c in cells if c) or "—"}
        )
    return found


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("The file is neither a CSV text file nor an Excel .xlsx workbook."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves "CSV" in GB18030/GBK unless told to use UTF-8.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The CSV file is not UTF-8 text; save it as “CSV UTF-8”.")
            ) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The Excel workbook cannot be read: %(error)s") % {"error": exc}
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


def _parse_region_row(number: int, record: dict[str, str]) -> dict[str, Any]:
    code = normalise_code(record.get("code", ""))
    name = record.get("name", "").strip()
    level_text = record.get("level", "").strip()
    parent_code = normalise_code(record.get("parent_code", ""))
    if not code:
        raise RowRejected(_("The code is missing."))
    if not name:
        raise RowRejected(_("The name is missing."))
    level = LEVEL_WORDS.get(level_text.lower()) or _level_from_label(level_text)
    if not level:
        raise RowRejected(
            _(
                "Unknown level “%(level)s”: use province, city, county, township or village "
                "(省, 市, 县, 乡镇/街道, 村/社区)."
            )
            % {"level": level_text}
        )
    return {"row": number, "code": code, "name": name, "level": level, "parent_code": parent_code}


def _level_from_label(text: str) -> str:
    """Accept the labels the app itself shows (e.g. "Township / street")."""
    for value, label in Region.Level.choices:
        if text and text.lower() == str(label).lower():
            return value
    return ""


def _upsert_region(candidate: dict[str, Any]) -> str:
    """Create or update one region; return "created", "updated" or "unchanged"."""
    code, level = candidate["code"], candidate["level"]
    parent_code = candidate["parent_code"]
    inferred = False
    if not parent_code and level in ("township", "village"):
        # A 9- or 12-digit code names its parent in its first 6 or 9 digits.
        parent_code = code[: CODE_LENGTHS[level] - 3] if len(code) > 6 else ""
        inferred = True
    parent = None
    if parent_code:
        parent = Region.objects.filter(code=parent_code).first()
        if parent is None:
            if inferred:
                raise RowRejected(
                    _("No parent code is given and there is no region %(code)s to put it under.")
                    % {"code": parent_code}
                )
            raise RowRejected(
                _(
                    "Unknown parent code %(code)s: it is neither in the database nor imported "
                    "earlier from this file."
                )
                % {"code": parent_code}
            )
        expected = PARENT_LEVELS.get(level)
        if expected and parent.level != expected:
            raise RowRejected(
                _("The parent of a %(level)s must be a %(parent)s; %(code)s is a %(actual)s.")
                % {
                    "level": Region.Level(level).label,
                    "parent": Region.Level(expected).label,
                    "code": parent_code,
                    "actual": parent.get_level_display(),
                }
            )
    region = Region.objects.filter(code=code).first()
    if region is not None:
        if (region.name, region.level, region.parent_id) == (
            candidate["name"],
            level,
            parent.pk if parent else None,
        ):
            return "unchanged"
        old_path = region.path
        region.name, region.level, region.parent = candidate["name"], level, parent
        region.full_clean()
        region.save()
        if region.path != old_path:
            _repath_subtree(old_path)
        return "updated"
    region = Region(code=code, name=candidate["name"], level=level, parent=parent)
    region.full_clean()
    region.save()
    return "created"


def _repath_subtree(old_path: str) -> None:
    """Recompute the stored paths under a region that moved to another parent."""
    for child in (
        Region.objects.filter(path__startswith=old_path).exclude(path=old_path).order_by("depth")
    ):
        child.save(update_fields=["path", "depth", "county_code"])
    for grid in Grid.objects.filter(path__startswith=old_path).select_related("region"):
        grid.save(update_fields=["path", "county_code"])


# --- grids -------------------------------------------------------------------------------------
