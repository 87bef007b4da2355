"""Supervision moves: urge (催办), supervise (督办), escalate (吹哨), summon assisting departments
and their parts; the supervision ladder of events and their accountability records."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts import recipients
from pingan.accounts.models import Department
from pingan.accounts.scope import scope_for
from pingan.core.transitions import IllegalTransition
from pingan.events import routing
from pingan.events.models import Assignment, Event
from pingan.events.services.base import HANDLER, log_entry, save, tell_lead
from pingan.events.services.inputs import as_department
from pingan.events.transitions import WORKFLOW
from pingan.geo.models import Region
from pingan.notify.services import tell
from pingan.workflow import supervision as ladder
from pingan.workflow.models import AccountabilityRecord

URGED_RECENTLY = "urged_recently"


@WORKFLOW.handles("urge")
def _do_urge(event, user, *, before, target, note="", **_f):
    # One rule for the pages and the API: a second urge of the same event within the window
    # (a double click, two dispatchers at once) sends no second reminder. The row is locked,
    # so two requests at the same moment see each other.
    minutes = settings.PINGAN_URGE_REPEAT_MINUTES
    since = timezone.now() - dt.timedelta(minutes=minutes)
    last = None
    if minutes > 0:
        last = (
            event.timeline.filter(action="urge", at__gte=since)
            .select_related("actor")
            .order_by("-at")
            .first()
        )
    if last is not None:
        raise ValidationError(
            _(
                "This event was urged just now (%(when)s, %(who)s); no second reminder is sent "
                "within %(minutes)d minutes."
            )
            % {
                "when": timezone.localtime(last.at).strftime("%H:%M"),
                "who": last.actor or "—",
                "minutes": minutes,
            },
            code=URGED_RECENTLY,
        )
    event.urge_count += 1
    save(event, "urge_count")
    log_entry(event, "urge", user, note=note, department=event.department)
    if event.department_id:
        tell_lead(event, "urge", note=note, acting_user=user)
    else:
        staff = recipients.centre_staff(event.centre)
        tell(event, "urge", users=staff, units=[event.centre], note=note, acting_user=user)


def raise_supervision(
    event: Event, grade: str, actor=None, *, note: str = "", automatic: bool = False
) -> bool:
    """Set the supervision grade (督办); return whether it changed. Callers hold the row lock."""
    if grade not in Event.Supervision.values:
        raise ValidationError({"grade": _("Choose a supervision grade.")})
    if grade == event.supervision:
        return False
    old = event.supervision
    event.supervision = grade
    save(event, "supervision")
    log_entry(
        event,
        "supervise",
        actor,
        note=note,
        department=event.department,
        data={"from": old, "to": grade, "automatic": automatic},
    )
    note = f"{event.get_supervision_display()} {note}".strip()
    tell_lead(event, "supervise", note=note, acting_user=actor)
    return True


@WORKFLOW.handles("supervise")
def _do_supervise(event, user, *, before, target, grade="", note="", **_f):
    raise_supervision(event, grade, user, note=note)


@WORKFLOW.handles("escalate")
def _do_escalate(event, user, *, before, target, note="", level=None, **_f):
    township = event.township
    county = Region.objects.filter(code=event.county_code).first()
    current = event.escalated_to
    if level not in (None, "", "township", "county"):
        raise ValidationError({"level": _("Escalate to the township or the county centre.")})
    if not level:
        at_township = current is not None and township and current.region_id == township.pk
        # Once the county is in command there is nowhere higher: never fall back to the township.
        at_county = current is not None and county is not None and current.region_id == county.pk
        level = "county" if (at_township or at_county or township is None) else "township"
    region = township if level == "township" else county
    centre = routing.centre_for(region) if region else None
    if centre is None:
        raise ValidationError({"level": _("No governance centre at that level.")})
    if current and current.pk == centre.pk:
        raise ValidationError({"level": _("That centre is in command already.")})
    event.escalated_to = centre
    if Event.SUPERVISION_ORDER[event.supervision] < 1:
        event.supervision = Event.Supervision.NORMAL
    save(event, "escalated_to", "supervision")
    log_entry(event, "escalate", user, note=note, department=centre, data={"level": level})
    tell(
        event,
        "escalate",
        users=recipients.centre_staff(centre),
        units=[centre],
        note=note,
        acting_user=user,
    )


@WORKFLOW.handles("summon")
def _do_summon(event, user, *, before, target, departments=(), note="", **_f):
    if isinstance(departments, (str, int, Department)):
        departments = [departments]
    chosen = [as_department(d, "departments") for d in departments or []]
    now = timezone.now()
    added = []
    for department in chosen:
        if department.pk == event.department_id:
            continue
        if event.assignments.filter(department=department, ended_at__isnull=True).exists():
            continue
        Assignment.objects.create(
            event=event,
            department=department,
            role=Assignment.Role.ASSIST,
            assigned_at=now,
            note=note,
        )
        added.append(department)
    if not added:
        raise ValidationError({"departments": _("Choose departments not yet working on it.")})
    log_entry(event, "summon", user, note=note, data={"departments": [d.code for d in added]})
    tell(
        event,
        "summon",
        users=recipients.department_handlers([d.pk for d in added]),
        units=added,
        note=note,
        acting_user=user,
    )


def my_assist(event, user):
    access = scope_for(user)
    return event.assignments.filter(
        role=Assignment.Role.ASSIST, ended_at__isnull=True, department_id__in=access.department_ids
    )


@WORKFLOW.handles("assist_sign")
def _do_assist_sign(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    parts = list(my_assist(event, user).filter(signed_at__isnull=True))
    if not parts:
        raise IllegalTransition(
            _("Your department has signed for its part already."), status=event.status
        )
    for part in parts:
        part.signed_at = now
        part.save(update_fields=["signed_at"])
        log_entry(event, "assist_sign", user, note=note, department=part.department)


@WORKFLOW.handles("assist_done")
def _do_assist_done(event, user, *, before, target, note="", **_f):
    now = timezone.now()
    parts = list(my_assist(event, user).filter(done_at__isnull=True))
    if not parts:
        raise IllegalTransition(_("Your department's part is done already."), status=event.status)
    for part in parts:
        part.done_at = now
        part.signed_at = part.signed_at or now
        part.note = (note or "")[:500]
        part.save(update_fields=["done_at", "signed_at", "note"])
        log_entry(event, "assist_done", user, note=note, department=part.department)
    tell_lead(event, "message", note=note, acting_user=user, robot=False)


# 普通 → 黄牌 → 红牌督办 as events stay overdue: raised by the sweep, with the timeline and notice.
LADDER = ladder.Ladder(
    HANDLER,
    raise_grade=lambda event, grade, note: raise_supervision(
        event, grade, note=note, automatic=True
    ),
)


def record_accountability(
    event: Event, kind: str, due_at: dt.datetime
) -> AccountabilityRecord | None:
    """Hold a missed deadline against the event's department (once per deadline)."""
    return ladder.record_accountability(
        event, handler=HANDLER, department_id=event.department_id, kind=kind, due_at=due_at
    )
