"""State changes of basic data (一标三实): revealing a number, logging a look, verifying a record,
keeping a household and its members, keeping a 联户 group.

Revealing a plain ID or phone number is an action with a reason (ARCHITECTURE rule 6): it needs
the ``people.reveal_personal_data`` permission, a record the user may see, and a reason; every
reveal is logged (who, whose, which field, when, why). Every view of a resident's record is
logged with the fields shown; exports with their filter and row count.

Household and group changes run in one transaction with the household (or group) row locked, so
two workers editing the same household cannot both make a head. Bad input raises Django's
``ValidationError`` keyed by the form field it belongs to, and changes nothing; a record outside
the acting user's scope raises ``PermissionDenied`` (the views answer 404 before that).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.geo.models import Grid
from pingan.people import duplicates
from pingan.people.filters import grids_in_scope
from pingan.people.models import (
    AccessLog,
    Address,
    DuplicateSubmission,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
    RevealLog,
)

REVEAL_PERMISSION = "people.reveal_personal_data"
MIN_REASON = 4


def reveal(resident: Resident, field: str, *, acting_user, reason: str) -> str:
    """Return the plain ``field`` ("id_number" or "phone") of ``resident`` and log the reveal.

    Raise PermissionDenied without the permission or outside the user's scope, and
    ValidationError (on ``reason``) without a reason; nothing is revealed or logged then.
    """
    if field not in RevealLog.Field.values:
        raise ValidationError({"field": _("Reveal the ID number or the phone.")})
    if not acting_user.has_perm(REVEAL_PERMISSION):
        raise PermissionDenied(_("You may not reveal personal numbers."))
    if not Resident.objects.visible_to(acting_user).filter(pk=resident.pk).exists():
        raise PermissionDenied(_("You may not reveal personal numbers."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": _("State why you need the full number.")})
    with transaction.atomic():
        RevealLog.objects.create(
            user=acting_user, resident=resident, field=field, reason=reason[:200]
        )
        return resident.reveal_id_number() if field == "id_number" else resident.reveal_phone()


def log_access(user, resident: Resident | None, *, via: str, fields=(), query=None, rows=None):
    """Record that ``user`` looked at ``resident`` (or exported ``rows`` rows with ``query``)."""
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        resident=resident,
        via=via,
        fields=list(fields),
        query=dict(query or {}),
        rows=rows,
        at=timezone.now(),
    )


def verify(record: Model, *, acting_user) -> None:
    """Stamp a basic-data record (any kind) as checked today by ``acting_user`` (核实).

    Raise PermissionDenied if the record lies outside the user's scope.
    """
    model = type(record)
    now = timezone.now()
    with transaction.atomic():
        updated = (
            model.objects.visible_to(acting_user)
            .filter(pk=record.pk)
            .update(verified_at=now, verified_by=acting_user)
        )
        if not updated:
            raise PermissionDenied(_("You may not verify this record."))
    record.verified_at = now
    record.verified_by = acting_user


# --- households -------------------------------------------------------------------------------

HEAD = HouseholdMember.Relation.HEAD


def _check_grid(grid: Grid, acting_user) -> None:
    if not grids_in_scope(acting_user).filter(pk=grid.pk).exists():
        raise ValidationError({"grid": _("You do not keep this grid.")})


def _check_relation(relation: str) -> None:
    if relation not in HouseholdMember.Relation.values:
        raise ValidationError({"relation": _("Choose the relation to the head.")})


def _lock(household: Household, acting_user) -> Household:
    """Return the household row locked for this transaction, if ``acting_user`` may see it."""
    locked = (
        Household.objects.visible_to(acting_user)
        .select_for_update()
        .filter(pk=household.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("You may not change this household."))
    return locked


def _head_taken(household: Household, *, other_than: HouseholdMember | None = None) -> bool:
    heads = HouseholdMember.objects.filter(household=household, relation=HEAD)
    if other_than is not None:
        heads = heads.exclude(pk=other_than.pk)
    return heads.exists()


def _one_head_error() -> ValidationError:
    return ValidationError(
        {
            "relation": _(
                "This household already has a head. Use “Change head” to give it a new one."
            )
        }
    )


def _new_resident(
    *,
    grid: Grid,
    name: str,
    id_number: str,
    phone: str,
    registered_address: str,
    acting_user,
    household: Household | None = None,
    relation: str = "",
) -> Resident | DuplicateSubmission:
    """Return a new resident, validated, encrypted and saved; errors are keyed by field.

    A number kept outside the user's scope gives a submission for the centre instead (see
    ``pingan.people.duplicates``), so that the answer does not tell where it is kept.
    """
    resident = Resident(
        name=name.strip(),
        grid=grid,
        region_id=grid.region_id,
        registered_address=registered_address.strip(),
        collected_by=acting_user,
        collected_at=timezone.now(),
    )
    errors: dict[str, list[str]] = {}
    kept_elsewhere = None
    try:
        resident.set_id_number(id_number)
    except ValidationError as error:
        errors["id_number"] = error.messages
    else:
        kept = duplicates.kept_with_number(resident.id_number_hash)
        if kept is not None and duplicates.in_scope(kept, acting_user):
            errors["id_number"] = [duplicates.already_kept_message(kept)]
        elif kept is not None:
            kept_elsewhere = kept
    try:
        resident.set_phone(phone or "")
    except ValidationError as error:
        errors["phone"] = error.messages
    if not resident.name:
        errors["name"] = [_("Enter the name.")]
    if not resident.registered_address:
        errors["registered_address"] = [_("Enter the household registration address.")]
    if errors:
        raise ValidationError(errors)
    if kept_elsewhere is not None:
        return duplicates.submit_for_check(
            existing=kept_elsewhere,
            id_number=id_number,
            name=resident.name,
            phone=phone or "",
            registered_address=resident.registered_address,
            grid=grid,
            household=household,
            relation=relation,
            source=DuplicateSubmission.Source.PAGE,
            acting_user=acting_user,
        )
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as error:
        # Someone kept the same person between the check above and this insert.
        raise ValidationError(
            {"id_number": _("A resident with this ID number is already kept.")}
        ) from error
    return resident


def _add_membership(household: Household, resident: Resident, relation: str) -> HouseholdMember:
    # The checks before this ran under the household's row lock; the savepoint turns what the lock
    # cannot stop (SQLite has no row locks) into a field error instead of a failed transaction.
    try:
        with transaction.atomic():
            return HouseholdMember.objects.create(
                household=household, resident=resident, relation=relation
            )
    except IntegrityError as error:
        if relation == HEAD and _head_taken(household):
            raise _one_head_error() from error
        raise ValidationError(
            {"resident": _("This resident is already in the household.")}
        ) from error


@transaction.atomic
def create_household(
    *,
    grid: Grid,
    number: str,
    registered_address: str,
    members: Iterable[dict],
    acting_user,
) -> Household:
    """Create a household in ``grid`` with new residents (name, id_number, phone, relation).

    Exactly one member is the head; every ID number is new. Errors are keyed by field (a
    member's errors come back under ``members``) and nothing is written then.
    """
    _check_grid(grid, acting_user)
    members = list(members)
    if sum(1 for m in members if m["relation"] == HEAD) != 1:
        raise ValidationError({"members": _("A household has exactly one head.")})
    household = Household.objects.create(
        grid=grid,
        region_id=grid.region_id,
        number=number.strip(),
        collected_by=acting_user,
        collected_at=timezone.now(),
    )
    household.submissions = []  # numbers sent to the centre to check (see duplicates.py)
    for index, member in enumerate(members, start=1):
        _check_relation(member["relation"])
        try:
            resident = _new_resident(
                grid=grid,
                name=member["name"],
                id_number=member["id_number"],
                phone=member.get("phone", ""),
                registered_address=registered_address,
                acting_user=acting_user,
                household=household,
                relation=member["relation"],
            )
        except ValidationError as error:
            # The form checks each row first; this names the row if something slipped past it.
            messages = [
                _("Resident %(n)s: %(error)s") % {"n": index, "error": message}
                for message in error.messages
            ]
            raise ValidationError({"members": messages}) from error
        if isinstance(resident, DuplicateSubmission):
            # The centre checks this number; the resident joins when it moves the record here.
            household.submissions.append(resident)
        else:
            _add_membership(household, resident, member["relation"])
    return household


@transaction.atomic
def update_household(
    household: Household,
    *,
    grid: Grid,
    number: str,
    address: Address | None,
    move_members: bool = False,
    acting_user,
) -> Household:
    """Change a household's number, address and grid.

    With ``move_members`` the members who lived in the household's old grid move with it (the
    usual case: the household had been put in the wrong grid).
    """
    household = _lock(household, acting_user)
    _check_grid(grid, acting_user)
    old_grid_id = household.grid_id
    household.grid = grid
    household.region_id = grid.region_id
    household.number = number.strip()
    household.address = address
    household.save(update_fields=["grid", "region", "number", "address"])
    if move_members and old_grid_id != grid.pk:
        region = grid.region
        Resident.objects.filter(memberships__household=household, grid_id=old_grid_id).update(
            grid=grid, region=region, path=region.path, county_code=region.county_code
        )
    return household


@transaction.atomic
def add_new_member(
    household: Household,
    *,
    name: str,
    id_number: str,
    phone: str,
    registered_address: str,
    relation: str,
    acting_user,
) -> HouseholdMember | DuplicateSubmission:
    """Add a new resident (in the household's grid) to ``household`` as ``relation``.

    Return the membership, or the submission for the centre when the ID number is kept outside
    the user's scope (the resident joins once the centre moves the kept record here).
    """
    household = _lock(household, acting_user)
    _check_relation(relation)
    if relation == HEAD and _head_taken(household):
        raise _one_head_error()
    if household.grid_id is None:
        raise ValidationError({"relation": _("Put the household in a grid first.")})
    resident = _new_resident(
        grid=household.grid,
        name=name,
        id_number=id_number,
        phone=phone,
        registered_address=registered_address,
        acting_user=acting_user,
        household=household,
        relation=relation,
    )
    if isinstance(resident, DuplicateSubmission):
        return resident
    return _add_membership(household, resident, relation)


@transaction.atomic
def add_existing_member(
    household: Household, *, resident: Resident, relation: str, acting_user
) -> HouseholdMember:
    """Add a resident ``acting_user`` may see to ``household`` as ``relation``."""
    household = _lock(household, acting_user)
    if not Resident.objects.visible_to(acting_user).filter(pk=resident.pk).exists():
        raise ValidationError({"resident": _("Choose a resident from your grids.")})
    _check_relation(relation)
    if HouseholdMember.objects.filter(household=household, resident=resident).exists():
        raise ValidationError({"resident": _("This resident is already in the household.")})
    if relation == HEAD and _head_taken(household):
        raise _one_head_error()
    return _add_membership(household, resident, relation)


def _lock_member(member: HouseholdMember, acting_user) -> tuple[Household, HouseholdMember]:
    household = _lock(member.household, acting_user)
    locked = (
        HouseholdMember.objects.select_for_update()
        .select_related("resident")
        .filter(pk=member.pk, household=household)
        .first()
    )
    if locked is None:
        raise ValidationError({"member": _("This resident is no longer in the household.")})
    return household, locked


@transaction.atomic
def change_member_relation(
    member: HouseholdMember, *, relation: str, acting_user
) -> HouseholdMember:
    """Change a member's relation to the head.

    A second head is refused (use ``change_head``), and so is taking the head's place away while
    others remain: a household keeps exactly one head.
    """
    household, member = _lock_member(member, acting_user)
    _check_relation(relation)
    if relation == member.relation:
        return member
    if relation == HEAD and _head_taken(household, other_than=member):
        raise _one_head_error()
    if member.relation == HEAD:
        raise ValidationError(
            {"relation": _("Choose the new head with “Change head”; the household keeps one head.")}
        )
    member.relation = relation
    member.save(update_fields=["relation"])
    return member


@transaction.atomic
def change_head(
    household: Household, *, new_head: HouseholdMember, former_head_relation: str, acting_user
) -> HouseholdMember:
    """Make ``new_head`` the head; the former head (if any) takes ``former_head_relation``."""
    household = _lock(household, acting_user)
    _check_relation(former_head_relation)
    if former_head_relation == HEAD:
        raise ValidationError(
            {"former_head_relation": _("Choose what the former head is to the new head.")}
        )
    new_head = (
        HouseholdMember.objects.select_for_update()
        .filter(pk=new_head.pk, household=household)
        .first()
    )
    if new_head is None:
        raise ValidationError({"new_head": _("Choose a member of this household.")})
    if new_head.relation == HEAD:
        return new_head
    # The old head steps down first: the one-head constraint holds after every statement.
    HouseholdMember.objects.filter(household=household, relation=HEAD).update(
        relation=former_head_relation
    )
    new_head.relation = HEAD
    new_head.save(update_fields=["relation"])
    return new_head


@transaction.atomic
def remove_member(member: HouseholdMember, *, acting_user) -> Resident:
    """Take a resident out of a household; the resident's record stays. Return the resident.

    The head leaves only as the last member: otherwise choose a new head first.
    """
    household, member = _lock_member(member, acting_user)
    if member.relation == HEAD and household.memberships.exclude(pk=member.pk).exists():
        raise ValidationError(
            {"member": _("Choose a new head with “Change head” before removing the head.")}
        )
    resident = member.resident
    member.delete()
    return resident


# --- 联户 groups -------------------------------------------------------------------------------

MAX_VEHICLES = 50


def vehicle_lines(text: str) -> list[str]:
    """Return the vehicles of a text, one per line, blanks and repeats dropped, order kept."""
    lines: list[str] = []
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if line and line not in lines:
            lines.append(line)
    return lines


@transaction.atomic
def save_group(
    group: HouseholdGroup | None,
    *,
    name: str,
    kind: str,
    grid: Grid,
    head: Resident | None,
    households: Iterable[Household],
    organizations: Iterable[Organization],
    vehicles: str,
    acting_user,
) -> HouseholdGroup:
    """Create (``group`` None) or change a 联户 group with its head and members.

    New members must be records ``acting_user`` may see; members already in the group that lie
    outside their scope (chosen by the centre) stay. The name is unique within the village, as
    the Excel import matches groups by it.
    """
    _check_grid(grid, acting_user)
    if group is not None:
        group = (
            HouseholdGroup.objects.visible_to(acting_user)
            .select_for_update()
            .filter(pk=group.pk)
            .first()
        )
        if group is None:
            raise PermissionDenied(_("You may not change this group."))
    name = " ".join((name or "").split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter the name of the group.")
    elif (
        HouseholdGroup.objects.filter(region_id=grid.region_id, name=name)
        .exclude(pk=getattr(group, "pk", None))
        .exists()
    ):
        errors["name"] = _("A group of this name is already kept in this village.")
    if kind not in HouseholdGroup.Kind.values:
        errors["kind"] = _("Choose the kind of group.")
    lines = vehicle_lines(vehicles)
    if len(lines) > MAX_VEHICLES:
        errors["vehicles"] = _("At most %(n)s vehicles.") % {"n": MAX_VEHICLES}
    households = list(households)
    organizations = list(organizations)
    kept = {
        "head": {group.head_id} if group is not None and group.head_id else set(),
        "households": set(group.households.values_list("pk", flat=True)) if group else set(),
        "organizations": set(group.organizations.values_list("pk", flat=True)) if group else set(),
    }
    checks = {
        "head": (Resident, [head] if head is not None else []),
        "households": (Household, households),
        "organizations": (Organization, organizations),
    }
    for field, (model, chosen) in checks.items():
        new = {obj.pk for obj in chosen} - kept[field]
        if new and model.objects.visible_to(acting_user).filter(pk__in=new).count() != len(new):
            errors[field] = _("Choose from the records of your grids.")
    if errors:
        raise ValidationError(errors)
    if group is None:
        group = HouseholdGroup(collected_by=acting_user, collected_at=timezone.now())
    group.name = name
    group.kind = kind
    group.grid = grid
    group.region_id = grid.region_id
    group.head = head
    group.vehicles = "\n".join(lines)
    group.save()
    group.households.set(households)
    group.organizations.set(organizations)
    return group
