"""The deadline side of a demo story: its clocks, the sweep, supervision and the moves on them.

:class:`Deadlines` is mixed into :class:`~pingan.events.demo_story.Story`, which holds the state
it uses (``w``, ``rng``, ``e``, ``t``, ``clocks``, ``records``, ``requests``) and the table's
``step``, ``status`` and ``log``. The clocks are the event's ``pingan.workflow.deadlines``: opened,
closed, paused and resumed as the moves do; ``advance`` fires the overdue hooks the sweep would
have fired in between, and ``fire`` does what ``pingan.events.supervision.on_overdue`` does. The
moves here are those on deadlines and supervision (``pingan.events.services``): request,
approve_extension, approve_hold, refuse, urge, supervise and escalate.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.core import sla
from pingan.events.demo_world import StoryError, World
from pingan.events.models import DeadlineKind as K
from pingan.events.models import Event, Request
from pingan.workflow import deadlines
from pingan.workflow import supervision as ladder
from pingan.workflow.models import AccountabilityRecord

KIND_ORDER = {K.SIGN: 0, K.RESOLVE: 1, K.VERIFY: 2, ladder.YELLOW: 3, ladder.RED: 4}


@dataclass
class Clock:
    """A deadline of one event while its story is played (a ``Deadline`` row once written)."""

    kind: str
    unit: str
    start: dt.datetime
    due: dt.datetime
    opened: dt.datetime
    lag: int
    amount: Decimal | None = None
    fraction: float | None = None
    warn: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    paused_total: dt.timedelta = dt.timedelta(0)
    overdue_at: dt.datetime | None = None


class Deadlines:
    """The clocks of one event's story, the sweep between its moves, and the moves on them."""

    # Set by Story.__init__.
    w: World
    rng: random.Random
    e: Event
    t: dt.datetime
    clocks: dict[str, Clock]
    records: list[AccountabilityRecord]
    requests: list[Request]

    # deadlines (pingan.workflow.deadlines and the sweep) -------------------------------------

    def open_clock(self, kind: str, *, start, amount=None, unit=sla.Unit.NATURAL_HOURS, due=None):
        if due is None:
            due = sla.add(start, amount, unit, calendar=self.w.calendar)
        self.clocks[kind] = Clock(
            kind=kind,
            unit=str(unit),
            start=start,
            due=due,
            opened=self.t,
            lag=self.rng.randint(5, 59),
            amount=Decimal(str(amount)) if amount is not None else None,
            fraction=1.0 if kind in ladder.KINDS else None,
        )
        return self.clocks[kind]

    def close_clocks(self, *kinds: str) -> None:
        for kind in kinds or list(self.clocks):
            self.clocks.pop(kind, None)

    def warn(self, clock: Clock) -> dt.datetime:
        if clock.warn is None:
            clock.warn = deadlines.compute_warn_at(
                clock.start, clock.due, clock.unit, clock.fraction, self.w.calendar
            )
        return clock.warn

    def pause(self) -> None:
        for clock in self.clocks.values():
            if clock.paused_at is None:
                self.warn(clock)
                clock.paused_at = self.t

    def resume(self) -> None:
        calendar = self.w.calendar
        for clock in self.clocks.values():
            since = clock.paused_at
            if since is None:
                continue
            line = sla.Unit.WORKING_HOURS if sla.Unit(clock.unit).is_working else "natural_hours"
            if clock.due > since:
                left = sla.elapsed(since, clock.due, line, calendar=calendar)
                clock.due = sla.add(self.t, left, line, calendar=calendar)
            if clock.warn > since:
                left = sla.elapsed(since, clock.warn, line, calendar=calendar)
                clock.warn = min(sla.add(self.t, left, line, calendar=calendar), clock.due)
            clock.paused_total += self.t - since
            clock.paused_at = None

    def advance(self, until: dt.datetime, *, final: bool = False) -> None:
        """Fire the overdue hooks the sweep would have fired up to ``until``, in order."""
        while True:
            ready = []
            for clock in self.clocks.values():
                if clock.paused_at is not None or clock.overdue_at is not None:
                    continue
                fire = max(clock.due, clock.opened) + dt.timedelta(seconds=clock.lag)
                if fire > until:
                    if not (final and clock.due <= until):
                        continue
                    fire = until
                ready.append((fire, clock.due, KIND_ORDER[clock.kind], clock))
            if not ready:
                return
            fire, _due, _order, clock = min(ready, key=lambda r: r[:3])
            self.fire(clock, fire)

    def fire(self, clock: Clock, at: dt.datetime) -> None:
        """Do what ``supervision.on_overdue`` does when ``clock`` passes."""
        e = self.e
        clock.overdue_at = at
        order = Event.SUPERVISION_ORDER
        if clock.kind in (K.SIGN, K.RESOLVE):
            if e.department_id and not any(
                r.kind == clock.kind
                and r.due_at == clock.due
                and r.department_id == e.department_id
                for r in self.records
            ):
                self.records.append(
                    AccountabilityRecord(
                        department=e.department,
                        kind=clock.kind,
                        due_at=clock.due,
                        recorded_at=at,
                        county_code=e.county_code,
                    )
                )
            if e.overdue_since is None:
                e.overdue_since = clock.due
            self.log(
                "overdue",
                None,
                at=at,
                department=e.department,
                data={"kind": clock.kind, "due_at": clock.due.isoformat()},
            )
            note = _("Deadline was %(due)s") % {"due": _local(clock.due)}
            if order[e.supervision] < 1:
                self.supervision(Event.Supervision.NORMAL, None, note=note, at=at, automatic=True)
            if ladder.YELLOW not in self.clocks and order[e.supervision] < 2:
                saved, self.t = self.t, at
                self.open_clock(
                    ladder.YELLOW,
                    start=clock.due,
                    due=clock.due + dt.timedelta(hours=self.w.yellow_hours),
                )
                self.t = saved
        elif clock.kind == ladder.YELLOW:
            if order[e.supervision] < 2:
                note = _("Overdue for %(h)g hours") % {"h": self.w.yellow_hours}
                self.supervision(Event.Supervision.YELLOW, None, note=note, at=at, automatic=True)
            saved, self.t = self.t, at
            hours = max(self.w.red_hours - self.w.yellow_hours, 0)
            self.open_clock(ladder.RED, start=clock.due, due=clock.due + dt.timedelta(hours=hours))
            self.t = saved
        elif clock.kind == ladder.RED and order[e.supervision] < 3:
            note = _("Overdue for %(h)g hours") % {"h": self.w.red_hours}
            self.supervision(Event.Supervision.RED, None, note=note, at=at, automatic=True)

    def supervision(self, grade, actor, *, note="", at=None, automatic=False) -> None:
        """``services.raise_supervision``: set the grade, log the change."""
        if grade == self.e.supervision:
            return
        old, self.e.supervision = self.e.supervision, grade
        self.log(
            "supervise",
            actor,
            at=at,
            note=note,
            department=self.e.department,
            data={"from": old, "to": grade, "automatic": automatic},
        )

    # moves on deadlines and supervision (pingan.events.services) ------------------------

    def request(self, kind, actor, at, note, new_due=None) -> None:
        self.step(f"request_{kind}", actor, at)
        if kind == Request.Kind.EXTENSION and not (
            new_due > self.e.resolve_due_at and new_due > self.t
        ):
            raise StoryError("an extension asks for a later deadline")
        self.requests.append(
            Request(
                event=self.e,
                kind=kind,
                department=self.e.department,
                reason=note,
                new_due_at=new_due,
                requested_by=actor,
                requested_at=self.t,
            )
        )
        self.log(
            f"request_{kind}",
            actor,
            note=note,
            department=self.e.department,
            data={"due_at": new_due.isoformat() if new_due else ""},
        )

    def decide(self, request: Request, status: str, actor, note: str) -> None:
        request.status = status
        request.decided_by = actor
        request.decided_at = self.t
        request.decision_note = note

    def pending(self, kind: str | None = None) -> Request:
        return next(
            r
            for r in self.requests
            if r.status == Request.Status.PENDING and (kind is None or r.kind == kind)
        )

    def approve_extension(self, actor, at, note="") -> None:
        self.step("approve_extension", actor, at)
        e = self.e
        request = self.pending(Request.Kind.EXTENSION)
        self.close_clocks(ladder.YELLOW, ladder.RED)
        self.open_clock(K.RESOLVE, start=self.t, due=request.new_due_at)
        e.resolve_due_at = request.new_due_at
        e.extension_count += 1
        if e.signed_at is not None or e.sign_due_at is None or e.sign_due_at > self.t:
            e.overdue_since = None
        self.decide(request, Request.Status.APPROVED, actor, note)
        self.log(
            "approve_extension",
            actor,
            note=note,
            department=e.department,
            data={"due_at": request.new_due_at.isoformat()},
        )

    def approve_hold(self, actor, at, note="") -> None:
        before, target = self.step("approve_hold", actor, at)
        request = self.pending(Request.Kind.HOLD)
        self.e.resume_status = before
        self.status(target)
        self.e.was_on_hold = True
        self.pause()
        self.decide(request, Request.Status.APPROVED, actor, note)
        self.log(
            "approve_hold", actor, frm=before, to=target, note=note, department=self.e.department
        )

    def refuse(self, actor, at, note) -> None:
        self.step("refuse_request", actor, at)
        request = self.pending()
        self.decide(request, Request.Status.REFUSED, actor, note)
        self.log(
            "refuse_request",
            actor,
            note=note,
            department=self.e.department,
            data={"kind": request.kind},
        )

    def urge(self, actor, at, note) -> None:
        self.step("urge", actor, at)
        self.e.urge_count += 1
        self.log("urge", actor, note=note, department=self.e.department)

    def supervise(self, actor, at, grade, note="") -> None:
        self.step("supervise", actor, at)
        self.supervision(grade, actor, note=note)

    def escalate(self, actor, at, note) -> None:
        self.step("escalate", actor, at)
        e = self.e
        township = e.township
        current = e.escalated_to
        at_township = current is not None and township and current.region_id == township.pk
        at_county = current is not None and current.region_id == self.w.county.pk
        level = "county" if (at_township or at_county or township is None) else "township"
        centre = self.w.centre_for(township if level == "township" else self.w.county)
        if centre is None or (current and current.pk == centre.pk):
            raise StoryError("no centre to escalate to")
        e.escalated_to = centre
        if Event.SUPERVISION_ORDER[e.supervision] < 1:
            e.supervision = Event.Supervision.NORMAL
        self.log("escalate", actor, note=note, department=centre, data={"level": level})


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
