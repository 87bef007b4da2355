"""Import organisations (实有单位) from an Excel workbook.

An organisation is found by its unified social credit code when the row gives one (checked by
GB 32100), else by its name in the grid's village; a row with a code also finds an organisation
of that name kept without a code, so adding codes to a ledger does not duplicate it. The
contact phone is validated and stored only encrypted, hashed and masked; a masked number as an
export writes it (``138****1234``) keeps the phone already stored. A row is the whole record:
empty optional cells empty the field (the credit code excepted: it is the identity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.core import crypto
from pingan.geo.models import Grid
from pingan.people import uscc
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
    address_key,
    create_addresses,
    find_addresses,
)
from pingan.people.models import Organization

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位名称", "名称", "name", "organisation", "organization"),
    "credit_code": (
        "统一社会信用代码",
        "信用代码",
        "credit code",
        "credit_code",
        "unified social credit code",
    ),
    "kind": ("单位类型", "类型", "kind", "type"),
    "grid_code": ("网格编码", "grid code", "grid_code", "grid"),
    "street": ("街路巷", "街路巷名称", "街道", "street", "street or road", "road"),
    "number": ("门牌号", "门牌", "number", "house number"),
    "contact_name": ("联系人", "contact"),
    "contact_phone": ("联系电话", "电话", "contact phone", "phone"),
}
REQUIRED_COLUMNS = ("name", "grid_code")
TEMPLATE_WIDTHS = [24, 22, 14, 18, 14, 8, 10, 14]

KINDS = {
    "企业": Organization.Kind.ENTERPRISE,
    "个体工商户": Organization.Kind.SHOP,
    "个体": Organization.Kind.SHOP,
    "机关事业单位": Organization.Kind.GOVERNMENT,
    "机关": Organization.Kind.GOVERNMENT,
    "事业单位": Organization.Kind.GOVERNMENT,
    "学校": Organization.Kind.SCHOOL,
    "医疗机构": Organization.Kind.MEDICAL,
    "社会组织": Organization.Kind.SOCIAL,
    "其他": Organization.Kind.OTHER,
}
KIND_LABELS = {value: name for name, value in reversed(KINDS.items())}
UPDATED_FIELDS = [
    "name",
    "credit_code",
    "kind",
    "grid",
    "region",
    "path",
    "county_code",
    "address",
    "contact_name",
    "contact_phone_encrypted",
    "contact_phone_hash",
    "contact_phone_masked",
    "collected_by",
    "collected_at",
]


def example_row(grid: Grid | None, grid_code: str) -> list[Any]:
    """Return the template's example row: a synthetic credit code that passes GB 32100."""
    region = grid_code[:6] if grid_code[:6].isdigit() else "513999"
    code = uscc.generate(f"92{region}MA0000001")
    return ["示范便民超市", code, "个体工商户", grid_code, "人民路", "8", "张三", "13800001234"]


@dataclass
class _Row:
    number: int
    name: str
    credit_code: str | None
    kind: str
    grid: Grid
    address: dict[str, str] | None
    address_key: str
    contact_name: str
    phone: str  # normalised; or a masked number that must match the stored one
    phone_masked: bool


