"""Import the jurisdiction tree (CSV or Excel) and grids (GeoJSON).

Every good row is committed and every bad one is reported with the reason: each row runs in its
own savepoint inside one outer transaction, so a rejected row leaves nothing half-written and
never takes the good rows down with it. A file that cannot be read at all raises
``ImportFileError`` and imports nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _

from pingan.core import safe_json
from pingan.core.excel import cell_text
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

KIND_WORDS = {
    word: kind
    for kind, words in {
        Grid.Kind.RURAL: ("rural", "农村", "农村网格"),
        Grid.Kind.COMMUNITY: ("community", "urban", "社区", "城市社区", "社区网格", "城市社区网格"),
        Grid.Kind.DEDICATED: ("dedicated", "专属", "专属网格"),
        Grid.Kind.MOBILE: ("mobile", "seasonal", "流动", "流动网格", "季节"),
    }.items()
    for word in words
}
SUBKIND_WORDS = {
    "学校": Grid.SubKind.SCHOOL,
    "医院": Grid.SubKind.HOSPITAL,
    "市场": Grid.SubKind.MARKET,
    "景区": Grid.SubKind.SCENIC,
    "企业": Grid.SubKind.ENTERPRISE,
    "机关": Grid.SubKind.GOVERNMENT,
    "其他": Grid.SubKind.OTHER,
    **{value: value for value in Grid.SubKind.values if value},
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong format, missing columns, not GeoJSON)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RowRejected(Exception):
    """One row or feature cannot be imported; the message says why."""


@dataclass(frozen=True)
class RowError:
    """A rejected row: its row number (or feature index), its code if it had one, and why."""

    row: int
    code: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: counts of created, updated and unchanged rows, and every rejection.

    ``unit`` is "row" for spreadsheets (``row`` numbers are the sheet's own, the header being
    row 1) and "feature" for GeoJSON (``row`` is the index in ``features``, from 0).
    """

    unit: str = "row"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def reject(self, row: int, code: str, reason: str) -> None:
        self.errors.append(RowError(row, code, reason))

    def summary(self) -> str:
        """Return one line: how many were created, updated, unchanged and rejected."""
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(rejected)d rejected."
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.errors),
        }

    def error_lines(self) -> list[str]:
        """Return one line per rejected row, in file order."""
        lines = []
        for error in sorted(self.errors, key=lambda e: e.row):
            where = (
                _("features[%(index)d]") % {"index": error.row}
                if self.unit == "feature"
                else _("row %(row)d") % {"row": error.row}
            )
            if error.code:
                where = _("%(where)s (code %(code)s)") % {"where": where, "code": error.code}
            lines.append(_("%(where)s: %(reason)s") % {"where": where, "reason": error.reason})
        return lines


# --- shared helpers ----------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """Return the code without the zero padding of 12-digit 统计用区划代码 (513999000000)."""
    code = code.strip().replace(" ", "")
    while code.isdigit() and len(code) > 6 and code.endswith("000"):
        code = code[:-3]
    return code


def describe(exc: ValidationError, model: type[models.Model]) -> str:
    """Return a ValidationError as one line naming the fields, e.g. "code: A village code…"."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, messages in exc.message_dict.items():
        text = " ".join(messages)
        if name == NON_FIELD_ERRORS:
            parts.append(text)
            continue
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 -- an unknown key is still worth showing as is
            label = name
        parts.append(_("%(field)s: %(message)s") % {"field": label, "message": text})
    return "; ".join(parts)


def duplicated(codes: Iterable[str]) -> set[str]:
    """Return the non-empty codes that occur more than once."""
    counts = Counter(code for code in codes if code)
    return {code for code, n in counts.items() if n > 1}


def _read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from exc


# --- regions -----------------------------------------------------------------------------------


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


def import_grids(
    path: str | Path,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update grids from a GeoJSON FeatureCollection; return what happened to each.

    Feature properties: region_code (or region), code, name, kind, subkind, households,
    active_from, active_until (ISO dates), description and optionally is_active.
    ``progress(done, total)``, if given, is called after each feature (background jobs show it).
    """
    features = read_features(path)
    report = ImportReport(unit="feature")
    candidates = []
    for index, feature in enumerate(features):
        code = ""
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
            code = cell_text(feature["properties"].get("code"))
        try:
            candidates.append(_parse_feature(index, feature))
        except RowRejected as exc:
            report.reject(index, code, str(exc))
    dupes = duplicated(c["code"] for c in candidates)
    total, done = len(features), len(features) - len(candidates)
    with transaction.atomic():
        for candidate in candidates:
            if progress is not None:
                progress(done, total)
                done += 1
            index, code = candidate["index"], candidate["code"]
            if code in dupes:
                others = [str(c["index"]) for c in candidates if c["code"] == code]
                report.reject(
                    index,
                    code,
                    _("The code appears in more than one feature (features %(indexes)s).")
                    % {"indexes": ", ".join(others)},
                )
                continue
            try:
                with transaction.atomic():
                    outcome = _upsert_grid(candidate)
            except RowRejected as exc:
                report.reject(index, code, str(exc))
            except ValidationError as exc:
                report.reject(index, code, describe(exc, Grid))
            except DatabaseError as exc:
                report.reject(
                    index, code, _("The database refused the feature: %(error)s") % {"error": exc}
                )
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
        if dry_run:
            transaction.set_rollback(True)
    if progress is not None:
        progress(total, total)
    return report


