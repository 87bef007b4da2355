"""Basic data as Excel (台账): import templates, the scoped exports, the rejection report.

Every workbook here holds ID and phone numbers masked only (ARCHITECTURE rule 6); the import
templates' example rows carry synthetic numbers that pass their checks. The exports of houses,
organisations and 联户 groups head their columns as the import templates do, so a ledger
exported, edited and imported again round-trips (masked numbers that are unchanged keep the
stored ones); the columns an import does not read come after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pingan.core.excel import stamped_name, write_workbook
from pingan.geo.models import Grid
from pingan.people.importers import IMPORTERS, Rejection
from pingan.people.importers.base import rejection_heading
from pingan.people.importers.groups import KIND_LABELS as GROUP_KIND_LABELS
from pingan.people.importers.houses import USE_LABELS
from pingan.people.importers.organizations import KIND_LABELS as ORGANIZATION_KIND_LABELS
from pingan.people.models import (
    House,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
)

# The request parameters that filter the resident export (the same names as the resident list).
FILTER_KEYS = ("grid", "status", "residence_type", "q")
CHUNK = 2000
# Address parts searched by the house list's "q" (as views_collect does).
ADDRESS_FIELDS = ("street", "number", "building", "unit", "room")


# --- filters: the same GET names and meaning as each list page ---------------------------------


def _grid(queryset: QuerySet, params: Mapping[str, str]) -> QuerySet:
    return queryset.filter(grid__code=params["grid"]) if params.get("grid") else queryset


def filtered_residents(user, params: Mapping[str, str]) -> QuerySet[Resident]:
    """Return the residents ``user`` may see that match ``params``."""
    residents = _grid(Resident.objects.visible_to(user), params)
    if params.get("status") in Resident.Status.values:
        residents = residents.filter(status=params["status"])
    if params.get("residence_type") in Resident.ResidenceType.values:
        residents = residents.filter(residence_type=params["residence_type"])
    if params.get("q"):
        residents = residents.filter(name__contains=params["q"])
    return residents


def filtered_houses(user, params: Mapping[str, str]) -> QuerySet[House]:
    """Return the houses ``user`` may see matching ``params`` (q: address, grid, use)."""
    houses = _grid(House.objects.visible_to(user), params)
    if params.get("use") in House.Use.values:
        houses = houses.filter(use=params["use"])
    if params.get("q"):
        value = params["q"]
        q = Q(address__normalised__icontains=value.replace(" ", "").upper())
        for name in ADDRESS_FIELDS:
            q |= Q(**{f"address__{name}__icontains": value})
        houses = houses.filter(q)
    return houses


def filtered_organizations(user, params: Mapping[str, str]) -> QuerySet[Organization]:
    """Return the organisations ``user`` may see matching ``params`` (q: name or code)."""
    organizations = _grid(Organization.objects.visible_to(user), params)
    if params.get("kind") in Organization.Kind.values:
        organizations = organizations.filter(kind=params["kind"])
    if params.get("q"):
        value = params["q"]
        organizations = organizations.filter(
            Q(name__icontains=value) | Q(credit_code__icontains=value.replace(" ", "").upper())
        )
    return organizations


def filtered_groups(user, params: Mapping[str, str]) -> QuerySet[HouseholdGroup]:
    """Return the 联户 groups ``user`` may see matching ``params`` (q: name or head's name)."""
    groups = _grid(HouseholdGroup.objects.visible_to(user), params)
    if params.get("kind") in HouseholdGroup.Kind.values:
        groups = groups.filter(kind=params["kind"])
    if params.get("q"):
        value = params["q"]
        groups = groups.filter(Q(name__icontains=value) | Q(head__name__icontains=value))
    return groups


# --- rows ----------------------------------------------------------------------------------------


def _verified(record) -> Any:
    return (
        timezone.localtime(record.verified_at).replace(tzinfo=None) if record.verified_at else None
    )


def columns() -> list[tuple[str, int]]:
    """Return the resident export's headings and widths."""
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
            _verified(r),
        ]


