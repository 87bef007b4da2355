"""Import residents (实有人口), with their households by 户号, from an Excel workbook.

Every row is checked (required fields, ID number by GB 11643, phone, grid code that exists and
that the importing user may see, duplicates inside the file); residents are matched by the
keyed hash of their ID number, so importing the same file twice changes nothing the second
time. Plain ID and phone numbers are never stored (ARCHITECTURE rule 6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.core import crypto
from pingan.core.bulk import copy_create
from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.duplicates import SUBMITTED, submit_for_check
from pingan.people.importers.base import (
    BATCH_SIZE,
    Importer,
    ImportResult,
    Rejection,
    RejectionReport,
    RowError,
    _choice,
    _text,
)
from pingan.people.models import DuplicateSubmission, Household, HouseholdMember, Resident

# Column key → accepted header names (Chinese first; the template writes the first one).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "id number", "id_number"),
    "phone": ("联系电话", "电话", "phone"),
    "registered_address": (
        "户籍地址",
        "registered address",
        "registered_address",
        "household registration address",
    ),
    "grid_code": ("网格编码", "grid code", "grid_code", "grid"),
    "residence_type": ("人口类型", "residence type", "residence_type", "type"),
    "status": ("状态", "status"),
    "relation": ("与户主关系", "relation", "relation to the head"),
    "household_number": ("户号", "household number", "household_number", "household"),
}
REQUIRED_COLUMNS = ("name", "id_number", "registered_address", "grid_code")

RESIDENCE_TYPES = {
    "户籍": Resident.ResidenceType.REGISTERED,
    "流动": Resident.ResidenceType.FLOATING,
    "境外": Resident.ResidenceType.OVERSEAS,
}
STATUSES = {
    "在住": Resident.Status.LIVING,
    "迁出": Resident.Status.MOVED_OUT,
    "已故": Resident.Status.DECEASED,
}
RELATIONS = {
    "户主": HouseholdMember.Relation.HEAD,
    "配偶": HouseholdMember.Relation.SPOUSE,
    "子女": HouseholdMember.Relation.CHILD,
    "子": HouseholdMember.Relation.CHILD,
    "女": HouseholdMember.Relation.CHILD,
    "父母": HouseholdMember.Relation.PARENT,
    "父亲": HouseholdMember.Relation.PARENT,
    "母亲": HouseholdMember.Relation.PARENT,
    "孙子女": HouseholdMember.Relation.GRANDCHILD,
    "兄弟姐妹": HouseholdMember.Relation.SIBLING,
    "其他": HouseholdMember.Relation.OTHER,
}
# The fields an import writes; an existing resident with all of them equal is "unchanged".
COMPARED = (
    "name",
    "phone_hash",
    "registered_address",
    "grid_id",
    "region_id",
    "residence_type",
    "status",
)


def header_labels() -> list[str]:
    """Return the resident template's Chinese column headings, in order."""
    return ResidentImporter.header_labels()


