"""State changes of basic data that touch personal data: revealing a number, logging a look.

Revealing a plain ID or phone number is an action with a reason (ARCHITECTURE rule 6): it needs
the ``people.reveal_personal_data`` permission, a record the user may see, and a reason; every
reveal is logged (who, whose, which field, when, why). Every view of a resident's record is
logged with the fields shown; exports with their filter and row count.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.people.models import AccessLog, Resident, RevealLog

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


def verify(record, *, acting_user) -> None:
    """Stamp a basic-data record as checked today by ``acting_user`` (核实)."""
    record.verified_at = timezone.now()
    record.verified_by = acting_user
    record.save(update_fields=["verified_at", "verified_by"])
