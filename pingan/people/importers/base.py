"""What every Excel import of basic data shares: checking, batching, reporting.

A workbook is read as a stream (:mod:`.workbook`), so the file is never held in memory. Each
kind of record (residents, houses, organisations, 联户 groups) is an :class:`Importer`: its
columns, a check of one row, the keys that find duplicates inside the file, and the write of a
batch of good rows (one transaction per batch, so a bad row never blocks good ones).

Memory stays flat however long the file is (issue 5's benchmark): rows are read as a stream,
written in batches, the keys already seen and the workbook's shared strings live in an on-disk
SQLite file (:class:`SeenKeys`), and rejected rows go straight into the report workbook
(:class:`RejectionReport`, written with openpyxl's write-only mode to a temporary file); only
the first few rejections are kept in memory for the job's log.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.core.excel import SheetWriter
from pingan.geo.models import Grid
from pingan.people.importers.workbook import SeenKeys, _text, open_rows

# Rows read per batch (one transaction each): 2,000 writes ~15 % faster than 1,000 on PostgreSQL
# (half the commits and look-ups) for ~4 MB more held at the peak, whatever the file's size.
BATCH_SIZE = 2000
# Rejections kept in memory (for the job's log); the report file holds every one.
KEEP_REJECTIONS = 20


@dataclass(frozen=True)
class Rejection:
    """One rejected row: its number in the sheet, the column at fault, the value and why."""

    row: int
    column: str
    reason: str
    value: str = ""  # already masked when it is an ID or phone number


@dataclass
class ImportResult:
    """What an import did: counts, and the first rejected rows with their reasons.

    ``rejected`` holds only the first ``KEEP_REJECTIONS`` rejections (in row order); the
    :class:`RejectionReport` given to the import holds all of them.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected_count,
        }


