"""Import houses (实有房屋) from an Excel workbook: one house per standard address.

A row names the grid and the parts of the address; the address is found by its normalised form
in the grid's village (or created), and the house at it is created or updated (a house is
one-to-one with its address). A row is the whole record: an empty owner or note empties it;
only empty coordinates keep the address's point, which other records may share.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.geo.models import Grid
from pingan.people.importers.base import (
    BATCH_SIZE,
    Importer,
    ImportResult,
    Rejection,
    RejectionReport,
    RowError,
    _choice,
    _limit,
    _text,
    address_key,
    create_addresses,
    find_addresses,
)
from pingan.people.models import House

COLUMNS: dict[str, tuple[str, ...]] = {
    "grid_code": ("网格编码", "grid code", "grid_code", "grid"),
    "street": ("街路巷", "街路巷名称", "街道", "street", "street or road", "road"),
    "number": ("门牌号", "门牌", "number", "house number"),
    "building": ("楼栋", "楼栋号", "栋", "building"),
    "unit": ("单元", "单元号", "unit"),
    "room": ("房号", "室", "房间号", "room"),
    "use": ("房屋用途", "用途", "use"),
    "owner_name": ("产权人", "房主", "owner"),
    "occupier_name": ("居住人", "使用人", "occupier"),
    "is_rented": ("是否出租", "出租", "rented", "rented out"),
    "safety_notes": ("安全隐患", "safety notes", "safety"),
    "lng": ("经度", "longitude", "lng"),
    "lat": ("纬度", "latitude", "lat"),
}
REQUIRED_COLUMNS = ("grid_code", "street")
TEMPLATE_WIDTHS = [18, 14, 8, 8, 8, 8, 12, 10, 10, 10, 24, 12, 12]

USES = {
    "自住": House.Use.HOME,
    "住宅": House.Use.HOME,
    "商铺": House.Use.SHOP,
    "商住": House.Use.MIXED,
    "商住两用": House.Use.MIXED,
    "住宅兼商铺": House.Use.MIXED,
    "办公": House.Use.OFFICE,
    "仓库": House.Use.WAREHOUSE,
    "厂房": House.Use.WAREHOUSE,
    "仓库或厂房": House.Use.WAREHOUSE,
    "空置": House.Use.VACANT,
    "其他": House.Use.OTHER,
}
# The label each use is exported under (the first Chinese name above).
USE_LABELS = {value: name for name, value in reversed(USES.items())}
YES = {"是", "y", "yes", "true", "1", "出租", "已出租"}
NO = {"否", "n", "no", "false", "0", "不出租", "未出租", "自住"}
# Mainland China with its islands: a point outside is a typo (or swapped columns).
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
ADDRESS_PARTS = ("street", "number", "building", "unit", "room")


def yes_no(value: Any, column: str) -> bool:
    """Return the boolean of a 是/否 cell (blank: no), or raise RowError."""
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text or text in NO:
        return False
    if text in YES:
        return True
    raise RowError(column, _("Write 是 or 否."), text[:20])


def coordinate(value: Any, column: str, bounds: tuple[float, float]) -> float | None:
    """Return a longitude or latitude in ``bounds`` (blank: None), or raise RowError."""
    text = _text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowError(column, _("Write the coordinate as a decimal number."), text[:20]) from None
    if not bounds[0] <= number <= bounds[1]:
        raise RowError(
            column,
            _("The coordinate is not in China (%(low)s to %(high)s).")
            % {"low": bounds[0], "high": bounds[1]},
            text[:20],
        )
    return number


def example_row(grid: Grid | None, grid_code: str) -> list[Any]:
    """Return the template's example row: a house in ``grid`` (its point inside the grid)."""
    lng = lat = None
    if grid is not None:
        lng, lat = grid_point(grid)
    return [grid_code, "人民路", "12", "", "", "", "自住", "张三", "李四", "否", "", lng, lat]


def grid_point(grid: Grid) -> tuple[float | None, float | None]:
    """Return a point inside ``grid`` (rounded to 6 places), or (None, None)."""
    try:
        from shapely.geometry import shape

        point = shape(grid.geometry).representative_point()
    except Exception:  # noqa: BLE001 -- a template without a point is still a template
        return None, None
    return round(point.x, 6), round(point.y, 6)


@dataclass
class _Row:
    number: int
    grid: Grid
    key: str  # the address's normalised form
    address: dict[str, str]
    lng: float | None
    lat: float | None
    fields: dict[str, Any]


