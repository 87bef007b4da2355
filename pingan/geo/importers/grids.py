"""Import grids from a GeoJSON FeatureCollection."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from pingan.core import safe_json
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
from pingan.geo.models import Grid, Region

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
