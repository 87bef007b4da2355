"""What happens to each demo event: a plan (outcome and detours) and the teller who plays it.

:class:`Teller` invents a report (channel, place, category, words, reporter) as
``services.report_event`` would store it, then plays its plan on a
:class:`~pingan.events.demo_story.Story`, whose moves are checked against the table.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.accounts.models import Department, User
from pingan.events.demo_story import Story
from pingan.events.demo_texts import (
    APPROVE_NOTES,
    ASSIST_DONE_NOTES,
    ASSISTANTS,
    CATEGORY_WEIGHTS,
    CHANNEL_WEIGHTS,
    ESCALATE_NOTES,
    EXTENSION_NOTES,
    HOLD_NOTES,
    INVALID_NOTES,
    MERGE_NOTES,
    MESSAGE_NOTES,
    ONE_KEY_NOTES,
    RATING_COMMENTS,
    REFUSE_NOTES,
    REOPEN_NOTES,
    REPORT_TEXTS,
    RESOLVE_NOTES,
    RESUME_NOTES,
    RETURN_NOTES,
    REWORK_NOTES,
    SIGN_NOTES,
    START_NOTES,
    SUGGESTION_DEPARTMENTS,
    SUMMON_NOTES,
    SUPERVISE_NOTES,
    SUSPEND_NOTES,
    SYSTEM_TEXTS,
    URGE_NOTES,
    VAGUE_TEXTS,
    VERIFY_NOTES,
)
from pingan.events.demo_world import Stop, World
from pingan.events.models import (
    Attachment,
    Event,
    Request,
)

S = Event.Status
C = Event.Channel
HISTORY_DAYS = 365


@dataclass
class Plan:
    """How one story goes: its outcome and the detours on the way."""

    outcome: str = "closed"  # closed, invalid, queue, stuck_sign, stuck_resolve, suspended, on_hold
    late_sign: bool = False
    late_resolve: bool = False
    returned: bool = False
    reassigned: bool = False
    rework: bool = False
    escalate: bool = False
    summon: bool = False
    extension: str = ""  # "", "approved", "refused"
    hold: bool = False
    suspend: bool = False
    urges: int = 0
    supervise: str = ""
    message: bool = False
    start: bool = True
    rate: bool = True
    reopen: bool = False


def draw_plan(rng: random.Random) -> Plan:
    """Return how the next story goes, drawn with the shares of a typical county's year."""
    r = rng.random()
    outcome = "closed"
    for name, share in (
        ("invalid", 0.03),
        ("stuck_sign", 0.012),
        ("stuck_resolve", 0.025),
        ("suspended", 0.008),
        ("on_hold", 0.008),
        ("queue", 0.012),
    ):
        if r < share:
            outcome = name
            break
        r -= share
    late_resolve = rng.random() < 0.12
    urge_share = 0.6 if outcome.startswith("stuck") else 0.5 if late_resolve else 0.03
    return Plan(
        outcome=outcome,
        late_sign=rng.random() < 0.1,
        late_resolve=late_resolve,
        returned=rng.random() < 0.06,
        reassigned=rng.random() < 0.02,
        rework=rng.random() < 0.05,
        escalate=rng.random() < 0.04,
        summon=rng.random() < 0.7,
        extension=rng.choice(("approved", "approved", "refused")) if rng.random() < 0.05 else "",
        hold=rng.random() < 0.02,
        suspend=rng.random() < 0.03,
        urges=rng.choice((1, 1, 2, 3)) if rng.random() < urge_share else 0,
        supervise=rng.choice(("yellow", "red")) if rng.random() < 0.015 else "",
        message=rng.random() < 0.1,
        start=rng.random() < 0.6,
        rate=rng.random() < 0.7,
        reopen=rng.random() < 0.4,
    )


# --- the stories ------------------------------------------------------------------------------


