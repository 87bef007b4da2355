"""The engine that plays each demo event's story, move by move.

A :class:`Story` makes the moves of one event: each is looked up in
``pingan.events.transitions.TRANSITIONS`` for the status at that moment, its actor must play one
of the move's roles (computed as ``queries.roles_in`` does) and its guard must hold, and its
effects are those of ``pingan.events.services``. Between moves the deadline sweep runs as it
would have: ``Story.fire`` does what ``pingan.events.supervision.on_overdue`` does.

This module has the table (roles, guards, ``step``, the timeline) and the handling moves:
dispatch, reassign, sign, start, resolve, verify, rework, return, suspend, resume, summon and
assist, merge, invalidate, rate, reopen, message. ``demo_deadlines`` has the deadlines (clocks,
pause and resume, the sweep and its overdue hooks, the supervision grade) and the moves on them:
request, approve_extension, approve_hold, refuse, urge, supervise, escalate.
Keep these modules in step with services.py and supervision.py: ``tests/test_demo.py`` checks the
timelines they write against the table.
"""

from __future__ import annotations

import datetime as dt

from pingan.accounts.models import Department, User
from pingan.accounts.scope import scope_for
from pingan.accounts.units import unit_name
from pingan.events import queries
from pingan.events.demo_deadlines import Clock, Deadlines
from pingan.events.demo_world import S, Stop, StoryError, World
from pingan.events.models import (
    Assignment,
    Attachment,
    Category,
    Event,
    EventLog,
    Message,
    Request,
)
from pingan.events.models import (
    DeadlineKind as K,
)
from pingan.events.transitions import PREVIOUS, TRANSITIONS
from pingan.workflow import supervision as ladder
from pingan.workflow.models import AccountabilityRecord

LEAD, ASSIST = Assignment.Role.LEAD, Assignment.Role.ASSIST

# The moves whose table entry has a guard, mirrored by Story._guard.
GUARDED = {
    "request_extension",
    "request_hold",
    "approve_extension",
    "approve_hold",
    "refuse_request",
    "rate",
    "reopen",
    "assist_done",
}