def _headings(kind: str, extra: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Return the import template's headings of ``kind`` followed by ``extra`` columns."""
    spec = IMPORTERS[kind]
    return [*zip(spec.header_labels(), spec.widths, strict=True), *extra]


def house_columns() -> list[tuple[str, int]]:
    return _headings("houses", [(_("Grid name"), 22), (_("Last verified"), 18)])


def house_rows(houses: QuerySet[House]) -> Iterator[list[Any]]:
    """Yield one row per house, in the import template's column order."""
    queryset = (
        houses.select_related("grid", "address")
        .defer("grid__geometry", "grid__description")
        .order_by("path", "id")
    )
    for h in queryset.iterator(chunk_size=CHUNK):
        a = h.address
        yield [
            h.grid.code if h.grid_id else "",
            a.street,
            a.number,
            a.building,
            a.unit,
            a.room,
            USE_LABELS.get(h.use, h.use),
            h.owner_name,
            h.occupier_name,
            "是" if h.is_rented else "否",
            h.safety_notes,
            a.lng,
            a.lat,
            h.grid.name if h.grid_id else "",
            _verified(h),
        ]


def organization_columns() -> list[tuple[str, int]]:
    return _headings("organizations", [(_("Grid name"), 22), (_("Last verified"), 18)])


def organization_rows(organizations: QuerySet[Organization]) -> Iterator[list[Any]]:
    """Yield one row per organisation; the contact phone masked."""
    queryset = (
        organizations.select_related("grid", "address")
        .defer("grid__geometry", "grid__description", "contact_phone_encrypted")
        .order_by("path", "name", "id")
    )
    for o in queryset.iterator(chunk_size=CHUNK):
        yield [
            o.name,
            o.credit_code or "",
            ORGANIZATION_KIND_LABELS.get(o.kind, o.kind),
            o.grid.code if o.grid_id else "",
            o.address.street if o.address_id else "",
            o.address.number if o.address_id else "",
            o.contact_name,
            o.contact_phone_masked,
            o.grid.name if o.grid_id else "",
            _verified(o),
        ]


def group_columns() -> list[tuple[str, int]]:
    return _headings(
        "groups",
        [
            (_("Group head"), 12),
            (_("Member"), 24),
            (_("Grid name"), 22),
            (_("Last verified"), 18),
        ],
    )


def group_rows(groups: QuerySet[HouseholdGroup]) -> Iterator[list[Any]]:
    """Yield one row per member of each group (a group without members: one row), masked."""
    heads = Prefetch(
        "memberships",
        queryset=HouseholdMember.objects.filter(
            relation=HouseholdMember.Relation.HEAD
        ).select_related("resident"),
        to_attr="heads",
    )
    queryset = (
        groups.select_related("grid", "head")
        .defer("grid__geometry", "grid__description")
        .prefetch_related(
            Prefetch(
                "households",
                queryset=Household.objects.prefetch_related(heads).order_by("number", "pk"),
            ),
            Prefetch(
                "organizations",
                queryset=Organization.objects.only("name", "credit_code").order_by("name", "pk"),
            ),
        )
        .order_by("path", "name", "id")
    )
    for g in queryset.iterator(chunk_size=200):
        start = [
            g.name,
            GROUP_KIND_LABELS.get(g.kind, g.kind),
            g.grid.code if g.grid_id else "",
            g.head.id_number_masked if g.head_id else "",
        ]
        end = [g.grid.name if g.grid_id else "", _verified(g)]
        head_name = g.head.name if g.head_id else ""
        members: list[list[Any]] = []
        for household in g.households.all():
            head = household.heads[0].resident.name if household.heads else ""
            members.append([household.number, "", "", head_name, head])
        for organization in g.organizations.all():
            members.append(["", organization.credit_code or "", "", head_name, organization.name])
        for line in g.vehicles.splitlines():
            if line.strip():
                members.append(["", "", " ".join(line.split()), head_name, ""])
        for member in members or [["", "", "", head_name, ""]]:
            yield [*start, *member, *end]


# --- the export kinds ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportKind:
    """One kind of ledger the export job writes."""

    name: str
    title: Promise  # the job's title and the sheet's name
    filter_keys: tuple[str, ...]
    queryset: Callable[[Any, Mapping[str, str]], QuerySet]
    columns: Callable[[], list[tuple[str, int]]]
    rows: Callable[[QuerySet], Iterator[list[Any]]]


EXPORTS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        ExportKind(
            "residents",
            gettext_lazy("Residents"),
            FILTER_KEYS,
            filtered_residents,
            columns,
            resident_rows,
        ),
        ExportKind(
            "houses",
            gettext_lazy("Houses"),
            ("q", "grid", "use"),
            filtered_houses,
            house_columns,
            house_rows,
        ),
        ExportKind(
            "organizations",
            gettext_lazy("Organisations"),
            ("q", "grid", "kind"),
            filtered_organizations,
            organization_columns,
            organization_rows,
        ),
        ExportKind(
            "groups",
            gettext_lazy("联户 groups"),
            ("q", "grid", "kind"),
            filtered_groups,
            group_columns,
            group_rows,
        ),
    )
}