class OrganizationImporter(Importer):
    """Organisations by credit code, else by name within the grid's village."""

    kind = "organizations"
    columns = COLUMNS
    required = REQUIRED_COLUMNS

    def check(self, number: int, values: dict[str, Any]) -> _Row:
        name = _limit(_text(values.get("name")), "单位名称", 100)
        if not name:
            raise RowError("单位名称", _("The name is missing."))
        code_text = _text(values.get("credit_code"))
        code = None
        if code_text:
            try:
                code = uscc.validate(code_text)
            except ValidationError as exc:
                raise RowError("统一社会信用代码", " ".join(exc.messages), code_text[:20]) from None
        kind_text = _text(values.get("kind"))
        kind = _choice(kind_text, KINDS, Organization.Kind)
        if kind is None:
            raise RowError(
                "单位类型",
                _("Write 企业, 个体工商户, 机关事业单位, 学校, 医疗机构, 社会组织 or 其他."),
                kind_text[:20],
            )
        grid = self.scope.checked_grid(values)
        street = _limit(_text(values.get("street")), "街路巷", 100)
        house_number = _limit(_text(values.get("number")), "门牌号", 20)
        if house_number and not street:
            raise RowError("街路巷", _("A house number needs the street or road."))
        address = {"street": street, "number": house_number} if street else None
        phone = _text(values.get("contact_phone"))
        masked = "*" in phone
        if phone and not masked:
            try:
                phone = crypto.validate_phone(phone)
            except ValidationError as exc:
                raise RowError(
                    "联系电话", " ".join(exc.messages), crypto.mask_phone(phone)
                ) from None
        return _Row(
            number=number,
            name=name,
            credit_code=code,
            kind=kind,
            grid=grid,
            address=address,
            address_key=address_key(grid, street, house_number) if address else "",
            contact_name=_limit(_text(values.get("contact_name")), "联系人", 50),
            phone=phone,
            phone_masked=masked,
        )

    def keys(self, row: _Row) -> list[str]:
        if row.credit_code:
            return [f"code|{row.credit_code}"]
        return [f"name|{row.grid.region_id}|{row.name}"]

    def duplicate(self, row: _Row, key: str, first: int) -> Rejection:
        if key.startswith("code|"):
            return Rejection(
                row.number,
                "统一社会信用代码",
                _("The same credit code is already in row %(row)d.") % {"row": first},
                row.credit_code or "",
            )
        return Rejection(
            row.number,
            "单位名称",
            _("The same organisation (name and village) is already in row %(row)d.")
            % {"row": first},
            row.name,
        )

    def _existing(self, batch: list[_Row]) -> tuple[dict, dict]:
        codes = [row.credit_code for row in batch if row.credit_code]
        by_code = {o.credit_code: o for o in Organization.objects.filter(credit_code__in=codes)}
        by_name: dict[tuple[str, int], Organization] = {}
        named = Organization.objects.filter(
            name__in={row.name for row in batch},
            region_id__in={row.grid.region_id for row in batch},
        ).order_by("pk")
        for organization in named:
            key = (organization.name, organization.region_id)
            # An organisation without a code first: that is the one a code may be added to.
            kept = by_name.get(key)
            if kept is None or (kept.credit_code and not organization.credit_code):
                by_name[key] = organization
        return by_code, by_name

    def write(self, batch: list[_Row], result: ImportResult) -> None:
        """Create, update or leave alone the organisations of one batch, in one transaction."""
        now = timezone.now()
        by_code, by_name = self._existing(batch)
        claimed: dict[int, int] = {}  # organisation pk → the row of this batch that has it
        placed: list[tuple[_Row, Organization | None]] = []
        for row in batch:
            found = by_code.get(row.credit_code) if row.credit_code else None
            if found is None:
                candidate = by_name.get((row.name, row.grid.region_id))
                if candidate is not None and not (row.credit_code and candidate.credit_code):
                    found = candidate
            if found is not None:
                if not self.scope.allows_path(found.path, found.grid_id):
                    self._reject(
                        row, _("This organisation is recorded in a grid outside your area.")
                    )
                    continue
                if found.pk in claimed:
                    self._reject(
                        row,
                        _("The same organisation is already in row %(row)d.")
                        % {"row": claimed[found.pk]},
                    )
                    continue
                claimed[found.pk] = row.number
            if row.phone_masked and (found is None or found.contact_phone_masked != row.phone):
                self.reject(
                    Rejection(
                        row.number,
                        "联系电话",
                        _("This phone number is masked: write the full number."),
                        row.phone[:20],
                    )
                )
                continue
            placed.append((row, found))
        with transaction.atomic():
            addresses = find_addresses(row.address_key for row, _o in placed if row.address)
            addresses.update(
                create_addresses(
                    {
                        row.address_key: (row.grid, row.address)
                        for row, _o in placed
                        if row.address and row.address_key not in addresses
                    },
                    collector=self.collector,
                    now=now,
                )
            )
            to_create: list[Organization] = []
            to_update: list[Organization] = []
            for row, organization in placed:
                region = row.grid.region
                address = addresses[row.address_key] if row.address else None
                wanted = {
                    "name": row.name,
                    "kind": row.kind,
                    "grid_id": row.grid.pk,
                    "region_id": region.pk,
                    "address_id": address.pk if address is not None else None,
                    "contact_name": row.contact_name,
                }
                if row.credit_code:
                    wanted["credit_code"] = row.credit_code
                if organization is None:
                    organization = Organization(
                        path=region.path,
                        county_code=region.county_code,
                        collected_by=self.collector,
                        collected_at=now,
                        **wanted,
                    )
                    organization.set_contact_phone(row.phone)
                    to_create.append(organization)
                    continue
                phone_hash = (
                    organization.contact_phone_hash
                    if row.phone_masked
                    else (crypto.keyed_hash(row.phone) if row.phone else "")
                )
                same = all(getattr(organization, k) == v for k, v in wanted.items())
                if same and phone_hash == organization.contact_phone_hash:
                    result.unchanged += 1
                    continue
                for name, value in wanted.items():
                    setattr(organization, name, value)
                organization.path, organization.county_code = region.path, region.county_code
                if phone_hash != organization.contact_phone_hash:
                    organization.set_contact_phone(row.phone)
                organization.collected_by, organization.collected_at = self.collector, now
                to_update.append(organization)
            Organization.objects.bulk_create(to_create)
            if to_update:
                Organization.objects.bulk_update(to_update, UPDATED_FIELDS)
        result.created += len(to_create)
        result.updated += len(to_update)

    def _reject(self, row: _Row, reason: str) -> None:
        column = "统一社会信用代码" if row.credit_code else "单位名称"
        self.reject(Rejection(row.number, column, reason, row.credit_code or row.name))


def import_organizations(
    path,
    *,
    user,
    progress: Callable[[int, ImportResult], None] | None = None,
    batch_size: int = BATCH_SIZE,
    report: RejectionReport | None = None,
) -> ImportResult:
    """Import the organisations of the .xlsx file ``path`` as ``user``; return what happened."""
    return OrganizationImporter(user).run(
        path, progress=progress, batch_size=batch_size, report=report
    )