class HouseImporter(Importer):
    """Houses found by their standard address (normalised form in the grid's village)."""

    kind = "houses"
    columns = COLUMNS
    required = REQUIRED_COLUMNS

    def check(self, number: int, values: dict[str, Any]) -> _Row:
        grid = self.scope.checked_grid(values)
        street = _limit(_text(values.get("street")), "街路巷", 100)
        if not street:
            raise RowError("街路巷", _("The street or road is missing."))
        parts = {"street": street}
        for key, column in (("number", "门牌号"), ("building", "楼栋"), ("unit", "单元")):
            parts[key] = _limit(_text(values.get(key)), column, 20)
        parts["room"] = _limit(_text(values.get("room")), "房号", 20)
        use_text = _text(values.get("use"))
        use = _choice(use_text, USES, House.Use)
        if use is None:
            raise RowError(
                "房屋用途", _("Write 自住, 商铺, 商住, 办公, 仓库, 空置 or 其他."), use_text[:20]
            )
        fields = {
            "use": use,
            "owner_name": _limit(_text(values.get("owner_name")), "产权人", 50),
            "occupier_name": _limit(_text(values.get("occupier_name")), "居住人", 50),
            "is_rented": yes_no(values.get("is_rented"), "是否出租"),
            "safety_notes": _limit(_text(values.get("safety_notes")), "安全隐患", 2000),
        }
        lng = coordinate(values.get("lng"), "经度", LNG_RANGE)
        lat = coordinate(values.get("lat"), "纬度", LAT_RANGE)
        if (lng is None) != (lat is None):
            column = "纬度" if lat is None else "经度"
            raise RowError(column, _("Give both the longitude and the latitude, or neither."))
        return _Row(
            number=number,
            grid=grid,
            key=address_key(grid, *(parts[p] for p in ADDRESS_PARTS)),
            address=parts,
            lng=lng,
            lat=lat,
            fields=fields,
        )

    def keys(self, row: _Row) -> list[str]:
        return [row.key]

    def duplicate(self, row: _Row, key: str, first: int) -> Rejection:
        return Rejection(
            row.number,
            "街路巷",
            _("The same address is already in row %(row)d.") % {"row": first},
            _address_text(row.address),
        )

    def write(self, batch: list[_Row], result: ImportResult) -> None:
        """Create, update or leave alone the houses of one batch, in one transaction."""
        now = timezone.now()
        addresses = find_addresses(row.key for row in batch)
        houses = {
            h.address_id: h
            for h in House.objects.filter(address_id__in=[a.pk for a in addresses.values()])
        }
        rows: list[_Row] = []
        for row in batch:
            address = addresses.get(row.key)
            house = houses.get(address.pk) if address is not None else None
            if house is not None and not self.scope.allows_path(house.path, house.grid_id):
                self.reject(
                    Rejection(
                        row.number,
                        "街路巷",
                        _("This house is recorded in a grid outside your area."),
                        _address_text(row.address),
                    )
                )
                continue
            rows.append(row)
        with transaction.atomic():
            addresses.update(
                create_addresses(
                    {
                        row.key: (row.grid, {**row.address, "lng": row.lng, "lat": row.lat})
                        for row in rows
                        if row.key not in addresses
                    },
                    collector=self.collector,
                    now=now,
                )
            )
            moved = []
            to_create: list[House] = []
            to_update: list[House] = []
            for row in rows:
                address = addresses[row.key]
                point_changed = row.lng is not None and (address.lng, address.lat) != (
                    row.lng,
                    row.lat,
                )
                if point_changed:
                    address.lng, address.lat = row.lng, row.lat
                    moved.append(address)
                region = row.grid.region
                wanted = {"grid_id": row.grid.pk, "region_id": region.pk, **row.fields}
                house = houses.get(address.pk)
                if house is None:
                    house = House(
                        address=address,
                        path=region.path,
                        county_code=region.county_code,
                        collected_by=self.collector,
                        collected_at=now,
                        **wanted,
                    )
                    houses[address.pk] = house  # (duplicates are out: one row per address)
                    to_create.append(house)
                elif point_changed or any(getattr(house, k) != v for k, v in wanted.items()):
                    for name, value in wanted.items():
                        setattr(house, name, value)
                    house.path, house.county_code = region.path, region.county_code
                    house.collected_by, house.collected_at = self.collector, now
                    to_update.append(house)
                else:
                    result.unchanged += 1
            if moved:
                type(moved[0]).objects.bulk_update(moved, ["lng", "lat"])
            House.objects.bulk_create(to_create)
            if to_update:
                House.objects.bulk_update(
                    to_update,
                    [
                        "grid",
                        "region",
                        "path",
                        "county_code",
                        *HOUSE_FIELDS,
                        "collected_by",
                        "collected_at",
                    ],
                )
        result.created += len(to_create)
        result.updated += len(to_update)


HOUSE_FIELDS = ("use", "owner_name", "occupier_name", "is_rented", "safety_notes")


def _address_text(parts: dict[str, str]) -> str:
    text = "".join(
        [
            parts["street"],
            parts["number"] and f"{parts['number']}号",
            parts["building"] and f"{parts['building']}栋",
            parts["unit"] and f"{parts['unit']}单元",
            parts["room"] and f"{parts['room']}室",
        ]
    )
    return re.sub(r"\s+", " ", text)[:60]


def import_houses(
    path,
    *,
    user,
    progress: Callable[[int, ImportResult], None] | None = None,
    batch_size: int = BATCH_SIZE,
    report: RejectionReport | None = None,
) -> ImportResult:
    """Import the houses of the .xlsx file ``path`` as ``user``; return what happened."""
    return HouseImporter(user).run(path, progress=progress, batch_size=batch_size, report=report)
