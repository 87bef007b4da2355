"""Import 联户 groups (十户联防, 十铺, 十车) from an Excel workbook: one row per member.

A row names its group (name and grid: the group is found by its name in the grid's village, or
created), may state the group's type and head (联户长, by ID number: a resident the importing
user may see) and adds one member: a household by its 户号 in the village, an organisation (a
shop) by its credit code, or a vehicle (plate and owner, a line of the group's vehicle list).
Rows of one group must agree on its type, head and grid; a row leaving them blank agrees with
any. Importing the same file again adds nothing twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.core import crypto
from pingan.geo.models import Grid
from pingan.people import idnumber, uscc
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
)
from pingan.people.models import Household, HouseholdGroup, Organization, Resident

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("联户名称", "联户", "group", "group name", "name"),
    "kind": ("类型", "联户类型", "kind", "type"),
    "grid_code": ("网格编码", "grid code", "grid_code", "grid"),
    "head_id": ("联户长身份证号", "联户长身份证号码", "head id number", "head_id"),
    "household_number": ("成员户号", "户号", "household number", "household"),
    "credit_code": ("成员单位信用代码", "统一社会信用代码", "信用代码", "credit code"),
    "vehicle": ("车辆", "vehicle"),
}
REQUIRED_COLUMNS = ("name", "grid_code")
TEMPLATE_WIDTHS = [22, 10, 18, 22, 12, 22, 22]

KINDS = {
    "十户联防": HouseholdGroup.Kind.HOUSEHOLDS,
    "十户": HouseholdGroup.Kind.HOUSEHOLDS,
    "十铺": HouseholdGroup.Kind.SHOPS,
    "十铺联防": HouseholdGroup.Kind.SHOPS,
    "十车": HouseholdGroup.Kind.VEHICLES,
    "十车联防": HouseholdGroup.Kind.VEHICLES,
}
KIND_LABELS = {value: name for name, value in reversed(KINDS.items())}
# What a row says about its group; rows of one group must agree (blank agrees with anything).
FACTS = {"kind": "类型", "head": "联户长身份证号", "grid": "网格编码"}


def example_row(grid: Grid | None, grid_code: str) -> list[Any]:
    """Return the template's example row: a group with one vehicle (no person needed)."""
    return ["人民路十户联防1组", "十户联防", grid_code, "", "", "", "川A12345 张三"]


def vehicle_line(text: str) -> str:
    """Return a vehicle line as kept: single spaces, no blanks around."""
    return re.sub(r"\s+", " ", text).strip()


def vehicle_key(text: str) -> str:
    """Return the comparable form of a vehicle line (plates compare without case)."""
    return vehicle_line(text).upper()


@dataclass
class _Row:
    number: int
    name: str
    kind: str | None  # None: not stated in this row
    grid: Grid
    head_id: str | None  # a valid 18-character number, a masked one, or None
    head_masked: bool
    household_number: str
    credit_code: str | None
    vehicle: str

    @property
    def group_key(self) -> str:
        return f"{self.grid.region_id}|{self.name}"