class Teller:
    """Invent reports and play their stories."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.rng = world.rng
        self.codes = [c for c in CATEGORY_WEIGHTS if c in world.categories]
        self.code_weights = [CATEGORY_WEIGHTS[c] for c in self.codes]
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = list(CHANNEL_WEIGHTS.values())

    # times ------------------------------------------------------------------------------

    def report_time(self, plan: Plan) -> dt.datetime:
        now, rng = self.w.now, self.rng
        days = {
            "stuck_sign": (0.1, 12),
            "stuck_resolve": (3, 30),
            "suspended": (3, 40),
            "on_hold": (5, 40),
            "queue": (0.01, 1),
        }.get(plan.outcome, (0, HISTORY_DAYS))
        while True:
            moment = now - dt.timedelta(days=rng.uniform(*days))
            if plan.outcome == "closed" and rng.random() < 0.85:
                # Most reports come in the daytime.
                local = timezone.localtime(moment)
                minutes = rng.randint(7 * 60 + 30, 21 * 60 + 30)
                moment = local.replace(hour=minutes // 60, minute=minutes % 60)
            moment = moment.replace(microsecond=0)
            if moment < now:
                return moment

    def after(self, story: Story, low: float, high: float, *, urgent=None) -> dt.datetime:
        """Return a moment ``low``–``high`` minutes after the story's clock; people work days."""
        moment = story.t + dt.timedelta(minutes=self.rng.uniform(low, high))
        if urgent is None:
            urgent = story.e.priority == "urgent"
        local = timezone.localtime(moment)
        if not urgent and not 8 <= local.hour < 21:
            start = local.replace(hour=8, minute=self.rng.randint(0, 59), second=0)
            if local.hour >= 21:
                start += dt.timedelta(days=1)
            moment = start
        return moment.replace(microsecond=0)

    def within(self, story: Story, due: dt.datetime, low: float, high: float) -> dt.datetime:
        """Return a moment ``low``–``high`` of the way from the story's clock to ``due``."""
        span = max((due - story.t).total_seconds(), 600)
        moment = story.t + dt.timedelta(seconds=span * self.rng.uniform(low, high))
        return self.daytime(story, moment, limit=due)

    def daytime(self, story: Story, moment: dt.datetime, limit=None) -> dt.datetime:
        """Move a night-time moment to the next morning, unless it is urgent or too late then."""
        moment = moment.replace(microsecond=0)
        local = timezone.localtime(moment)
        if story.e.priority == "urgent" or 7 <= local.hour < 22:
            return moment
        morning = local.replace(hour=7, minute=self.rng.randint(30, 59), second=0)
        if local.hour >= 22:
            morning += dt.timedelta(days=1)
        return morning if limit is None or morning <= limit else moment

    def late(self, story: Story, due: dt.datetime, longest_hours: float) -> dt.datetime:
        hours = self.rng.choice((0.5, 4, 12, 20, 30, 50, longest_hours))
        return self.daytime(story, due + dt.timedelta(hours=self.rng.uniform(0.2, hours)))

    # people -----------------------------------------------------------------------------

    def centre(self, story: Story) -> User:
        town01 = self.w.users["town01"]
        if story.e.path.startswith(f"/{self.w.county.code}/{self.w.county.code}001/"):
            if self.rng.random() < 0.5:
                return town01
        return self.w.users["center"]

    def verifier(self, story: Story) -> User:
        staff = self.w.grid_staff.get(story.e.grid_id)
        return self.rng.choice(staff) if staff else self.centre(story)

    def handler(self, story: Story) -> User:
        return self.w.handler(story.e.department)

    # the report -------------------------------------------------------------------------

    def new_event(self, plan: Plan, *, like: Story | None = None) -> Story:
        w, rng = self.w, self.rng
        channel = rng.choices(self.channels, self.channel_weights)[0]
        if plan.outcome == "queue":
            channel = C.HOTLINE
        if like is not None:
            channel = rng.choice((C.RESIDENT, C.HOTLINE, C.GRID_WORKER))
        reporter, reporter_name, terminal, grid = None, "", None, None
        if channel == C.RESIDENT:
            reporter, grid = rng.choice(w.residents)
            reporter_name = reporter.display_name
        elif channel == C.ONE_KEY_CALL and w.terminals:
            terminal = rng.choice(w.terminals)
        elif channel == C.ONE_KEY_CALL:
            channel = C.HOTLINE
        if grid is None:
            grid = rng.choices(w.grids, w.weights)[0]
        if like is not None:
            lng = like.e.lng + rng.uniform(-0.0004, 0.0004)
            lat = like.e.lat + rng.uniform(-0.0003, 0.0003)
        elif terminal is not None and terminal.lng is not None:
            lng, lat = terminal.lng, terminal.lat
        else:
            lng, lat = w.point_in(grid)
        region, grid_id, located_by = w.place(lng, lat)
        township = w.township(region)
        staff = w.grid_staff.get(grid_id, [])
        if channel == C.GRID_WORKER:
            workers = [u for u in staff if u.username.startswith("grid")]
            if workers:
                reporter = workers[0]
                reporter_name = reporter.display_name
            else:
                reporter_name = rng.choice(w.grid_workers.get(grid_id) or [w.name()])
        elif channel in (C.HOTLINE, C.APPEAL_BOX, C.ONE_KEY_CALL, C.CENTRE):
            reporter = w.users["center"]
            if township is not None and township.code.endswith("001") and rng.random() < 0.5:
                reporter = w.users["town01"]
            if channel == C.CENTRE:
                reporter_name = reporter.display_name
            elif channel == C.ONE_KEY_CALL:
                reporter_name = terminal.name
            elif channel == C.APPEAL_BOX and rng.random() < 0.4:
                reporter_name = "匿名"
            else:
                reporter_name = w.name()

        # What happened, and in whose words.
        if like is not None:
            code = like.e.category.code
        elif channel == C.SYSTEM:
            code = rng.choice([c for c in SYSTEM_TEXTS if c in w.categories])
        elif channel == C.ONE_KEY_CALL:
            code = rng.choices(("1301", "1402", "1302"), (7, 2, 1))[0]
        else:
            code = rng.choices(self.codes, self.code_weights)[0]
        if like is None and code == "0201" and plan.outcome != "closed":
            # Keep the retaining-wall story of the live demo free of open look-alikes.
            plan.outcome = "closed"
        category = w.categories[code]
        spot = w.spot(region)
        place = f"{region.name}{spot}"
        address = f"{township.name if township and township != region else ''}{place}"
        title = ""
        source = Event.CategorySource.REPORTER
        if channel == C.SYSTEM:
            description = SYSTEM_TEXTS[code].format(place=place)
            reporter_name = description[1 : description.index("】")]
        elif channel == C.ONE_KEY_CALL:
            description = _("One-key call from %(name)s at %(address)s.") % {
                "name": terminal.name,
                "address": terminal.address,
            }
            description = f"{description}\n{rng.choice(ONE_KEY_NOTES[code])}"
            title = _("One-key call: %(name)s") % {"name": terminal.name}
            address = terminal.address
            source = Event.CategorySource.NONE
        else:
            r = rng.random()
            vague = r < 0.12 or plan.outcome == "queue"
            if channel in (C.HOTLINE, C.APPEAL_BOX, C.RESIDENT) and vague and code != "1501":
                description = rng.choice(VAGUE_TEXTS).format(place=place)
                source = Event.CategorySource.NONE
            else:
                description = rng.choice(REPORT_TEXTS[code]).format(place=place)
                if channel not in (C.CENTRE,) and r < 0.5:
                    source = Event.CategorySource.RULE
            if channel in (C.GRID_WORKER, C.CENTRE) and rng.random() < 0.6:
                title = f"{region.name}{category.name}"
        rule = w.keyword_rules.get(category.pk) if source == Event.CategorySource.RULE else None
        if source == Event.CategorySource.RULE and rule is None:
            source = Event.CategorySource.REPORTER
        plan_category = category
        if source == Event.CategorySource.NONE:
            category = None
        reported_at = like.t if like is not None else self.report_time(plan)
        if like is None and code == "0201" and reported_at > w.now - dt.timedelta(days=8):
            reported_at -= dt.timedelta(days=8)
        event = Event(
            title=title,
            description=description,
            category=category,
            category_source=source,
            keyword_rule=rule,
            priority="high" if channel == C.ONE_KEY_CALL else plan_category.priority,
            channel=channel,
            source_key=f"user:{reporter.pk}" if reporter else "demo",
            reporter=reporter,
            reporter_name=reporter_name[:50],
            lng=lng,
            lat=lat,
            address=address[:200],
            located_by=located_by,
            region=region,
            grid_id=grid_id,
            path=region.path,
            county_code=w.county.code,
            township=township,
            reported_at=reported_at,
            is_demo=True,
        )
        if terminal is not None:
            event.reporter_phone_encrypted = terminal.phone_encrypted
            event.reporter_phone_hash = terminal.phone_hash
            event.reporter_phone_masked = terminal.phone_masked
        elif channel == C.HOTLINE:
            w.caller += 1
            event.set_reporter_phone(f"1390000{8000 + w.caller % 1000:04d}")
        story = Story(w, event)
        story.plan_category = plan_category
        self.intake(story, reporter)
        return story

    def intake(self, story: Story, reporter: User | None) -> None:
        """``services.report_event`` after the checks: locate, classify, route, dispatch."""
        w, e = self.w, story.e
        route = w.route(e.category, e.region) if e.located_by != "none" else None
        e.centre = w.centre_for(e.region)
        reason = route.reason if route else w.route_reason_none
        report = story.log(
            "report",
            reporter,
            to=S.REPORTED,
            data={
                "channel": e.channel,
                "located_by": e.located_by,
                "category_source": e.category_source,
                "keyword_rule": e.keyword_rule.phrase if e.keyword_rule else "",
                "route": reason,
            },
        )
        if e.channel in (C.GRID_WORKER, C.RESIDENT) and self.rng.random() < 0.6:
            story.photos.append((Attachment.Stage.REPORT, report, reporter))
        if route and route.department and e.category.auto_dispatch:
            e.routing_rule = route.rule
            story.dispatch_to(route.department, None, note=route.reason, auto=True)

    # the story --------------------------------------------------------------------------

    def play(self, story: Story, plan: Plan) -> None:
        try:
            self._play(story, plan)
        except Stop:
            story.stopped_at = story.t
        story.finish()

    def _play(self, s: Story, p: Plan) -> None:
        rng, w = self.rng, self.w
        if s.e.status == S.REPORTED:
            if p.outcome == "queue":
                raise Stop
            if p.outcome == "invalid":
                s.invalidate(self.centre(s), self.after(s, 10, 240), rng.choice(INVALID_NOTES))
                return
            if p.suspend and rng.random() < 0.5:
                s.suspend(self.centre(s), self.after(s, 10, 120), rng.choice(SUSPEND_NOTES))
                s.resume_(self.centre(s), self.after(s, 120, 2880), rng.choice(RESUME_NOTES))
            category = s.plan_category
            department = None
            if category.code != "1501":
                department = w.route(category, s.e.region).department
            if department is None:
                department = w.department(rng.choice(SUGGESTION_DEPARTMENTS))
            s.dispatch(
                self.centre(s),
                self.after(s, 5, 120),
                department,
                category=category if s.e.category is None else None,
            )
        elif p.outcome == "invalid":
            s.invalidate(self.centre(s), self.after(s, 20, 180), rng.choice(INVALID_NOTES))
            return
        if p.returned:
            first = s.e.department
            s.return_(
                self.handler(s),
                self.within(s, s.e.sign_due_at, 0.2, 0.9),
                RETURN_NOTES.format(department=w.alternate(first).short_name),
            )
            s.dispatch(self.centre(s), self.after(s, 10, 120), w.alternate(first))
        elif p.reassigned:
            s.reassign(self.centre(s), self.after(s, 5, 60), w.alternate(s.e.department))
        if p.outcome == "stuck_sign":
            self.urges(s, p, s.w.now)
            raise Stop
        self.sign(s, p)
        if p.message:
            note, internal = rng.choice(MESSAGE_NOTES)
            s.message(self.centre(s), self.after(s, 5, 60), note, internal)
        self.handle(s, p)

    def sign(self, s: Story, p: Plan) -> None:
        if p.late_sign:
            at = self.late(s, s.e.sign_due_at, 40)
        else:
            at = self.within(s, s.e.sign_due_at, 0.05, 0.9)
        s.sign(self.handler(s), at, self.rng.choice(SIGN_NOTES))

    def handle(self, s: Story, p: Plan) -> None:
        rng, w = self.rng, self.w
        assistants: list[Department] = []
        if p.escalate:
            actor = rng.choice([self.handler(s), self.centre(s)])
            s.escalate(actor, self.after(s, 10, 180), rng.choice(ESCALATE_NOTES))
            if rng.random() < 0.3:
                s.escalate(self.centre(s), self.after(s, 60, 600), rng.choice(ESCALATE_NOTES))
            keys = [
                k
                for k in ASSISTANTS[s.e.category.code[:2]]
                if w.department(k) not in (None, s.e.department)
            ]
            if p.summon and keys:
                count = min(len(keys), rng.choice((1, 2)))
                wanted = [w.department(k) for k in rng.sample(keys, count)]
                assistants = s.summon(w.users["center"], self.after(s, 5, 60), wanted, SUMMON_NOTES)
                for department in assistants:
                    s.assist_sign(w.handler(department), self.after(s, 10, 90))
        if p.start:
            s.start(self.handler(s), self.after(s, 10, 240), rng.choice(START_NOTES))
        if p.suspend:
            s.suspend(
                rng.choice([self.handler(s), self.centre(s)]),
                self.within(s, s.e.resolve_due_at, 0.1, 0.4),
                rng.choice(SUSPEND_NOTES),
            )
            s.resume_(
                rng.choice([self.handler(s), self.centre(s)]),
                self.after(s, 600, 4320),
                rng.choice(RESUME_NOTES),
            )
        if p.hold or p.outcome == "on_hold":
            s.request(
                Request.Kind.HOLD,
                self.handler(s),
                self.within(s, s.e.resolve_due_at, 0.1, 0.5),
                rng.choice(HOLD_NOTES),
            )
            s.approve_hold(self.centre(s), self.after(s, 30, 360), rng.choice(APPROVE_NOTES))
            if p.outcome == "on_hold":
                raise Stop
            s.resume_(
                rng.choice([self.handler(s), self.centre(s)]),
                self.after(s, 3 * 1440, 15 * 1440),
                rng.choice(RESUME_NOTES),
            )
        if p.outcome == "suspended":
            s.suspend(self.centre(s), self.after(s, 60, 1440), rng.choice(SUSPEND_NOTES))
            raise Stop
        if p.extension and s.e.resolve_due_at > s.t:
            due = s.e.resolve_due_at
            s.request(
                Request.Kind.EXTENSION,
                self.handler(s),
                self.within(s, due, 0.3, 0.8),
                rng.choice(EXTENSION_NOTES),
                new_due=(due + dt.timedelta(days=rng.randint(2, 7))).replace(microsecond=0),
            )
            if p.extension == "approved":
                s.approve_extension(
                    self.centre(s), self.after(s, 30, 300), rng.choice(APPROVE_NOTES)
                )
            else:
                s.refuse(self.centre(s), self.after(s, 30, 300), rng.choice(REFUSE_NOTES))
        due = s.e.resolve_due_at
        if p.outcome == "stuck_resolve":
            resolve_at = w.now + dt.timedelta(days=30)
        elif p.late_resolve or (p.extension == "refused" and rng.random() < 0.5):
            resolve_at = self.late(s, max(due, s.t), 100)
        else:
            resolve_at = self.within(s, due, 0.15, 0.9)
        self.urges(s, p, resolve_at)
        if p.supervise:
            at = self.within(s, min(resolve_at, w.now), 0.2, 0.8)
            if at < resolve_at and Event.SUPERVISION_ORDER[s.e.supervision] < 2:
                s.supervise(w.users["leader"], at, p.supervise, rng.choice(SUPERVISE_NOTES))
        if p.outcome == "stuck_resolve":
            raise Stop
        for department in assistants:
            s.assist_done(
                w.handler(department),
                self.within(s, resolve_at, 0.2, 0.9),
                rng.choice(ASSIST_DONE_NOTES),
            )
        note = rng.choice(RESOLVE_NOTES[s.e.category.code[:2]])
        s.resolve(self.handler(s), resolve_at, note)
        if p.rework:
            s.rework(self.verifier(s), self.after(s, 60, 1200), rng.choice(REWORK_NOTES))
            s.resolve(self.handler(s), self.after(s, 120, 2880), note)
        verify_hours = float(w.verify_hours) * (rng.uniform(1.1, 2) if rng.random() < 0.05 else 0.8)
        s.verify(self.verifier(s), self.after(s, 20, verify_hours * 60), rng.choice(VERIFY_NOTES))
        self.rate(s, p)

    def urges(self, s: Story, p: Plan, until: dt.datetime) -> None:
        moments = sorted(self.within(s, min(until, self.w.now), 0.3, 1.0) for _ in range(p.urges))
        for at in moments:
            if at >= until or at > self.w.now:
                break
            actor = self.w.users["leader"] if self.rng.random() < 0.3 else self.centre(s)
            if not s.may("urge", actor):
                break
            s.urge(actor, at, self.rng.choice(URGE_NOTES))

    def rate(self, s: Story, p: Plan) -> None:
        rng = self.rng
        reporter = s.e.reporter
        if not p.rate or reporter is None:
            return
        bad = p.late_resolve or p.rework or s.e.reopen_count
        weights = (60, 25, 15) if bad and not s.e.reopen_count else (80, 15, 5)
        if s.e.reopen_count:
            weights = (60, 40, 0)
        rating = rng.choices(list(RATING_COMMENTS), weights)[0]
        s.rate(reporter, self.after(s, 60, 4320), rating, rng.choice(RATING_COMMENTS[rating]))
        if rating == Event.Rating.DISSATISFIED and p.reopen:
            actor = rng.choice([reporter, self.centre(s)])
            s.reopen(actor, self.after(s, 60, 1440), rng.choice(REOPEN_NOTES))
            again = Plan(outcome="closed", rate=True)
            self.sign(s, again)
            self.handle(s, again)

    # duplicates ---------------------------------------------------------------------------

    def duplicate(self, survivor: Story) -> Story | None:
        """Return a second report of the survivor's problem, merged into it by the centre."""
        # The duplicate comes in while the survivor is open, and is merged before it closes.
        opened = survivor.e.reported_at
        closes = survivor.e.closed_at or survivor.e.resolved_at or self.w.now
        window = (closes - opened).total_seconds()
        if window < 3 * 3600 or survivor.e.lng is None or survivor.e.category is None:
            return None
        plan = Plan(outcome="closed")
        probe = Story(self.w, survivor.e)
        probe.t = opened + dt.timedelta(seconds=window * self.rng.uniform(0.05, 0.4))
        probe.t = probe.t.replace(microsecond=0)
        story = self.new_event(plan, like=probe)
        merge_at = self.after(story, 5, 25, urgent=True)
        if merge_at >= closes or survivor.status_at(merge_at) not in Event.OPEN_STATUSES:
            return None
        try:
            story.merge(self.centre(story), merge_at, survivor, self.rng.choice(MERGE_NOTES))
        except Stop:
            return None
        story.finish()
        return story