class Story(Deadlines):
    """One event's life, played move by move against the transition table."""

    def __init__(self, world: World, event: Event) -> None:
        self.w = world
        self.rng = world.rng
        self.e = event
        self.t = event.reported_at
        self.logs: list[EventLog] = []
        self.assignments: list[Assignment] = []
        self.requests: list[Request] = []
        self.messages: list[Message] = []
        self.records: list[AccountabilityRecord] = []
        self.clocks: dict[str, Clock] = {}
        self.followers: set[User] = set()
        self.photos: list[tuple[str, EventLog, User | None]] = []
        self.statuses: list[tuple[dt.datetime, str]] = [(self.t, S.REPORTED)]
        self.merge_into: Story | None = None
        self.refs: list[tuple[EventLog, Story, str, str]] = []  # (log, story, key, pk|number)
        self.stopped_at: dt.datetime | None = None
        self.plan_category = event.category

    # the table ----------------------------------------------------------------------------

    def roles(self, user: User | None) -> frozenset[str]:
        """Return the parts ``user`` plays in the event now (as ``queries.roles_in``)."""
        if user is None:
            return frozenset()
        access = scope_for(user)
        e = self.e
        roles = set()
        if access.everything or access.covers(e.path, access.centre_paths):
            roles.add(queries.CENTRE)
        if access.covers(e.path, access.leader_paths):
            roles.add(queries.LEADER)
        if e.grid_id and e.grid_id in access.staff_grid_ids:
            roles.add(queries.GRID)
        for a in self.assignments:
            if a.ended_at is None and a.department_id in access.department_ids:
                roles.add(queries.DEPARTMENT if a.role == LEAD else queries.ASSISTING)
        if e.reporter_id == user.pk or user in self.followers:
            roles.add(queries.REPORTER)
        return frozenset(roles)

    def _guard(self, action: str) -> bool:
        pending = [r for r in self.requests if r.status == Request.Status.PENDING]
        if action in ("request_extension", "request_hold"):
            return not pending
        if action == "approve_extension":
            return any(r.kind == Request.Kind.EXTENSION for r in pending)
        if action == "approve_hold":
            return any(r.kind == Request.Kind.HOLD for r in pending)
        if action == "refuse_request":
            return bool(pending)
        if action == "rate":
            return not self.e.rating and self.e.reporter_id is not None
        if action == "reopen":
            return self.e.rating == Event.Rating.DISSATISFIED and self.e.reopen_count == 0
        if action == "assist_done":
            return any(
                a.role == ASSIST and a.ended_at is None and a.done_at is None
                for a in self.assignments
            )
        return True

    def may(self, action: str, user: User | None) -> bool:
        """Return whether the table lets ``user`` make ``action`` now."""
        move = TRANSITIONS.get(self.e.status, {}).get(action)
        return move is not None and bool(move.roles & self.roles(user)) and self._guard(action)

    def step(self, action: str, actor: User, at: dt.datetime) -> tuple[str, str]:
        """Advance to ``at`` and check ``action`` against the table; return (before, target)."""
        at = max(at, self.t)
        if at > self.w.now:
            raise Stop
        self.advance(at)
        self.t = at
        move = TRANSITIONS.get(self.e.status, {}).get(action)
        if move is None:
            raise StoryError(f"{action} is not a move from {self.e.status}")
        if not move.roles & self.roles(actor):
            raise StoryError(f"{actor} may not {action} from {self.e.status}")
        if (move.guard is not None) != (action in GUARDED) or not self._guard(action):
            raise StoryError(f"the guard of {action} does not hold")
        target = move.target
        if target == PREVIOUS:
            target = self.e.resume_status or S.DISPATCHED
        return self.e.status, target

    def status(self, value: str) -> None:
        self.e.status = value
        self.statuses.append((self.t, value))

    def status_at(self, moment: dt.datetime) -> str:
        current = S.REPORTED
        for at, value in self.statuses:
            if at > moment:
                break
            current = value
        return current

    def log(self, action: str, actor: User | None, **fields) -> EventLog:
        entry = EventLog(
            event=self.e,
            at=fields.pop("at", None) or self.t,
            actor=actor,
            actor_unit=self.unit_of(actor),
            action=action,
            from_status=fields.pop("frm", ""),
            to_status=fields.pop("to", ""),
            note=fields.pop("note", "") or "",
            department=fields.pop("department", None),
            data=fields.pop("data", None) or {},
        )
        self.logs.append(entry)
        return entry

    def unit_of(self, actor: User | None) -> str:
        """Return the actor's own unit for this event (as ``queries.actor_unit``)."""
        if actor is None:
            return ""
        departments = {a.department_id for a in self.assignments}
        if self.e.department_id:
            departments.add(self.e.department_id)
        return unit_name(
            actor, path=self.e.path, grid_id=self.e.grid_id, department_ids=departments
        )

    # moves (pingan.events.services) -----------------------------------------------------

    def end_assignments(self, role: str | None = None, department=None) -> None:
        for a in self.assignments:
            if a.ended_at is None and (role is None or a.role == role):
                if department is None or a.department_id == department.pk:
                    a.ended_at = self.t

    def dispatch_to(self, department, actor, *, note="", auto=False, action="dispatch") -> None:
        """``services._dispatch``: a new lead department, its deadlines opened."""
        e = self.e
        before = e.status
        self.end_assignments(LEAD)
        self.end_assignments(department=department)
        self.assignments.append(
            Assignment(event=e, department=department, role=LEAD, assigned_at=self.t)
        )
        e.department = department
        if e.first_department_id is None:
            e.first_department = department
        self.status(S.DISPATCHED)
        e.dispatched_at = self.t
        e.signed_at = None
        category = e.category
        self.close_clocks(ladder.YELLOW, ladder.RED)
        sign = self.open_clock(
            K.SIGN, start=self.t, amount=category.sign_amount, unit=category.sign_unit
        )
        resolve = self.open_clock(
            K.RESOLVE, start=self.t, amount=category.resolve_amount, unit=category.resolve_unit
        )
        e.sign_due_at, e.resolve_due_at = sign.due, resolve.due
        e.overdue_since = None
        self.log(
            action,
            actor,
            frm=before,
            to=S.DISPATCHED,
            note=note,
            department=department,
            data={"automatic": auto, "rule": e.routing_rule_id},
        )

    def reclassify(self, category: Category, actor) -> None:
        old = self.e.category
        if old is not None and old.pk == category.pk:
            return
        self.e.category = category
        self.e.category_source = Event.CategorySource.PERSON
        self.e.keyword_rule = None
        self.log(
            "classify",
            actor,
            note=str(category),
            data={"from": old.code if old else "", "to": category.code},
        )

    def dispatch(self, actor, at, department, *, category=None, note="") -> None:
        self.step("dispatch", actor, at)
        if category is not None:
            self.reclassify(category, actor)
        self.e.routing_rule = None
        self.dispatch_to(department, actor, note=note)

    def reassign(self, actor, at, department, note="") -> None:
        self.step("reassign", actor, at)
        self.e.routing_rule = None
        self.dispatch_to(department, actor, note=note, action="reassign")

    def sign(self, actor, at, note="") -> None:
        before, target = self.step("sign", actor, at)
        e = self.e
        self.status(target)
        e.signed_at = self.t
        e.signed_on_time = e.sign_due_at is None or self.t <= e.sign_due_at
        self.close_clocks(K.SIGN)
        if e.resolve_due_at is None or e.resolve_due_at > self.t:
            self.close_clocks(ladder.YELLOW)
            self.close_clocks(ladder.RED)
            e.overdue_since = None
        for a in self.assignments:
            if a.ended_at is None and a.role == LEAD:
                a.signed_at = self.t
        self.log("sign", actor, frm=before, to=target, note=note, department=e.department)

    def start(self, actor, at, note="") -> None:
        before, target = self.step("start", actor, at)
        self.status(target)
        self.log("start", actor, frm=before, to=target, note=note, department=self.e.department)

    def resolve(self, actor, at, note) -> None:
        before, target = self.step("resolve", actor, at)
        e = self.e
        self.status(target)
        e.resolved_at = self.t
        e.resolved_on_time = e.resolve_due_at is None or self.t <= e.resolve_due_at
        self.close_clocks()
        self.open_clock(K.VERIFY, start=self.t, amount=self.w.verify_hours)
        entry = self.log(
            "resolve", actor, frm=before, to=target, note=note, department=e.department
        )
        self.photos.append((Attachment.Stage.RESOLUTION, entry, actor))

    def verify(self, actor, at, note="") -> None:
        before, target = self.step("verify", actor, at)
        self.status(target)
        self.e.closed_at = self.t
        self.close_clocks()
        for a in self.assignments:
            if a.role == LEAD and a.ended_at is None and a.done_at is None:
                a.done_at = self.t
        self.end_assignments()
        self.log("verify", actor, frm=before, to=target, note=note, department=self.e.department)

    def rework(self, actor, at, note) -> None:
        before, target = self.step("rework", actor, at)
        e = self.e
        self.status(target)
        e.rework_count += 1
        e.resolved_at = None
        e.resolved_on_time = None
        self.close_clocks()
        self.open_clock(K.RESOLVE, start=self.t, due=e.resolve_due_at)
        self.log("rework", actor, frm=before, to=target, note=note, department=e.department)

    def return_(self, actor, at, note) -> None:
        before, target = self.step("return", actor, at)
        e = self.e
        department = e.department
        self.end_assignments()
        self.close_clocks()
        self.status(target)
        e.department = None
        e.return_count += 1
        e.sign_due_at = e.resolve_due_at = None
        e.overdue_since = None
        self.log("return", actor, frm=before, to=target, note=note, department=department)

    def suspend(self, actor, at, note) -> None:
        before, target = self.step("suspend", actor, at)
        self.e.resume_status = before
        self.status(target)
        self.pause()
        self.log("suspend", actor, frm=before, to=target, note=note, department=self.e.department)

    def resume_(self, actor, at, note="") -> None:
        before, target = self.step("resume", actor, at)
        self.resume()
        for kind in (K.SIGN, K.RESOLVE):
            if kind in self.clocks:
                setattr(self.e, f"{kind}_due_at", self.clocks[kind].due)
        self.status(target)
        self.e.resume_status = ""
        self.log("resume", actor, frm=before, to=target, note=note, department=self.e.department)

    def summon(self, actor, at, departments, note) -> list[Department]:
        self.step("summon", actor, at)
        active = {a.department_id for a in self.assignments if a.ended_at is None}
        added = [d for d in departments if d.pk != self.e.department_id and d.pk not in active]
        if not added:
            raise StoryError("nobody new to summon")
        for department in added:
            self.assignments.append(
                Assignment(
                    event=self.e,
                    department=department,
                    role=ASSIST,
                    assigned_at=self.t,
                    note=note,
                )
            )
        self.log("summon", actor, note=note, data={"departments": [d.code for d in added]})
        return added

    def _my_parts(self, actor) -> list[Assignment]:
        mine = scope_for(actor).department_ids
        return [
            a
            for a in self.assignments
            if a.role == ASSIST and a.ended_at is None and a.department_id in mine
        ]

    def assist_sign(self, actor, at, note="") -> None:
        self.step("assist_sign", actor, at)
        for part in self._my_parts(actor):
            if part.signed_at is None:
                part.signed_at = self.t
                self.log("assist_sign", actor, note=note, department=part.department)

    def assist_done(self, actor, at, note) -> None:
        self.step("assist_done", actor, at)
        for part in self._my_parts(actor):
            if part.done_at is None:
                part.done_at = self.t
                part.signed_at = part.signed_at or self.t
                part.note = note
                self.log("assist_done", actor, note=note, department=part.department)

    def merge(self, actor, at, survivor: Story, note="") -> None:
        before, target = self.step("merge", actor, at)
        if survivor.status_at(self.t) not in Event.OPEN_STATUSES:
            raise StoryError("merge into an open event")
        self.status(target)
        self.merge_into = survivor
        self.e.closed_at = self.t
        self.close_clocks()
        self.end_assignments()
        entry = self.log("merge", actor, frm=before, to=target, note=note)
        self.refs += [(entry, survivor, "into", "number"), (entry, survivor, "into_id", "pk")]
        reporter = self.e.reporter
        if reporter is not None and reporter.pk != survivor.e.reporter_id:
            survivor.followers.add(reporter)
        absorb = survivor.log("absorb", actor, at=self.t, note=note)
        survivor.refs += [(absorb, self, "merged", "number"), (absorb, self, "merged_id", "pk")]

    def invalidate(self, actor, at, note) -> None:
        before, target = self.step("invalidate", actor, at)
        self.status(target)
        self.e.closed_at = self.t
        self.close_clocks()
        self.end_assignments()
        self.log(
            "invalidate", actor, frm=before, to=target, note=note, department=self.e.department
        )

    def rate(self, actor, at, rating, note="") -> None:
        self.step("rate", actor, at)
        self.e.rating = rating
        self.e.rating_comment = note
        self.e.rated_at = self.t
        self.log("rate", actor, note=note, data={"rating": rating})

    def reopen(self, actor, at, note) -> None:
        self.step("reopen", actor, at)
        e = self.e
        e.reopen_count += 1
        e.rating = e.rating_comment = ""
        e.rated_at = e.closed_at = e.resolved_at = None
        e.resolved_on_time = e.signed_on_time = None
        # One timeline entry, closed → dispatched, as services._do_reopen writes it.
        self.dispatch_to(e.department, actor, note=note, action="reopen")

    def message(self, actor, at, note, internal=False) -> None:
        self.step("message", actor, at)
        if self.roles(actor) == {queries.REPORTER}:
            internal = False
        self.messages.append(
            Message(event=self.e, author=actor, body=note, internal=internal, created_at=self.t)
        )

    def finish(self) -> None:
        """Let the sweep catch up with now: the event is left as a running demo would find it."""
        self.advance(self.w.now, final=True)