def read_features(path: str | Path) -> list[Any]:
    """Return the features of a GeoJSON FeatureCollection file, or raise ImportFileError."""
    data = _read_bytes(path)
    try:
        collection = safe_json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The GeoJSON file is not UTF-8 text.")) from exc
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            _("The file is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from exc
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ImportFileError(_("The file must be a GeoJSON FeatureCollection."))
    features = collection.get("features")
    if not isinstance(features, list):
        raise ImportFileError(_("The FeatureCollection has no list of features."))
    return features


def _parse_feature(index: int, feature: Any) -> dict[str, Any]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise RowRejected(_("This is not a GeoJSON Feature."))
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise RowRejected(_("The feature has no properties."))
    code = cell_text(props.get("code"))
    region_code = normalise_code(cell_text(props.get("region_code", props.get("region"))))
    if not code:
        raise RowRejected(_("The grid code (property “code”) is missing."))
    if not region_code:
        raise RowRejected(_("The region code (property “region_code”) is missing."))
    if feature.get("geometry") is None:
        raise RowRejected(_("The feature has no geometry."))
    kind_text = cell_text(props.get("kind")) or Grid.Kind.RURAL
    kind = KIND_WORDS.get(kind_text.lower())
    if kind is None:
        raise RowRejected(
            _(
                "Unknown kind “%(kind)s”: use rural, community, dedicated or mobile "
                "(农村, 社区, 专属, 流动)."
            )
            % {"kind": kind_text}
        )
    subkind_text = cell_text(props.get("subkind"))
    subkind = SUBKIND_WORDS.get(subkind_text.lower(), None) if subkind_text else ""
    if subkind is None:
        raise RowRejected(
            _("Unknown sub-kind “%(subkind)s”: use one of %(choices)s.")
            % {"subkind": subkind_text, "choices": ", ".join(v for v in Grid.SubKind.values if v)}
        )
    values = {
        "name": cell_text(props.get("name")),
        "kind": kind,
        "subkind": subkind,
        "geometry": feature["geometry"],
        "households": _households(props.get("households")),
        "active_from": _date(props.get("active_from"), "active_from"),
        "active_until": _date(props.get("active_until"), "active_until"),
        "description": cell_text(props.get("description")),
    }
    if props.get("is_active") is not None:
        if not isinstance(props["is_active"], bool):
            raise RowRejected(_("The property “is_active” must be true or false."))
        values["is_active"] = props["is_active"]
    return {"index": index, "code": code, "region_code": region_code, "values": values}


def _households(value: Any) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(cell_text(value))
    except ValueError:
        number = -1
    if number < 0:
        raise RowRejected(
            _("The number of households “%(value)s” is not a whole number ≥ 0.") % {"value": value}
        )
    return number


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(cell_text(value))
    except ValueError as exc:
        raise RowRejected(
            _("The property “%(name)s” must be a date like 2026-05-01, not “%(value)s”.")
            % {"name": name, "value": value}
        ) from exc


def _upsert_grid(candidate: dict[str, Any]) -> str:
    """Create or update one grid; return "created", "updated" or "unchanged"."""
    region = Region.objects.filter(code=candidate["region_code"]).first()
    if region is None:
        raise RowRejected(_("Unknown region code %(code)s.") % {"code": candidate["region_code"]})
    values = {**candidate["values"], "region": region}
    grid = Grid.objects.filter(code=candidate["code"]).first()
    if grid is not None:
        current = {name: getattr(grid, name) for name in values if name != "region"}
        current["region"] = grid.region_id
        wanted = {**values, "region": region.pk}
        if current == wanted:
            return "unchanged"
        for name, value in values.items():
            setattr(grid, name, value)
        grid.full_clean()
        grid.save()
        return "updated"
    grid = Grid(code=candidate["code"], **values)
    grid.full_clean()
    grid.save()
    return "created"
