"""Excel helpers every ledger (台账) shares: header styles, text that stays text, one writer.

Every workbook the project writes goes through :class:`SheetWriter` (or :func:`write_workbook`,
which wraps it): openpyxl's write-only mode, a bold, filled header row, column widths and the
header frozen. Each value passes :func:`cell_value` on its way in, so text from a user, a
resident's note or an uploaded file never becomes a formula in a ledger someone opens later,
and control characters that an .xlsx cannot hold are dropped instead of failing the export.

This module is the lowest layer's: it imports nothing from the apps above ``core``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# Text starting with one of these is a formula to Excel (on "=", openpyxl writes one itself;
# the others become one when the cell is edited, or in a CSV saved from the sheet).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A sheet's name: at most 31 characters (Excel's limit).
TITLE_LENGTH = 31

# (heading, column width) of each column of a sheet.
Heading = Sequence[tuple[str, int]]


def clean_text(text: str) -> str:
    """Return ``text`` without the control characters an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    """Return a cell of ``sheet`` that holds ``text`` as text, whatever it starts with.

    The cell is of type string; text that starts like a formula also carries Excel's quote
    prefix (what typing ``'=1+1`` gives), so it reads back unchanged and is shown as text,
    never evaluated, even once the cell is edited.
    """
    text = clean_text(text)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = TYPE_STRING
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def cell_value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """Return ``value`` as it goes into a row of ``sheet``: text cleaned and kept as text.

    Numbers, dates and blanks pass unchanged; text Excel would read as a formula becomes a
    :func:`text_cell`.
    """
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    if value.startswith(FORMULA_STARTS):
        return text_cell(sheet, value)
    return value


def cell_text(value: Any) -> str:
    """Return a cell (or a GeoJSON property) read from a file as text: 513999.0 becomes "513999"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class SheetWriter:
    """One sheet in a write-only workbook: a styled header row, then rows streamed as they come.

    Column widths and the frozen header row are set before the first row is written (openpyxl's
    write-only mode cannot change them afterwards). Rows stream to a temporary file, so a
    ledger of a year of a county's records never sits in memory.
    """

    def __init__(self, title: str, heading: Heading) -> None:
        self.count = 0
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title=str(title)[:TITLE_LENGTH])
        for index, (_label, width) in enumerate(heading, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        header = []
        for label, _width in heading:
            cell = text_cell(self.sheet, str(label))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header.append(cell)
        self.sheet.append(header)

    def append(self, row: Iterable[Any]) -> None:
        """Write one row below the last (see :func:`cell_value`)."""
        sheet = self.sheet
        sheet.append([cell_value(sheet, value) for value in row])
        self.count += 1

    def save(self, target: str | Path | IO[bytes]) -> None:
        """Write the finished workbook to a path or a binary file; no row can follow."""
        self.workbook.save(target)

    def content(self) -> bytes:
        """Return the finished workbook as bytes; no row can follow."""
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()


def write_workbook(
    title: str,
    heading: Heading,
    rows: Iterable[Sequence[Any]],
    *,
    on_row: Callable[[int], None] | None = None,
) -> tuple[bytes, int]:
    """Write ``rows`` under a styled header into one sheet; return (xlsx, row count).

    ``on_row`` is called with the number of rows written so far after each row (progress).
    """
    writer = SheetWriter(title, heading)
    for row in rows:
        writer.append(row)
        if on_row is not None:
            on_row(writer.count)
    return writer.content(), writer.count


# --- downloads -------------------------------------------------------------------------------

_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def stamped_name(basename: str, ext: str = "xlsx", *, at: dt.datetime | None = None) -> str:
    """Return ``basename`` stamped with the local date and minute: 事件台账-20260314-0930.xlsx."""
    stamp = timezone.localtime(at).strftime("%Y%m%d-%H%M")
    return f"{basename}-{stamp}.{ext}"


def ascii_name(filename: str, prefix: str = "download") -> str:
    """Return an ASCII stand-in for ``filename`` for clients that cannot read ``filename*``.

    A name that is ASCII already is kept (unsafe characters dropped); otherwise what stays of
    it (the date stamp, the extension) follows ``prefix``: 事件台账-20260314-0930.xlsx becomes
    ``events-export-20260314-0930.xlsx`` with ``prefix="events-export"``.
    """
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    kept = _NOT_ASCII_NAME.sub("", folded.replace(" ", "-"))
    if folded == filename and kept.strip("-_."):
        return kept
    rest = kept.lstrip("-_")
    prefix = re.sub(r"[^A-Za-z0-9_-]+", "-", prefix).strip("-") or "download"
    if not rest or rest.startswith("."):
        return f"{prefix}{rest}"
    return f"{prefix}-{rest}"


def content_disposition(filename: str, fallback: str | None = None) -> str:
    """Return a Content-Disposition value for a download named ``filename`` (any language).

    Browsers read the UTF-8 name (RFC 5987/6266 ``filename*``); older clients fall back to the
    quoted ASCII ``filename`` (``fallback``, or :func:`ascii_name` of ``filename``).
    """
    fallback = ascii_name(fallback or filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(content: bytes, filename: str, fallback: str | None = None) -> HttpResponse:
    """Return the .xlsx ``content`` as a download named ``filename``."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    return response