class GroupImporter(Importer):
    """联户 groups by (village, name), one member per row."""

    kind = "groups"
    columns = COLUMNS
    required = REQUIRED_COLUMNS

    def check(self, number: int, values: dict[str, Any]) -> _Row:
        name = _limit(_text(values.get("name")), "联户名称", 100)
        if not name:
            raise RowError("联户名称", _("The group's name is missing."))
        kind_text = _text(values.get("kind"))
        kind = _choice(kind_text, KINDS, HouseholdGroup.Kind) if kind_text else None
        if kind_text and kind is None:
            raise RowError("类型", _("Write 十户联防, 十铺 or 十车."), kind_text[:20])
        grid = self.scope.checked_grid(values)
        head_text = _text(values.get("head_id"))
        head_id, masked = None, "*" in head_text
        if head_text and masked:
            head_id = head_text
        elif head_text:
            try:
                head_id = idnumber.parse(head_text, today=self.today).number
            except ValidationError as exc:
                raise RowError(
                    "联户长身份证号", " ".join(exc.messages), idnumber.mask(head_text)
                ) from None
        code_text = _text(values.get("credit_code"))
        code = None
        if code_text:
            try:
                code = uscc.validate(code_text)
            except ValidationError as exc:
                raise RowError("成员单位信用代码", " ".join(exc.messages), code_text[:20]) from None
        return _Row(
            number=number,
            name=name,
            kind=kind,
            grid=grid,
            head_id=head_id,
            head_masked=masked,
            household_number=_limit(_text(values.get("household_number")), "成员户号", 30),
            credit_code=code,
            vehicle=vehicle_line(_limit(_text(values.get("vehicle")), "车辆", 100)),
        )

    def keys(self, row: _Row) -> list[str]:
        """One key per member the row adds: a member listed twice for a group is a duplicate."""
        keys = []
        if row.household_number:
            keys.append(f"h|{row.group_key}|{row.household_number}")
        if row.credit_code:
            keys.append(f"o|{row.group_key}|{row.credit_code}")
        if row.vehicle:
            keys.append(f"v|{row.group_key}|{vehicle_key(row.vehicle)}")
        return keys

    def duplicate(self, row: _Row, key: str, first: int) -> Rejection:
        column, value = {
            "h": ("成员户号", row.household_number),
            "o": ("成员单位信用代码", row.credit_code or ""),
            "v": ("车辆", row.vehicle),
        }[key[0]]
        return Rejection(
            row.number,
            column,
            _("This member is already listed for the group in row %(row)d.") % {"row": first},
            value,
        )

    # --- writing ----------------------------------------------------------------------------

    def _lookups(self, batch: list[_Row]) -> tuple[dict, dict, dict]:
        """Return the heads, households and organisations the batch names, as the user sees them."""
        hashes = {
            crypto.keyed_hash(row.head_id) for row in batch if row.head_id and not row.head_masked
        }
        heads = {
            r.id_number_hash: r
            for r in Resident.objects.visible_to(self.user)
            .filter(id_number_hash__in=hashes)
            .only("id", "id_number_hash", "id_number_masked")
        }
        numbers = {row.household_number for row in batch if row.household_number}
        households: dict[tuple[str, int], Household] = {}
        if numbers:
            found = (
                Household.objects.visible_to(self.user)
                .filter(number__in=numbers, region_id__in={row.grid.region_id for row in batch})
                .only("id", "number", "region_id", "grid_id")
                .order_by("pk")
            )
            for household in found:
                households.setdefault((household.number, household.region_id), household)
        codes = {row.credit_code for row in batch if row.credit_code}
        organizations = {
            o.credit_code: o
            for o in Organization.objects.visible_to(self.user)
            .filter(credit_code__in=codes)
            .only("id", "credit_code")
        }
        return heads, households, organizations

    def write(self, batch: list[_Row], result: ImportResult) -> None:
        """Upsert the batch's groups and add their members, in one transaction."""
        heads, households, organizations = self._lookups(batch)
        groups: dict[str, HouseholdGroup] = {}
        for group in (
            HouseholdGroup.objects.filter(
                name__in={row.name for row in batch},
                region_id__in={row.grid.region_id for row in batch},
            )
            .select_related("head")
            .order_by("pk")
        ):
            groups.setdefault(f"{group.region_id}|{group.name}", group)
        seen = self.seen
        if seen is None:  # run() sets it before any write
            raise RuntimeError("GroupImporter.write() runs inside run() only")
        stored = seen.find(f"g|{key}" for key in {row.group_key for row in batch})
        facts = {key[2:]: json.loads(value or "{}") for key, (_r, value) in stored.items()}
        accepted: list[tuple[_Row, Resident | None, Household | None, Organization | None]] = []
        for row in batch:
            group = groups.get(row.group_key)
            try:
                if group is not None and not self.scope.allows_path(group.path, group.grid_id):
                    raise RowError(
                        "联户名称",
                        _("This group is recorded in a grid outside your area."),
                        row.name,
                    )
                head, household, organization = self._members(row, heads, households, organizations)
                head = self._head(row, head, group)
                self._agree(row, head, facts.setdefault(row.group_key, {}))
            except RowError as error:
                self.reject(Rejection(row.number, error.column, error.reason, error.value))
                continue
            accepted.append((row, head, household, organization))
        now = timezone.now()
        with transaction.atomic():
            self._apply(accepted, groups, result, now)
        seen.add(
            (f"g|{key}", 0, json.dumps(value, ensure_ascii=False)) for key, value in facts.items()
        )

    def _members(self, row: _Row, heads, households, organizations):
        head = household = organization = None
        if row.head_id and not row.head_masked:
            head = heads.get(crypto.keyed_hash(row.head_id))
            if head is None:
                raise RowError(
                    "联户长身份证号",
                    _("No resident you may see has this ID number."),
                    idnumber.mask(row.head_id),
                )
        if row.household_number:
            household = households.get((row.household_number, row.grid.region_id))
            if household is None:
                raise RowError(
                    "成员户号",
                    _("You may see no household with this number in the grid's village."),
                    row.household_number,
                )
        if row.credit_code:
            organization = organizations.get(row.credit_code)
            if organization is None:
                raise RowError(
                    "成员单位信用代码",
                    _("There is no organisation with this credit code that you may see."),
                    row.credit_code,
                )
        return head, household, organization

    @staticmethod
    def _head(row: _Row, head: Resident | None, group: HouseholdGroup | None) -> Resident | None:
        """Return the head a row names; a masked number must be the group's current head's."""
        if not row.head_masked:
            return head
        current = group.head if group is not None else None
        if current is None or current.id_number_masked != row.head_id:
            raise RowError(
                "联户长身份证号",
                _("This ID number is masked: write the full number."),
                row.head_id or "",
            )
        return current

    @staticmethod
    def _agree(row: _Row, head: Resident | None, fact: dict[str, list]) -> None:
        """Check the row against what earlier rows said of its group, then remember it."""
        stated = {"kind": row.kind, "head": head.pk if head else None, "grid": row.grid.code}
        for name, value in stated.items():
            earlier = fact.get(name)
            if value is not None and earlier is not None and earlier[0] != value:
                shown = {"kind": row.kind or "", "grid": row.grid.code}.get(name)
                raise RowError(
                    FACTS[name],
                    _("Row %(row)d gives this group a different value.") % {"row": earlier[1]},
                    shown if shown is not None else (head.id_number_masked if head else ""),
                )
        for name, value in stated.items():
            if value is not None and name not in fact:
                fact[name] = [value, row.number]

    def _apply(self, accepted: list[tuple], groups: dict, result: ImportResult, now) -> None:
        """Create or update the rows' groups and add their members; count each row."""
        through_households = HouseholdGroup.households.through
        through_organizations = HouseholdGroup.organizations.through
        ids = [group.pk for group in groups.values()]
        has_household = set(
            through_households.objects.filter(householdgroup_id__in=ids).values_list(
                "householdgroup_id", "household_id"
            )
        )
        has_organization = set(
            through_organizations.objects.filter(householdgroup_id__in=ids).values_list(
                "householdgroup_id", "organization_id"
            )
        )
        new_households, new_organizations = [], []
        for row, head, household, organization in accepted:
            group = groups.get(row.group_key)
            created = changed = added = False
            if group is None:
                region = row.grid.region
                group = HouseholdGroup(
                    name=row.name,
                    kind=row.kind or HouseholdGroup.Kind.HOUSEHOLDS,
                    grid=row.grid,
                    region=region,
                    head=head,
                    collected_by=self.collector,
                    collected_at=now,
                )
                group.save()
                groups[row.group_key] = group
                created = True
            else:
                fields = []
                if row.kind and group.kind != row.kind:
                    group.kind = row.kind
                    fields.append("kind")
                if head is not None and group.head_id != head.pk:
                    group.head = head
                    fields.append("head")
                if group.grid_id != row.grid.pk:
                    group.grid = row.grid
                    fields.append("grid")
                if fields:
                    group.collected_by, group.collected_at = self.collector, now
                    group.save(update_fields=[*fields, "collected_by", "collected_at"])
                    changed = True
            if household is not None and (group.pk, household.pk) not in has_household:
                has_household.add((group.pk, household.pk))
                new_households.append(
                    through_households(householdgroup_id=group.pk, household_id=household.pk)
                )
                added = True
            if organization is not None and (group.pk, organization.pk) not in has_organization:
                has_organization.add((group.pk, organization.pk))
                new_organizations.append(
                    through_organizations(
                        householdgroup_id=group.pk, organization_id=organization.pk
                    )
                )
                added = True
            if row.vehicle:
                lines = [line for line in group.vehicles.splitlines() if line.strip()]
                if vehicle_key(row.vehicle) not in {vehicle_key(line) for line in lines}:
                    group.vehicles = "\n".join([*lines, row.vehicle])
                    group.save(update_fields=["vehicles"])
                    added = True
            if created or added:
                result.created += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
        through_households.objects.bulk_create(new_households, ignore_conflicts=True)
        through_organizations.objects.bulk_create(new_organizations, ignore_conflicts=True)


def import_groups(
    path,
    *,
    user,
    progress: Callable[[int, ImportResult], None] | None = None,
    batch_size: int = BATCH_SIZE,
    report: RejectionReport | None = None,
) -> ImportResult:
    """Import the 联户 groups of the .xlsx file ``path`` as ``user``; return what happened."""
    return GroupImporter(user).run(path, progress=progress, batch_size=batch_size, report=report)