def _values(data: Mapping, key: str) -> list[str]:
    getlist = getattr(data, "getlist", None)
    values = getlist(key) if getlist is not None else [data.get(key)]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def export_kind(data: Mapping) -> str:
    """Return the kind of ledger a request asks for: a ``kind`` value naming one, or residents.

    The organisation and group lists filter by a ``kind`` of their own (enterprise, shops…)
    and post it beside ``kind=organizations``; the two sets of names do not overlap.
    """
    return next((v for v in _values(data, "kind") if v in EXPORTS), "residents")


def filter_params(data: Mapping, kind: str = "residents") -> dict[str, str]:
    """Return the export filter of ``kind`` from a request's GET or POST (JSON-safe strings)."""
    params: dict[str, str] = {}
    for key in EXPORTS[kind].filter_keys:
        values = _values(data, key)
        if key == "kind":
            values = [v for v in values if v not in EXPORTS]
        if values:
            params[key] = values[0]
    return params


def export_filename(kind: str = "residents") -> str:
    """Return the export's file name, e.g. 实有房屋-20260314-0930.xlsx (translated)."""
    return stamped_name(str(EXPORTS[kind].title))


# --- import templates and the rejection report -----------------------------------------------


def template_filename(kind: str = "residents") -> tuple[str, str]:
    """Return the import template's file name and its ASCII stand-in, e.g. 实有人口导入模板.xlsx."""
    name = _("%(kind)s import template") % {"kind": IMPORTERS[kind].label}
    return f"{name}.xlsx", f"{kind}-template.xlsx"


def rejection_filename(kind: str) -> str:
    """Return the name of an import's report of rejected rows, e.g. 实有人口未导入的行-….xlsx."""
    return stamped_name(_("%(kind)s rejected rows") % {"kind": IMPORTERS[kind].label})


def template_workbook(kind: str = "residents", grid: Grid | None = None) -> bytes:
    """Return the import template of ``kind``: Chinese headings and one example row.

    ``grid`` (one the user may see) goes into the example so it imports as it stands.
    """
    spec = IMPORTERS[kind]
    code = grid.code if grid is not None and grid.code[:6].isdigit() else "513999001001001"
    example = spec.example_row(grid, code)
    heading = list(zip(spec.header_labels(), spec.widths, strict=True))
    content, _count = write_workbook(str(spec.label), heading, [example])
    return content


def rejection_workbook(rejected: Sequence[Rejection]) -> bytes:
    """Return rejected rows as xlsx: row, column, value (numbers masked), reason.

    The import job writes its report while it runs (``importers.RejectionReport``); this is for
    a list of rejections already in hand.
    """
    rows = ([r.row, r.column, r.value, r.reason] for r in sorted(rejected, key=lambda r: r.row))
    content, _count = write_workbook(_("Rejected rows"), rejection_heading(), rows)
    return content
