"""Requests of a department (延期 extension, 缓办 hold) and the centre's decision on them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts import recipients
from pingan.events.models import DeadlineKind, Event, Request
from pingan.events.services.base import HANDLER, log_entry, log_move, save
from pingan.events.services.inputs import as_datetime
from pingan.events.transitions import WORKFLOW
from pingan.notify.services import tell
from pingan.workflow import deadlines
from pingan.workflow import supervision as ladder


def _do_request(kind: str):
    """Return the handler of a department's request of ``kind`` (extension or hold)."""

    def handler(event, user, *, before, target, note="", due_at=None, **_f):
        new_due = None
        if kind == Request.Kind.EXTENSION:
            new_due = as_datetime(due_at, "due_at")
            if event.resolve_due_at and new_due <= event.resolve_due_at:
                raise ValidationError(
                    {"due_at": _("Ask for a deadline later than the current one.")}
                )
            if new_due <= timezone.now():
                raise ValidationError({"due_at": _("Ask for a deadline in the future.")})
        Request.objects.create(
            event=event,
            kind=kind,
            department=event.department,
            reason=note,
            new_due_at=new_due,
            requested_by=user if getattr(user, "pk", None) else None,
        )
        log_entry(
            event,
            f"request_{kind}",
            user,
            note=note,
            department=event.department,
            data={"due_at": new_due.isoformat() if new_due else ""},
        )
        tell(
            event,
            f"request_{kind}",
            users=recipients.centre_staff(event.centre),
            units=[event.centre],
            note=note,
            acting_user=user,
        )

    return handler


WORKFLOW.handles("request_extension")(_do_request(Request.Kind.EXTENSION))
WORKFLOW.handles("request_hold")(_do_request(Request.Kind.HOLD))


def pending_request(event: Event, kind: str | None = None) -> Request:
    """Return the event's pending request (of ``kind``), locked."""
    qs = event.requests.select_for_update().filter(status=Request.Status.PENDING)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.get()


def decide(event, user, request: Request, status: str, note: str) -> None:
    request.status = status
    request.decided_by = user if getattr(user, "pk", None) else None
    request.decided_at = timezone.now()
    request.decision_note = note or ""
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    handlers = (
        recipients.department_handlers([request.department_id]) if request.department_id else []
    )
    tell(
        event,
        "decided",
        users=handlers,
        note=f"{request.get_kind_display()}：{request.get_status_display()} {note}",
        acting_user=user,
    )


@WORKFLOW.handles("approve_extension")
def _do_approve_extension(event, user, *, before, target, note="", **_f):
    request = pending_request(event, Request.Kind.EXTENSION)
    ladder.stop(event)
    deadlines.open_deadline(
        event, kind=DeadlineKind.RESOLVE, handler=HANDLER, due_at=request.new_due_at
    )
    event.resolve_due_at = request.new_due_at
    event.extension_count += 1
    if (
        event.signed_at is not None
        or event.sign_due_at is None
        or event.sign_due_at > timezone.now()
    ):
        event.overdue_since = None
    save(event, "resolve_due_at", "extension_count", "overdue_since")
    decide(event, user, request, Request.Status.APPROVED, note)
    log_entry(
        event,
        "approve_extension",
        user,
        note=note,
        department=event.department,
        data={"due_at": request.new_due_at.isoformat()},
    )


@WORKFLOW.handles("approve_hold")
def _do_approve_hold(event, user, *, before, target, note="", **_f):
    request = pending_request(event, Request.Kind.HOLD)
    event.resume_status = before
    event.status = target
    event.was_on_hold = True
    deadlines.pause_deadline(event)
    save(event, "status", "resume_status", "was_on_hold")
    decide(event, user, request, Request.Status.APPROVED, note)
    log_move(event, "approve_hold", user, before, target, note)


@WORKFLOW.handles("refuse_request")
def _do_refuse_request(event, user, *, before, target, note="", **_f):
    request = pending_request(event)
    decide(event, user, request, Request.Status.REFUSED, note)
    log_entry(
        event,
        "refuse_request",
        user,
        note=note,
        department=event.department,
        data={"kind": request.kind},
    )
