"""Shared helpers for the event tests: places in the demo county, photos, events in any state.

Other test modules import the plain functions (``grid_point``, ``png_upload``, ``report``,
``move``, ``event_in``) or use the fixtures of the same names; keep their signatures stable.

Places (demo county 513999): ``GRID01`` is grid01's community grid in township 513999001,
``GRID02`` grid02's rural grid in township 513999002. ``OUTSIDE`` lies far from any county;
``near_county_point()`` lies just outside the county's boundary, within the nearest-village
fallback distance of ``locate``.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

COUNTY = "513999"
TOWNSHIP01 = "513999001"
VILLAGE01 = "513999001001"  # 南门社区, grid01's community
GRID01 = "513999001001001"
GRID02 = "513999002201001"
TRANSPORT = "513999-transport"
HOUSING = "513999-housing"
WALL = "0201"  # 挡墙垮塌隐患 → 513999-transport, automatic, sign 0.5 h, resolve 12 h (natural)
WALL_TEXT = "南门社区后山挡墙出现裂缝，有垮塌危险"
OUTSIDE = (90.0, 20.0)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep uploaded photos of the tests out of var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def get_user(username: str):
    """Return a fresh copy of a demo account (no cached event access from earlier moves)."""
    from pingan.accounts.models import User

    return User.objects.get(username=username)


def make_handler(username: str, department_code: str):
    """Create (or return) a handler account of the department ``department_code``."""
    from pingan.accounts.models import Department, Membership, Role, User

    user, created = User.objects.get_or_create(username=username, defaults={"full_name": username})
    if created:
        Membership.objects.create(
            user=user,
            role=Role.DEPARTMENT_HANDLER,
            department=Department.objects.get(code=department_code),
        )
    return user


def grid_point(code: str = GRID01) -> tuple[float, float]:
    """Return (lng, lat) of a point inside the grid ``code`` that ``locate`` answers with it."""
    from pingan.geo import geometry
    from pingan.geo.models import Grid

    grid = Grid.objects.get(code=code)
    point = geometry.parse_polygon(grid.geometry).representative_point()
    return point.x, point.y


def near_county_point() -> tuple[float, float]:
    """Return a point about 1 km west of the county: in no grid, near a village."""
    from pingan.geo import geometry
    from pingan.geo.models import Region

    west, south, _east, north = geometry.parse_polygon(
        Region.objects.get(code=COUNTY).boundary
    ).bounds
    return west - 0.01, (south + north) / 2


def png_bytes(size: tuple[int, int] = (40, 30), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def png_upload(name: str = "photo.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    """Return a small real PNG as an upload."""
    return SimpleUploadedFile(name, png_bytes(size), content_type="image/png")


def pdf_upload(name: str = "说明.pdf") -> SimpleUploadedFile:
    """Return a small real PDF (one blank page) as an upload."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")


def bomb_upload(
    name: str = "bomb.png", size: tuple[int, int] = (20000, 20000)
) -> SimpleUploadedFile:
    """Return a PNG whose header claims ``size`` pixels: a decompression bomb, a few bytes long.

    The pixels are never there; Pillow reads the size from the header, which is what counts.
    """
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size[0], size[1], 8, 2, 0, 0, 0)  # 8-bit RGB
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    return SimpleUploadedFile(name, data, content_type="image/png")


def report(
    username: str = "resident01",
    *,
    description: str = WALL_TEXT,
    category: str | None = WALL,
    where: str | tuple[float, float] | None = GRID01,
    channel: str | None = None,
    **fields,
):
    """File a report through ``services.report_event`` and return the event.

    ``where`` is a grid code (a point inside it), a (lng, lat) point, or None (give ``village``
    in ``fields`` then). The channel defaults to the reporter's usual one.
    """
    from pingan.events import queries, services

    user = get_user(username)
    if isinstance(where, str):
        fields["lng"], fields["lat"] = grid_point(where)
    elif where is not None:
        fields["lng"], fields["lat"] = where
    channel = channel or queries.intake_channels(user)[0]
    event, _created = services.report_event(
        acting_user=user, description=description, channel=channel, category=category, **fields
    )
    return event


def move(event, action: str, username: str, **fields):
    """Make the move ``action`` as the demo account ``username``; return the fresh event."""
    from pingan.events import services

    services.perform(event.pk, action, acting_user=get_user(username), **fields)
    event.refresh_from_db()
    return event


# The usual way each status is reached from a fresh report by resident01 (category 0201 at
# grid01's grid, dispatched at once to the transport bureau). With ``assist`` the county centre
# summons the housing bureau as an assisting department right after dispatch.
PATHS: dict[str, list[tuple[str, str, dict]]] = {
    "dispatched": [],
    "signed": [("sign", "dept-transport", {})],
    "in_progress": [("sign", "dept-transport", {}), ("start", "dept-transport", {})],
    "resolved": [
        ("sign", "dept-transport", {}),
        ("start", "dept-transport", {}),
        ("resolve", "dept-transport", {"note": "已清理危石并设置警示", "photos": "png"}),
    ],
    "closed": [
        ("sign", "dept-transport", {}),
        ("start", "dept-transport", {}),
        ("resolve", "dept-transport", {"note": "已清理危石并设置警示", "photos": "png"}),
        ("verify", "grid01", {"note": "现场核查通过"}),
    ],
    "suspended": [
        ("sign", "dept-transport", {}),
        ("suspend", "center", {"note": "等待群众补充位置信息"}),
    ],
    "on_hold": [
        ("sign", "dept-transport", {}),
        ("request_hold", "dept-transport", {"note": "需等待汛期结束后施工"}),
        ("approve_hold", "center", {"note": "同意缓办"}),
    ],
    "merged": [("merge", "center", {"into": "survivor"})],
    "invalid": [("invalidate", "center", {"note": "重复报送的无效信息"})],
}


def event_in(status: str, *, assist: bool = False, reporter: str = "resident01", **report_kw):
    """Return an event brought to ``status`` along a legal path (see ``PATHS``).

    ``reported``: an unclassified report the centre then classified (it waits for dispatch).
    ``merged``: merged into a second, open report of the same place.
    """
    if status == "reported":
        report_kw.setdefault("description", "这里有点情况，请来看看")
        event = report(reporter, category=None, **report_kw)
        return move(event, "update", "center", category=WALL, note="人工分类")
    event = report(reporter, **report_kw)
    if assist:
        move(event, "summon", "center", departments=[HOUSING], note="请住建局协助")
    for action, username, fields in PATHS[status]:
        fields = dict(fields)
        if fields.get("photos") == "png":
            fields["photos"] = [png_upload()]
        if fields.get("into") == "survivor":
            fields["into"] = report("grid01").pk
        move(event, action, username, **fields)
    assert event.status == status, (event.status, status)
    return event


@pytest.fixture
def make_event(db):
    """Return ``report`` (file a report as a demo account), for tests that prefer fixtures."""
    return report


@pytest.fixture
def make_event_in(db):
    """Return ``event_in`` (an event brought to a status along a legal path)."""
    return event_in


def later(hours: float, start: dt.datetime | None = None) -> dt.datetime:
    """Return ``hours`` after ``start`` (default now)."""
    from django.utils import timezone

    return (start or timezone.now()) + dt.timedelta(hours=hours)
