"""Reading an Excel workbook as a stream, and the scratch file an import keeps on disk.

openpyxl's read-only mode streams a sheet but keeps what grows with the file (see
:func:`_open_sheet`); here the shared strings and the keys an import has already met live in a
temporary SQLite file (:class:`SeenKeys`), and each parsed row is dropped once read, so reading
100,000 rows takes the same memory as reading 1,000.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from pingan.core.excel import cell_text
from pingan.core.text import clean_text

# Parameters per SQLite statement of the scratch file (old SQLite builds allow 999).
_SQLITE_CHUNK = 500


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not Excel, missing columns); nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str:
    """Return a cell as text: integers without ".0", dates as ISO, blanks as "".

    Invisible characters go (see core.text), as when the record is saved: else a re-import
    of the same file would see a change in every such cell (and bulk_update, which skips the
    fields' own cleaning, would store them).
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return clean_text(cell_text(value))


def header_map(header: tuple, columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Return {column key: index} for a header row; "*" (required marks) and case ignored."""
    aliases = {alias.lower(): key for key, names in columns.items() for alias in names}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = aliases.get(_text(cell).lower().replace("*", "").strip())
        if key and key not in found:
            found[key] = index
    return found


def open_rows(
    path,
    columns: dict[str, tuple[str, ...]],
    required: Iterable[str],
    *,
    scratch: SeenKeys | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (sheet row number, {column key: cell value}) of the workbook's first sheet.

    Raise ImportFileError (on the first ``next()``) if the file is no Excel workbook or lacks a
    required column. Blank rows are skipped. The workbook's shared strings are kept in
    ``scratch`` (a temporary SQLite file of its own when not given), not in memory.
    """
    own = scratch is None
    store = SeenKeys() if own else scratch
    try:
        yield from _rows(path, columns, required, store)
    finally:
        if own:
            store.close()


def _rows(path, columns, required, store: SeenKeys) -> Iterator[tuple[int, dict[str, Any]]]:
    closing, rows = _open_sheet(path, store)
    try:
        # The header is the first row with something in it (blank rows above are skipped).
        header: tuple = ()
        for _number, cells in rows:
            if any(_text(c) for c in cells):
                header = cells
                break
        found = header_map(header, columns)
        missing = [columns[key][0] for key in required if key not in found]
        if missing:
            raise ImportFileError(
                _("The first row lacks the required columns: %(columns)s.")
                % {"columns": "、".join(missing)}
            )
        number = 1
        while True:
            try:
                number, cells = next(rows)
            except StopIteration:
                break
            except (ValueError, KeyError, SyntaxError) as exc:  # ParseError is a SyntaxError
                # A sheet damaged part way: the rows before are imported, the job says where.
                raise ImportFileError(
                    _("The sheet cannot be read after row %(row)d: %(error)s")
                    % {"row": number, "error": exc}
                ) from exc
            if not cells or all(c is None or _text(c) == "" for c in cells):
                continue
            yield (
                number,
                {key: cells[i] if i < len(cells) else None for key, i in found.items()},
            )
    finally:
        rows.close()
        closing.close()


def _not_a_workbook(exc: Exception) -> ImportFileError:
    return ImportFileError(
        _("This file is not an Excel workbook (.xlsx): %(error)s") % {"error": exc}
    )


def _open_sheet(path, store: SeenKeys):
    """Open the workbook; return something to close and an iterator of its first sheet's rows.

    Rows come as (sheet row number, cell values). openpyxl's read-only mode streams the sheet
    but holds what grows with the file: the shared-strings table (every distinct text, in one
    list), one emptied element per row read under <sheetData>, and, opening a sheet without a
    <dimension> (as openpyxl's own write-only mode writes them), a whole extra pass over it that
    keeps every row element until it ends. Here the strings go to the scratch SQLite file, the
    sheet is read once, and each row element is dropped once parsed: memory stays flat. This
    uses openpyxl's reader parts (``ExcelReader``, ``WorkSheetParser``, openpyxl 3.1); should
    they change, the plain read-only mode takes over (correct, only not flat).
    """
    try:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
        from openpyxl.xml.constants import SHARED_STRINGS
        from openpyxl.xml.functions import iterparse
    except ImportError:  # pragma: no cover -- another openpyxl
        return _open_sheet_plainly(path)

    strings = store.strings()
    try:
        reader = ExcelReader(path, read_only=True, data_only=True)
    except Exception as exc:  # zip and key errors for files that are no workbook
        raise _not_a_workbook(exc) from exc
    archive = reader.archive
    try:
        reader.read_manifest()
        part = reader.package.find(SHARED_STRINGS)
        if part is not None:
            with archive.open(part.PartName[1:]) as source:
                strings.load(source)
        reader.read_workbook()
        apply_stylesheet(archive, reader.wb)  # which cell styles are dates
        sheet_path = next(
            (
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type
            ),
            None,
        )
    except Exception as exc:  # XML, key and value errors of broken packages
        archive.close()
        raise _not_a_workbook(exc) from exc
    if sheet_path is None:
        archive.close()
        raise ImportFileError(_("This workbook has no sheet with a table."))
    workbook = reader.wb

    def rows() -> Iterator[tuple[int, tuple]]:
        with archive.open(sheet_path) as source:
            parser = WorkSheetParser(
                source,
                strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            parents = []
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    parents.append(element)
                    continue
                parents.pop()
                if element.tag != ROW_TAG:
                    continue
                number = _row_number(parser, element)
                cells = [_cell(parser, cell) for cell in element]
                if parents:
                    parents[-1].remove(element)  # the only child left: dropped in O(1)
                values: list[Any] = [None] * max((column for column, _v in cells), default=0)
                for column, value in cells:
                    values[column - 1] = value
                yield number, tuple(values)

    return archive, rows()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_T, _R, _IS = f"{_MAIN}t", f"{_MAIN}r", f"{_MAIN}is"


def _plain_text(node) -> str:
    """Return the text of a <si> or <is> node: its <t>, or the <t> of its runs (as openpyxl)."""
    parts = []
    for child in node:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _R:
            text = child.find(_T)
            if text is not None:
                parts.append(text.text or "")
    return "".join(parts)


def _row_number(parser, row) -> int:
    """Return a <row>'s number (its r attribute, else the one after the last), as openpyxl does."""
    number = row.get("r")
    if number is None:
        parser.row_counter += 1
    else:
        value = float(number)
        if not value.is_integer():
            raise ValueError(f"{number} is not a valid row number")
        parser.row_counter = int(value)
    parser.col_counter = 0
    return parser.row_counter


def _cell(parser, cell) -> tuple[int, Any]:
    """Return (column, value) of a <c>. Inline strings (openpyxl's own write-only files use
    them for every text) are read here directly: openpyxl's generic parsing of them is a third
    of the import's reading time. Every other kind of cell is openpyxl's to read."""
    if cell.get("t") != "inlineStr":
        parsed = parser.parse_cell(cell)
        return parsed["column"], parsed["value"]
    from openpyxl.utils.cell import coordinate_to_tuple

    coordinate = cell.get("r")
    if coordinate:
        parser.col_counter = coordinate_to_tuple(coordinate)[1]
    else:
        parser.col_counter += 1
    node = cell.find(_IS)
    return parser.col_counter, _plain_text(node) if node is not None else None


def _open_sheet_plainly(path):  # pragma: no cover -- only with an openpyxl we do not know
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _not_a_workbook(exc) from exc

    def rows():
        yield from enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)

    return workbook, rows()


class SeenKeys:
    """The duplicate keys met so far in a file, each with the row it was first seen in.

    Kept in a temporary on-disk SQLite file (stdlib ``sqlite3``), asked and filled once per
    batch: memory does not grow with the file. An optional text value travels with a key (the
    联户 importer keeps each group's stated type and head there). The same file holds the
    workbook's shared strings (:meth:`strings`).
    """

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="pingan-import-", suffix=".sqlite3")
        os.close(handle)
        self.db = sqlite3.connect(self.path)
        # A scratch table: no journal, no fsync, a small page cache (the default 2 MB).
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute(
            "CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER NOT NULL, value TEXT)"
            " WITHOUT ROWID"
        )

    def find(self, keys: Iterable[str]) -> dict[str, tuple[int, str | None]]:
        """Return {key: (first row, value)} of those ``keys`` already seen."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(wanted), _SQLITE_CHUNK):
            chunk = wanted[start : start + _SQLITE_CHUNK]
            marks = ",".join("?" * len(chunk))
            cursor = self.db.execute(
                f"SELECT key, row, value FROM seen WHERE key IN ({marks})",  # noqa: S608 -- only "?" marks
                chunk,
            )
            found.update({key: (row, value) for key, row, value in cursor})
        return found

    def add(self, items: Iterable[tuple[str, int, str | None]]) -> None:
        """Remember (key, first row, value); a key already kept gets the new value."""
        self.db.executemany(
            "INSERT INTO seen (key, row, value) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            items,
        )

    def strings(self) -> _DiskStrings:
        """Return an empty shared-strings table kept in this file."""
        return _DiskStrings(self.db)

    def close(self) -> None:
        self.db.close()
        Path(self.path).unlink(missing_ok=True)

    def __enter__(self) -> SeenKeys:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _DiskStrings:
    """A workbook's shared-strings table in a SQLite table, read by index like openpyxl's list.

    Texts that repeat (grid codes, types, statuses) come from a small in-memory cache.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.count = 0
        self.db.execute("CREATE TABLE IF NOT EXISTS strings (id INTEGER PRIMARY KEY, text TEXT)")
        self.db.execute("DELETE FROM strings")
        self._cached = functools.lru_cache(maxsize=2048)(self._fetch)

    def load(self, source) -> None:
        """Read the <sst> part ``source`` into the table, one <si> after the other."""
        from openpyxl.xml.functions import iterparse

        tag = f"{_MAIN}si"
        root = None
        batch: list[tuple[int, str]] = []
        for event, node in iterparse(source, events=("start", "end")):
            if root is None:
                root = node
            if event != "end" or node.tag != tag:
                continue
            # As openpyxl's read_string_table does: rich text flattened, escapes undone.
            batch.append((self.count, _plain_text(node).replace("x005F_", "")))
            self.count += 1
            root.clear()  # the <si> read: drop it (openpyxl keeps an empty element per text)
            if len(batch) >= _SQLITE_CHUNK:
                self.db.executemany("INSERT INTO strings (id, text) VALUES (?, ?)", batch)
                batch = []
        self.db.executemany("INSERT INTO strings (id, text) VALUES (?, ?)", batch)

    def _fetch(self, index: int) -> str:
        found = self.db.execute("SELECT text FROM strings WHERE id = ?", (index,)).fetchone()
        if found is None:
            raise IndexError(index)
        return found[0]

    def __getitem__(self, index: int) -> str:
        return self._cached(index)

    def __len__(self) -> int:
        return self.count