class RowError(Exception):
    """Raised by a row check: the column at fault, why, and the (masked) value."""

    def __init__(self, column: str, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.column, self.reason, self.value = column, reason, value


def _choice(text: str, names: dict[str, str], choices) -> str | None:
    """Return the choice value for a Chinese name, a value or a label; blank: the first name's.

    Return None when ``text`` names no choice.
    """
    if not text:
        return next(iter(names.values()))
    if text in names:
        return names[text]
    lowered = text.lower()
    for value, label in choices.choices:
        if lowered in (value, str(label).lower()):
            return value
    return None


def _limit(text: str, column: str, size: int) -> str:
    """Return ``text`` or raise RowError when it is longer than ``size`` characters."""
    if len(text) > size:
        raise RowError(
            column,
            _("The value is longer than %(size)d characters.") % {"size": size},
            text[:60],
        )
    return text


class _Scope:
    """The grids the importing user may put records in, loaded on first use per code."""

    def __init__(self, user) -> None:
        from pingan.accounts.scope import scope_for

        self.access = scope_for(user)
        self.grids: dict[str, Grid | None] = {}

    def allows_path(self, path: str, grid_id: int | None) -> bool:
        """Return whether a record at region ``path`` in grid ``grid_id`` is in the user's area."""
        access = self.access
        if access.everything:
            return True
        if grid_id is not None and grid_id in access.staff_grid_ids:
            return True
        return any(path.startswith(p) for p in access.centre_paths)

    def grid(self, code: str) -> Grid | None:
        """Return the grid with ``code`` (cached; the county has at most a few thousand)."""
        if code not in self.grids:
            grid = (
                Grid.objects.select_related("region")
                .defer("geometry", "description")
                .filter(code=code)
                .first()
            )
            self.grids[code] = grid
        return self.grids[code]

    def checked_grid(self, values: dict[str, Any], column: str = "网格编码") -> Grid:
        """Return the grid of the row's ``grid_code``; RowError if blank, unknown or outside."""
        code = _text(values.get("grid_code"))
        if not code:
            raise RowError(column, _("The grid code is missing."))
        grid = self.grid(code)
        if grid is None:
            raise RowError(column, _("There is no grid with this code."), code)
        if not self.allows_path(grid.region.path, grid.pk):
            raise RowError(column, _("This grid is outside your area."), code)
        return grid


def rejection_heading() -> list[tuple[str, int]]:
    """Return the rejection report's columns: (heading, width)."""
    return [(_("Row"), 8), (_("Column"), 14), (_("Value"), 24), (_("Reason"), 60)]


class RejectionReport:
    """The rejected rows as an .xlsx (row, column, value, reason), written as they come.

    openpyxl's write-only mode streams the rows to a temporary file, so a file of 10,000 bad
    rows costs disk, not memory. Use as a context manager; :meth:`content` returns the
    finished workbook once the import is over. Values are masked by the importers already.
    """

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="pingan-report-")
        self._saved: Path | None = None
        self._writer = SheetWriter(_("Rejected rows"), rejection_heading())

    @property
    def count(self) -> int:
        """Return the number of rejected rows written so far."""
        return self._writer.count

    def add(self, rejection: Rejection) -> None:
        """Append one rejected row to the report."""
        self._writer.append([rejection.row, rejection.column, rejection.value, rejection.reason])

    def _finish(self) -> Path:
        if self._saved is None:
            self._saved = Path(self._dir.name) / "rejected.xlsx"
            self._writer.save(self._saved)
        return self._saved

    def content(self) -> bytes:
        """Return the finished workbook (no more rows can be added afterwards)."""
        return self._finish().read_bytes()

    def close(self) -> None:
        """Remove the report's files (openpyxl's sheet file goes when the workbook is saved)."""
        self._finish()
        self._dir.cleanup()

    def __enter__(self) -> RejectionReport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Importer:
    """One kind of record in a workbook. Subclasses give the columns and three steps.

    * :meth:`check` turns a row's cells into a checked row object, or raises RowError;
    * :meth:`keys` names the row's duplicate keys (a later row with one of them is rejected);
    * :meth:`write` stores a batch of checked rows in one transaction, counting into the result
      and rejecting (``self.reject``) rows that only the database can refuse.

    ``self.seen`` (the file's :class:`SeenKeys`) is there for importers that must remember more
    than duplicates across batches.
    """

    kind: ClassVar[str] = ""
    columns: ClassVar[dict[str, tuple[str, ...]]] = {}
    required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, user) -> None:
        self.user = user
        self.scope = _Scope(user)
        self.today = timezone.localdate()
        self.collector = user if getattr(user, "pk", None) else None
        self.seen: SeenKeys | None = None
        self._pending: list[Rejection] = []

    @classmethod
    def header_labels(cls) -> list[str]:
        """Return the template's Chinese column headings, in order."""
        return [names[0] for names in cls.columns.values()]

    def check(self, number: int, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def keys(self, row: Any) -> list[str]:
        """Return the row's duplicate keys (none by default)."""
        return []

    def duplicate(self, row: Any, key: str, first: int) -> Rejection:
        """Return the rejection of ``row``, whose ``key`` was first seen in row ``first``."""
        return Rejection(
            row.number, "", _("The same record is already in row %(row)d.") % {"row": first}
        )

    def write(self, rows: list[Any], result: ImportResult) -> None:
        raise NotImplementedError

    def reject(self, rejection: Rejection) -> None:
        """Set a row aside as rejected; reported in row order when its batch ends."""
        self._pending.append(rejection)

    # --- the loop ---------------------------------------------------------------------------

    def run(
        self,
        path,
        *,
        progress: Callable[[int, ImportResult], None] | None = None,
        batch_size: int = BATCH_SIZE,
        report: RejectionReport | None = None,
    ) -> ImportResult:
        """Import the .xlsx file ``path``; return what happened.

        Raise ImportFileError (nothing written) for a file that is no workbook or lacks a
        required column. Every ``batch_size`` rows read, the good ones are written and
        ``progress(rows read, result)`` is called. Every rejection goes to ``report``.
        """
        result = ImportResult()
        with SeenKeys() as seen:
            rows = open_rows(path, self.columns, self.required, scratch=seen)
            # The header is read on the first next(): errors about the file come out here.
            first = next(rows, None)

            def all_rows():
                if first is not None:
                    yield first
                yield from rows

            self.seen = seen
            window: list[Any] = []  # good rows of this batch, in row order
            read = 0
            for number, values in all_rows():
                result.rows += 1
                read += 1
                try:
                    window.append(self.check(number, values))
                except RowError as error:
                    self.reject(Rejection(number, error.column, error.reason, error.value))
                if read >= batch_size:
                    self._flush(window, result, report)
                    window, read = [], 0
                    if progress is not None:
                        progress(result.rows, result)
            self._flush(window, result, report)
            self.seen = None
        if progress is not None:
            progress(result.rows, result)
        return result

    def _flush(
        self, window: list[Any], result: ImportResult, report: RejectionReport | None
    ) -> None:
        """Drop the window's duplicates, write the rest, report the window's rejections."""
        if window and self.seen is not None:
            earlier = self.seen.find(key for row in window for key in self.keys(row))
            here: dict[str, int] = {}
            kept = []
            for row in window:
                keys = self.keys(row)
                hit = next((k for k in keys if k in earlier or k in here), None)
                if hit is not None:
                    first = earlier[hit][0] if hit in earlier else here[hit]
                    self.reject(self.duplicate(row, hit, first))
                    continue
                for key in keys:
                    here[key] = row.number
                kept.append(row)
            self.seen.add((key, number, None) for key, number in here.items())
            if kept:
                self._write(kept, result)
        # Rejections of the check and of the write, in row order (each window follows the last).
        for rejection in sorted(self._pending, key=lambda r: r.row):
            result.rejected_count += 1
            if len(result.rejected) < KEEP_REJECTIONS:
                result.rejected.append(rejection)
            if report is not None:
                report.add(rejection)
        self._pending = []

    def _write(self, rows: list[Any], result: ImportResult) -> None:
        """Write a batch; once more if another import stored one of its records meanwhile.

        Two imports of overlapping ledgers can both find a record missing and both create it:
        the second's batch then fails on a unique constraint and is rolled back whole. Read
        again, the record is there to update; a second failure is a real error.
        """
        counts = (result.created, result.updated, result.unchanged)
        pending = len(self._pending)
        try:
            self.write(rows, result)
        except IntegrityError:
            result.created, result.updated, result.unchanged = counts
            del self._pending[pending:]
            self.write(rows, result)


# --- standard addresses, shared by the house and organisation importers ---------------------


def address_key(grid: Grid, street: str, number: str, building="", unit="", room="") -> str:
    """Return the normalised form a standard address in ``grid``'s village is kept under."""
    from pingan.people.models import normalise_address

    return normalise_address(grid.region.code, street, number, building, unit, room)


def find_addresses(keys: Iterable[str]) -> dict[str, Any]:
    """Return {normalised form: Address} of the kept addresses among ``keys``."""
    from pingan.people.models import Address

    return {a.normalised: a for a in Address.objects.filter(normalised__in=list(set(keys)))}


def create_addresses(wanted: dict[str, tuple[Grid, dict[str, Any]]], *, collector, now) -> dict:
    """Create the addresses ``{normalised: (grid, fields)}``; return {normalised: Address}.

    Call inside the batch's transaction. An address another import created meanwhile is
    skipped (the unique normalised form) and read back like the others.
    """
    from pingan.people.models import Address

    if not wanted:
        return {}
    Address.objects.bulk_create(
        [
            Address(
                grid=grid,
                region_id=grid.region_id,
                path=grid.region.path,
                county_code=grid.region.county_code,
                normalised=key,
                collected_by=collector,
                collected_at=now,
                **fields,
            )
            for key, (grid, fields) in wanted.items()
        ],
        ignore_conflicts=True,
    )
    return find_addresses(wanted)
