"""Excel imports of basic data (一标三实): residents, houses, organisations and 联户 groups.

Each kind is an :class:`~pingan.people.importers.base.Importer` in its own module; ``IMPORTERS``
maps the kind names the pages and jobs use to them. See ``base`` for what all share (and
``workbook`` for the streaming read): row checks, duplicates across the file on disk, batched
writes and the rejection report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pingan.geo.models import Grid
from pingan.people.importers import groups, houses, organizations, residents
from pingan.people.importers.base import (
    BATCH_SIZE,
    KEEP_REJECTIONS,
    Importer,
    ImportResult,
    Rejection,
    RejectionReport,
)
from pingan.people.importers.groups import GroupImporter, import_groups
from pingan.people.importers.houses import HouseImporter, import_houses
from pingan.people.importers.organizations import OrganizationImporter, import_organizations
from pingan.people.importers.residents import ResidentImporter, header_labels, import_residents
from pingan.people.importers.workbook import ImportFileError

__all__ = [
    "BATCH_SIZE",
    "IMPORTERS",
    "KEEP_REJECTIONS",
    "ImportFileError",
    "ImportKind",
    "ImportResult",
    "Importer",
    "Rejection",
    "RejectionReport",
    "header_labels",
    "import_file",
    "import_groups",
    "import_houses",
    "import_organizations",
    "import_residents",
]


@dataclass(frozen=True)
class ImportKind:
    """One kind of record that can be imported: its importer, template and wording."""

    name: str
    importer: type[Importer]
    label: Promise  # "Residents"
    help: Promise  # one line on the import page
    example_row: Callable[[Grid | None, str], list[Any]]
    widths: list[int]

    def header_labels(self) -> list[str]:
        return self.importer.header_labels()

    def required_labels(self) -> list[str]:
        return [self.importer.columns[key][0] for key in self.importer.required]


IMPORTERS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        ImportKind(
            "residents",
            ResidentImporter,
            _("Residents"),
            _("One resident per row; households by 户号. Matched by ID number."),
            residents.example_row,
            residents.TEMPLATE_WIDTHS,
        ),
        ImportKind(
            "houses",
            HouseImporter,
            _("Houses"),
            _("One house per row, at a standard address. Matched by the address."),
            houses.example_row,
            houses.TEMPLATE_WIDTHS,
        ),
        ImportKind(
            "organizations",
            OrganizationImporter,
            _("Organisations"),
            _("One organisation per row. Matched by credit code, else by name in the village."),
            organizations.example_row,
            organizations.TEMPLATE_WIDTHS,
        ),
        ImportKind(
            "groups",
            GroupImporter,
            _("联户 groups"),
            _("One member per row: a household (户号), a shop (credit code) or a vehicle."),
            groups.example_row,
            groups.TEMPLATE_WIDTHS,
        ),
    )
}


def import_file(
    kind: str,
    path,
    *,
    user,
    progress: Callable[[int, ImportResult], None] | None = None,
    batch_size: int = BATCH_SIZE,
    report: RejectionReport | None = None,
) -> ImportResult:
    """Import the .xlsx file ``path`` of records of ``kind`` (a key of IMPORTERS) as ``user``."""
    importer = IMPORTERS[kind].importer(user)
    return importer.run(path, progress=progress, batch_size=batch_size, report=report)
