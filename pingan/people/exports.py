"""Residents as Excel: the import template, the rejection report and the scoped export.

Every workbook here holds ID and phone numbers masked only (ARCHITECTURE rule 6); the import
template's example row carries a synthetic ID number that passes GB 11643.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.events.exports import write_workbook
from pingan.people import idnumber
from pingan.people.importers import Rejection, header_labels
from pingan.people.models import Resident

# The request parameters that filter an export (the same names as the resident list).
FILTER_KEYS = ("grid", "status", "residence_type", "q")
CHUNK = 2000


def filter_params(data: Mapping) -> dict[str, str]:
    """Return the export filter of a request's GET or POST as plain strings (JSON-safe)."""
    params: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = data.get(key)
        if value not in (None, "") and str(value).strip():
            params[key] = str(value).strip()
    return params


def filtered_residents(user, params: Mapping[str, str]) -> QuerySet[Resident]:
    """Return the residents ``user`` may see that match ``params``."""
    residents = Resident.objects.visible_to(user)
    if params.get("grid"):
        residents = residents.filter(grid__code=params["grid"])
    if params.get("status") in Resident.Status.values:
        residents = residents.filter(status=params["status"])
    if params.get("residence_type") in Resident.ResidenceType.values:
        residents = residents.filter(residence_type=params["residence_type"])
    if params.get("q"):
        residents = residents.filter(name__contains=params["q"])
    return residents


def columns() -> list[tuple[str, int]]:
    return [
        (_("Name"), 12),
        (_("Sex"), 6),
        (_("Birth date"), 12),
        (_("ID number"), 22),
        (_("Phone"), 14),
        (_("Household registration address"), 30),
        (_("Grid code"), 18),
        (_("Grid"), 22),
        (_("Residence type"), 14),
        (_("Status"), 10),
        (_("Last verified"), 18),
    ]


def resident_rows(residents: QuerySet[Resident]) -> Iterator[list[Any]]:
    """Yield export rows, numbers masked, streamed in chunks."""
    queryset = (
        residents.select_related("grid")
        .only(
            "name",
            "sex",
            "birth_date",
            "id_number_masked",
            "phone_masked",
            "registered_address",
            "residence_type",
            "status",
            "verified_at",
            "grid__code",
            "grid__name",
        )
        .order_by("path", "name", "id")
    )
    for r in queryset.iterator(chunk_size=CHUNK):
        yield [
            r.name,
            r.get_sex_display() if r.sex else "",
            r.birth_date,
            r.id_number_masked,
            r.phone_masked,
            r.registered_address,
            r.grid.code if r.grid_id else "",
            r.grid.name if r.grid_id else "",
            r.get_residence_type_display(),
            r.get_status_display(),
            timezone.localtime(r.verified_at).replace(tzinfo=None) if r.verified_at else None,
        ]


def export_filename() -> str:
    return f"{_('Residents')}-{timezone.localdate().isoformat()}.xlsx"


def template_workbook(grid_code: str = "513999001001001") -> bytes:
    """Return the import template: Chinese headings and one example row (synthetic ID)."""
    try:
        example_id = idnumber.generate(grid_code[:6], dt.date(1980, 5, 17), 1)
    except ValueError:  # a grid code that does not start with a region code
        example_id = idnumber.generate("513999", dt.date(1980, 5, 17), 1)
    example = [
        "张三",
        example_id,
        "13800001234",
        "示范县示范镇示范村1组",
        grid_code,
        "户籍",
        "在住",
        "户主",
        "0001",
    ]
    widths = [10, 22, 14, 30, 18, 10, 8, 12, 10]
    content, _count = write_workbook(
        _("Residents"), list(zip(header_labels(), widths, strict=True)), [example]
    )
    return content


def rejection_workbook(rejected: Sequence[Rejection]) -> bytes:
    """Return the rejected rows as xlsx: row, column, value (numbers masked), reason."""
    heading = [(_("Row"), 8), (_("Column"), 14), (_("Value"), 24), (_("Reason"), 60)]
    rows = ([r.row, r.column, r.value, r.reason] for r in sorted(rejected, key=lambda r: r.row))
    content, _count = write_workbook(_("Rejected rows"), heading, rows)
    return content