def example_row(grid: Grid | None, grid_code: str) -> list[Any]:
    """Return the template's example row: a synthetic ID number that passes GB 11643."""
    try:
        example_id = idnumber.generate(grid_code[:6], dt.date(1980, 5, 17), 1)
    except ValueError:  # a grid code that does not start with a region code
        example_id = idnumber.generate("513999", dt.date(1980, 5, 17), 1)
    return [
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


TEMPLATE_WIDTHS = [10, 22, 14, 30, 18, 10, 8, 12, 10]


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    parsed: idnumber.IdNumber
    id_hash: str
    phone: str
    grid: Grid
    residence_type: str
    status: str
    relation: str
    household_number: str


class ResidentImporter(Importer):
    """Residents matched by the keyed hash of their ID number; households by 户号."""

    kind = "residents"
    columns = COLUMNS
    required = REQUIRED_COLUMNS

    def check(self, number: int, values: dict[str, Any]) -> _Row:
        name = _text(values.get("name"))
        if not name:
            raise RowError("姓名", _("The name is missing."))
        if len(name) > 50:
            raise RowError("姓名", _("The name is longer than 50 characters."), name[:50])
        raw_id = values.get("id_number")
        if isinstance(raw_id, float) and not raw_id.is_integer():
            raise RowError("身份证号", _("Write the ID number as text, not as a number."))
        id_text = _text(raw_id)
        if not id_text:
            raise RowError("身份证号", _("The ID number is missing."))
        try:
            parsed = idnumber.parse(id_text, today=self.today)
        except ValidationError as exc:
            raise RowError("身份证号", " ".join(exc.messages), idnumber.mask(id_text)) from None
        phone = _text(values.get("phone"))
        if phone:
            try:
                phone = crypto.validate_phone(phone)
            except ValidationError as exc:
                raise RowError(
                    "联系电话", " ".join(exc.messages), crypto.mask_phone(phone)
                ) from None
        address = _text(values.get("registered_address"))
        if not address:
            raise RowError("户籍地址", _("The household registration address is missing."))
        if len(address) > 200:
            raise RowError("户籍地址", _("The address is longer than 200 characters."))
        grid = self.scope.checked_grid(values)
        kind_text = _text(values.get("residence_type"))
        residence_type = _choice(kind_text, RESIDENCE_TYPES, Resident.ResidenceType)
        if residence_type is None:
            raise RowError("人口类型", _("Write 户籍, 流动 or 境外."), kind_text)
        status_text = _text(values.get("status"))
        status = _choice(status_text, STATUSES, Resident.Status)
        if status is None:
            raise RowError("状态", _("Write 在住, 迁出 or 已故."), status_text)
        relation_text = _text(values.get("relation"))
        household_number = _text(values.get("household_number"))
        relation = ""
        if relation_text or household_number:
            relation = _choice(relation_text, RELATIONS, HouseholdMember.Relation) or ""
            if not relation:
                raise RowError(
                    "与户主关系",
                    _("Write the relation to the head, e.g. 户主 or 子女."),
                    relation_text,
                )
            if not household_number:
                raise RowError("户号", _("A relation to the head needs a household number."))
            if len(household_number) > 30:
                raise RowError("户号", _("The household number is longer than 30 characters."))
        return _Row(
            number=number,
            values={"name": name, "registered_address": address},
            parsed=parsed,
            id_hash=crypto.keyed_hash(parsed.number),
            phone=phone,
            grid=grid,
            residence_type=residence_type,
            status=status,
            relation=relation,
            household_number=household_number,
        )

    def keys(self, row: _Row) -> list[str]:
        return [row.id_hash]

    def duplicate(self, row: _Row, key: str, first: int) -> Rejection:
        return Rejection(
            row.number,
            "身份证号",
            _("The same ID number is already in row %(row)d.") % {"row": first},
            idnumber.mask(row.parsed.number),
        )

    def write(self, batch: list[_Row], result: ImportResult) -> None:
        """Create, update or leave alone the residents of one batch, in one transaction."""
        now = timezone.now()
        collector = self.collector
        existing = {
            r.id_number_hash: r
            for r in Resident.objects.filter(id_number_hash__in=[row.id_hash for row in batch])
        }
        to_create: list[Resident] = []
        to_update: list[Resident] = []
        placed: list[tuple[_Row, Resident]] = []
        for row in batch:
            grid = row.grid
            wanted = {
                "name": row.values["name"],
                "registered_address": row.values["registered_address"],
                "grid_id": grid.pk,
                "region_id": grid.region_id,
                "residence_type": row.residence_type,
                "status": row.status,
                "phone_hash": crypto.keyed_hash(row.phone) if row.phone else "",
            }
            resident = existing.get(row.id_hash)
            if resident is None:
                resident = Resident(collected_by=collector, collected_at=now)
                resident.set_id_number(row.parsed)
                _assign(resident, wanted, row)
                to_create.append(resident)
            else:
                if not self.scope.allows_path(resident.path, resident.grid_id):
                    # Saying "kept outside your area" would let any importer test numbers:
                    # the row goes to the centre to check, and the report says only that.
                    submit_for_check(
                        existing=resident,
                        id_number=row.parsed,
                        name=row.values["name"],
                        phone=row.phone or "",
                        registered_address=row.values["registered_address"],
                        grid=grid,
                        source=DuplicateSubmission.Source.IMPORT,
                        acting_user=collector,
                    )
                    self.reject(
                        Rejection(
                            row.number,
                            "身份证号",
                            str(SUBMITTED),
                            idnumber.mask(row.parsed.number),
                        )
                    )
                    continue
                if all(getattr(resident, k) == v for k, v in wanted.items()):
                    result.unchanged += 1
                else:
                    _assign(resident, wanted, row)
                    resident.collected_by = collector
                    resident.collected_at = now
                    to_update.append(resident)
            placed.append((row, resident))
        with transaction.atomic():
            copy_create(to_create)
            if to_update:
                Resident.objects.bulk_update(
                    to_update,
                    [
                        "name",
                        "registered_address",
                        "grid",
                        "region",
                        "path",
                        "county_code",
                        "residence_type",
                        "status",
                        "phone_encrypted",
                        "phone_hash",
                        "phone_masked",
                        "collected_by",
                        "collected_at",
                    ],
                )
            if to_create and to_create[0].pk is None:
                # Back ends that return no ids from bulk_create: look them up by hash.
                ids = dict(
                    Resident.objects.filter(
                        id_number_hash__in=[r.id_number_hash for r in to_create]
                    ).values_list("id_number_hash", "pk")
                )
                for resident in to_create:
                    resident.pk = ids[resident.id_number_hash]
            _write_households(
                [(row, r) for row, r in placed if row.household_number],
                collector,
                new_ids={r.pk for r in to_create},
            )
        result.created += len(to_create)
        result.updated += len(to_update)


def import_residents(
    path,
    *,
    user,
    progress: Callable[[int, ImportResult], None] | None = None,
    batch_size: int = BATCH_SIZE,
    report: RejectionReport | None = None,
) -> ImportResult:
    """Import the residents of the .xlsx file ``path`` as ``user``; return what happened.

    Raise ImportFileError (nothing written) for a file that is no workbook or lacks a required
    column. ``progress(rows read, result)`` is called after every batch; every rejected row is
    written to ``report`` when one is given.
    """
    return ResidentImporter(user).run(path, progress=progress, batch_size=batch_size, report=report)


def _assign(resident: Resident, wanted: dict[str, Any], row: _Row) -> None:
    grid = row.grid
    resident.name = wanted["name"]
    resident.registered_address = wanted["registered_address"]
    resident.grid = grid
    resident.region_id = grid.region_id
    resident.path = grid.region.path
    resident.county_code = grid.region.county_code
    resident.residence_type = row.residence_type
    resident.status = row.status
    if resident.phone_hash != wanted["phone_hash"]:
        resident.set_phone(row.phone)


def _write_households(
    placed: list[tuple[_Row, Resident]], collector, new_ids: Collection[int] = ()
) -> None:
    """Put residents into their households (by number within the grid's village).

    ``new_ids``: residents created in this batch, who belong to no household yet.
    """
    if not placed:
        return
    keys = {(row.household_number, row.grid.region_id) for row, _r in placed}
    households: dict[tuple[str, int], Household] = {}
    for household in Household.objects.filter(
        number__in={k[0] for k in keys}, region_id__in={k[1] for k in keys}
    ):
        households.setdefault((household.number, household.region_id), household)
    missing: dict[tuple[str, int], Household] = {}
    for row, _r in placed:
        key = (row.household_number, row.grid.region_id)
        if key not in households and key not in missing:
            region = row.grid.region
            missing[key] = Household(
                number=row.household_number,
                region=region,
                grid=row.grid,
                path=region.path,
                county_code=region.county_code,
                collected_by=collector,
            )
    copy_create(list(missing.values()))
    households.update(missing)
    memberships = {
        (m.household_id, m.resident_id): m
        for m in HouseholdMember.objects.filter(
            resident_id__in=[r.pk for _row, r in placed if r.pk not in new_ids]
        )
    }
    new: list[HouseholdMember] = []
    changed: list[HouseholdMember] = []
    for row, resident in placed:
        household = households[(row.household_number, row.grid.region_id)]
        member = memberships.get((household.pk, resident.pk))
        if member is None:
            new.append(
                HouseholdMember(household=household, resident=resident, relation=row.relation)
            )
        elif member.relation != row.relation:
            member.relation = row.relation
            changed.append(member)
    # A second head of one household is skipped (the unique constraint), not an error.
    HouseholdMember.objects.bulk_create(new, ignore_conflicts=True)
    for member in changed:
        try:
            with transaction.atomic():
                member.save(update_fields=["relation"])
        except Exception:  # noqa: BLE001, S112 -- a second head: keep the old relation
            continue
