"""Excel ledgers (台账) of regions and grids: the same filtered, scoped rows as the lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from pingan.core.excel import stamped_name, write_workbook, xlsx_response
from pingan.geo.models import Grid, Region


def workbook_response(
    title: str,
    basename: str,
    ascii_basename: str,
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence[Any]],
) -> HttpResponse:
    """Write ``rows`` under a bold header row into one sheet and return it as a download."""
    content, _count = write_workbook(title, columns, rows)
    return xlsx_response(content, stamped_name(basename), stamped_name(ascii_basename))


def _date(value) -> str:
    return value.isoformat() if value else ""


def _member_text(member) -> str:
    text = f"{member.get_role_display()}: {member.name}"
    return f"{text} {member.work_phone}" if member.work_phone else text


def grid_workbook_response(grids: QuerySet[Grid]) -> HttpResponse:
    """Return the grid ledger (网格台账) of ``grids`` (team members prefetched) as .xlsx."""
    columns = [
        (_("Grid code"), 18),
        (_("Grid name"), 24),
        (_("Kind"), 16),
        (_("Sub-kind"), 10),
        (_("Village / community"), 16),
        (_("Township / street"), 16),
        (_("Households"), 10),
        (_("Area (km²)"), 10),
        (_("Team size"), 10),
        (_("Team (role: name, work phone)"), 60),
        (_("In use"), 8),
        (_("Active from"), 12),
        (_("Active until"), 12),
    ]
    yes, no = _("Yes"), _("No")

    def rows():
        for grid in grids.iterator(chunk_size=500):
            region = grid.region
            if region.level == Region.Level.VILLAGE:
                village, township = region.name, region.parent.name if region.parent else ""
            else:
                village, township = "", region.name
            team = grid.members.all()
            yield [
                grid.code,
                grid.name,
                grid.get_kind_display(),
                grid.get_subkind_display() if grid.subkind else "",
                village,
                township,
                grid.households,
                round(grid.area_km2, 3),
                len(team),
                "；".join(_member_text(m) for m in team),
                yes if grid.is_active else no,
                _date(grid.active_from),
                _date(grid.active_until),
            ]

    return workbook_response(
        _("Grids"),
        pgettext("file name", "grid-ledger"),
        "grid-ledger",
        columns,
        rows(),
    )


def region_workbook_response(regions: QuerySet[Region]) -> HttpResponse:
    """Return the region ledger of ``regions`` (annotated with grid totals) as .xlsx."""
    columns = [
        (_("Code"), 16),
        (_("Name"), 20),
        (_("Level"), 14),
        (_("Parent code"), 16),
        (_("Parent"), 20),
        (_("Grids"), 8),
        (_("Households"), 10),
    ]

    def rows():
        for region in regions.iterator(chunk_size=500):
            parent = region.parent
            yield [
                region.code,
                region.name,
                region.get_level_display(),
                parent.code if parent else "",
                parent.name if parent else "",
                region.grid_count,
                region.household_count,
            ]

    return workbook_response(
        _("Regions"),
        pgettext("file name", "region-ledger"),
        "region-ledger",
        columns,
        rows(),
    )
