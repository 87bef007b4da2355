"""What both importers share: the report of good and rejected rows, the file errors, and code
and error helpers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _


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
