"""ID numbers already kept elsewhere: answer without revealing what lies outside one's scope.

Registering a resident whose ID number is kept in the user's own scope is refused with the
kept record's name and link. When the number is kept *outside* the user's scope, saying so
would let anyone test whether a number is registered anywhere in the county, and where. The
registration is then kept as a ``DuplicateSubmission`` (nothing the user entered is lost), the
user is told "submitted: the county centre will check this ID number", and the centre staff who
see both records are notified; they move the kept record to the registering grid (the person
moved) or dismiss the submission, and the registrar is told the outcome.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pingan.core import crypto
from pingan.people import idnumber
from pingan.people.models import DuplicateSubmission, Household, HouseholdMember, Resident

SUBMITTED = gettext_lazy("Submitted: the county centre will check this ID number.")
SUBMITTED_FOR = gettext_lazy("%(name)s: submitted, the county centre will check this ID number.")


class SubmittedForCheck(Exception):
    """Nothing was saved as a resident: the centre will check the number (``submission``)."""

    def __init__(self, submission: DuplicateSubmission) -> None:
        super().__init__(str(SUBMITTED))
        self.submission = submission


def kept_with_number(id_hash: str, *, exclude_pk: int | None = None) -> Resident | None:
    """Return the resident kept with this ID number hash (anywhere), or None."""
    kept = Resident.objects.filter(id_number_hash=id_hash)
    if exclude_pk is not None:
        kept = kept.exclude(pk=exclude_pk)
    return kept.select_related("grid").first()


def in_scope(resident: Resident, user) -> bool:
    """Return whether ``user`` may open ``resident``."""
    return Resident.objects.visible_to(user).filter(pk=resident.pk).exists()


def already_kept_message(resident: Resident) -> str:
    """Return the field error for a number kept in the user's own scope: who and where."""
    return _("A resident with this ID number is already kept: %(name)s (%(url)s).") % {
        "name": resident,
        "url": reverse("people:resident_detail", args=[resident.pk]),
    }


def _centre_users(*paths: str):
    """Return the active centre staff whose region covers every one of ``paths``."""
    from pingan.accounts.models import Role, User

    common = paths[0]
    for path in paths[1:]:
        while not path.startswith(common):
            common = common.rstrip("/").rsplit("/", 1)[0] + "/"
    prefixes = []
    parts = [p for p in common.strip("/").split("/") if p]
    for depth in range(1, len(parts) + 1):
        prefixes.append("/" + "/".join(parts[:depth]) + "/")
    return User.objects.filter(
        is_active=True,
        memberships__role=Role.CENTER,
        memberships__region__path__in=prefixes,
    ).distinct()


def submit_for_check(
    *,
    existing: Resident,
    id_number: str | idnumber.IdNumber,
    name: str,
    grid,
    acting_user,
    source: str,
    phone: str = "",
    registered_address: str = "",
    household: Household | None = None,
    relation: str = "",
) -> DuplicateSubmission:
    """Keep a registration whose number is kept outside the user's scope; tell the centre."""
    from pingan.notify.services import notify

    parsed = id_number if isinstance(id_number, idnumber.IdNumber) else idnumber.parse(id_number)
    id_hash = crypto.keyed_hash(parsed.number)
    submitter = acting_user if getattr(acting_user, "pk", None) else None
    # The same number sent again for the same grid (an import run twice) is one submission.
    already = DuplicateSubmission.objects.filter(
        id_number_hash=id_hash,
        grid=grid,
        submitted_by=submitter,
        status=DuplicateSubmission.Status.OPEN,
    ).first()
    if already is not None:
        return already
    phone_encrypted, _hash, phone_masked = crypto.protect_phone(phone or "")
    submission = DuplicateSubmission.objects.create(
        grid=grid,
        region_id=grid.region_id,
        existing=existing,
        name=name.strip()[:50],
        id_number_encrypted=crypto.encrypt(parsed.number),
        id_number_hash=id_hash,
        id_number_masked=idnumber.mask(parsed.number),
        phone_encrypted=phone_encrypted,
        phone_masked=phone_masked,
        registered_address=registered_address.strip()[:200],
        household=household,
        relation=relation,
        source=source,
        submitted_by=submitter,
    )
    notify(
        users=list(_centre_users(submission.path, existing.path)),
        template="duplicate_submitted",
        context={"submission": submission, "grid": grid},
        url=reverse("people:duplicate_list"),
        acting_user=acting_user,
    )
    return submission


@transaction.atomic
def resolve_submission(
    submission: DuplicateSubmission, *, outcome: str, note: str, acting_user
) -> DuplicateSubmission:
    """Move the kept record to the registering grid, or dismiss; tell the registrar."""
    from pingan.notify.services import notify

    locked = (
        DuplicateSubmission.objects.visible_to(acting_user)
        .select_for_update()
        .filter(pk=submission.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("You may not resolve this submission."))
    if locked.status != DuplicateSubmission.Status.OPEN:
        raise ValidationError({"outcome": _("This submission is already resolved.")})
    if outcome not in (DuplicateSubmission.Status.MOVED, DuplicateSubmission.Status.DISMISSED):
        raise ValidationError({"outcome": _("Choose whether to move the record or dismiss.")})
    if outcome == DuplicateSubmission.Status.MOVED:
        resident = locked.existing
        if resident is None:
            raise ValidationError({"outcome": _("The kept record no longer exists.")})
        resident.grid_id = locked.grid_id
        resident.region_id = locked.region_id
        resident.collected_by = locked.submitted_by
        resident.collected_at = timezone.now()
        resident.save(update_fields=["grid", "region", "collected_by", "collected_at"])
        _join_household(locked, resident)
    locked.status = outcome
    locked.note = (note or "").strip()[:500]
    locked.resolved_by = acting_user
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    if locked.submitted_by_id:
        notify(
            users=[locked.submitted_by],
            template="duplicate_resolved",
            context={"submission": locked},
            url=(
                reverse("people:resident_detail", args=[locked.existing_id])
                if outcome == DuplicateSubmission.Status.MOVED
                else ""
            ),
            acting_user=acting_user,
        )
    return locked


def _join_household(submission: DuplicateSubmission, resident: Resident) -> None:
    """Put the moved resident in the household they were registered with, if still possible."""
    household = submission.household
    if household is None or not submission.relation:
        return
    members = HouseholdMember.objects.filter(household=household)
    if members.filter(resident=resident).exists():
        return
    if (
        submission.relation == HouseholdMember.Relation.HEAD
        and members.filter(relation=HouseholdMember.Relation.HEAD).exists()
    ):
        return
    HouseholdMember.objects.create(
        household=household, resident=resident, relation=submission.relation
    )


def open_submissions(user):
    """Return the open submissions ``user`` may resolve, oldest first."""
    return (
        DuplicateSubmission.objects.visible_to(user)
        .filter(status=DuplicateSubmission.Status.OPEN)
        .select_related("grid", "existing", "existing__grid", "submitted_by")
        .order_by("submitted_at", "id")
    )
