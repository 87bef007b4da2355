"""Demo events: a year of them, every timeline a legal path, the live demo left playable."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from pingan.accounts.scope import scope_for
from pingan.core.models import NumberSequence
from pingan.events import queries
from pingan.events.classify import phrase_matches
from pingan.events.demo import load_demo_events, load_demo_terminals
from pingan.events.models import (
    Assignment,
    CallTerminal,
    Category,
    Event,
    EventLog,
    Request,
)
from pingan.events.transitions import PREVIOUS, TRANSITIONS
from pingan.workflow import deadlines
from pingan.workflow.models import AccountabilityRecord, Deadline

pytestmark = pytest.mark.django_db

S = Event.Status
# Timeline entries that are no move of the table: what the system does, or a move's side effect.
SIDE_EFFECTS = {"overdue", "absorb", "classify", "relocate"}


class Walk:
    """Replay one event's timeline through the transition table, as the services would."""

    def __init__(self, event: Event, departments: dict[str, int]) -> None:
        self.event = event
        self.departments = departments
        self.status: str | None = None
        self.lead: int | None = None
        self.assists: dict[int, bool] = {}  # department id -> part done
        self.pending: list[str] = []
        self.paused: list[str] = []
        self.rating = ""
        self.reopened = 0

    def roles(self, user) -> set[str]:
        access = scope_for(user)
        e = self.event
        roles = set()
        if access.everything or access.covers(e.path, access.centre_paths):
            roles.add(queries.CENTRE)
        if access.covers(e.path, access.leader_paths):
            roles.add(queries.LEADER)
        if e.grid_id and e.grid_id in access.staff_grid_ids:
            roles.add(queries.GRID)
        if self.lead in access.department_ids:
            roles.add(queries.DEPARTMENT)
        if set(self.assists) & access.department_ids:
            roles.add(queries.ASSISTING)
        if e.reporter_id == user.pk:
            roles.add(queries.REPORTER)
        return roles

    def guard(self, action: str) -> bool:
        if action in ("request_extension", "request_hold"):
            return not self.pending
        if action == "approve_extension":
            return "extension" in self.pending
        if action == "approve_hold":
            return "hold" in self.pending
        if action == "refuse_request":
            return bool(self.pending)
        if action == "rate":
            return not self.rating and self.event.reporter_id is not None
        if action == "reopen":
            return self.rating == Event.Rating.DISSATISFIED and self.reopened == 0
        if action == "assist_done":
            return not all(self.assists.values())
        return True

    def lead_to(self, department_id: int) -> None:
        self.lead = department_id
        self.assists.pop(department_id, None)

    def step(self, log: EventLog) -> None:
        action, where = log.action, f"{self.event.number} {log.action} at {log.at}"
        if action == "report":
            assert self.status is None and log.to_status == S.REPORTED, where
            self.status = S.REPORTED
            return
        assert self.status is not None, f"{where}: before the report"
        if action in SIDE_EFFECTS or (action == "supervise" and log.data.get("automatic")):
            if action == "overdue" or action == "supervise":
                assert log.actor_id is None, where
                assert self.status in Event.OPEN_STATUSES, where
            return
        if action == "dispatch" and log.data.get("automatic"):
            assert log.actor_id is None and self.status == S.REPORTED, where
            self.lead_to(log.department_id)
            self.status = S.DISPATCHED
            return
        move = TRANSITIONS[self.status].get(action)
        assert move is not None, f"{where}: not a move from {self.status}"
        assert log.actor is not None, f"{where}: nobody made the move"
        assert move.roles & self.roles(log.actor), f"{where}: {log.actor} plays no part for it"
        assert (move.guard is None) or self.guard(action), f"{where}: its guard does not hold"
        if log.from_status:
            assert log.from_status == self.status, where
        self.apply(action, log)
        target = move.target
        if target == PREVIOUS:
            target = self.paused.pop()
        if target is not None:
            self.status = target
        if log.to_status:
            assert log.to_status == self.status, where

    def apply(self, action: str, log: EventLog) -> None:
        if action in ("dispatch", "reassign", "reopen"):
            self.lead_to(log.department_id)
            if action == "reopen":
                self.rating = ""
                self.reopened += 1
        elif action in ("return", "verify", "merge", "invalidate"):
            self.lead, self.assists = None, {}
        elif action == "summon":
            for code in log.data["departments"]:
                self.assists[self.departments[code]] = False
        elif action == "assist_done":
            self.assists[log.department_id] = True
        elif action.startswith("request_"):
            self.pending.append(action.removeprefix("request_"))
        elif action in ("approve_extension", "refuse_request"):
            self.pending.pop()
        elif action == "approve_hold":
            self.pending.pop()
            self.paused.append(self.status)
        elif action == "suspend":
            self.paused.append(self.status)
        elif action == "rate":
            self.rating = log.data["rating"]


def walk_all(events) -> None:
    """Replay every timeline of ``events``; fail on the first illegal step."""
    from pingan.accounts.models import Department

    departments = dict(Department.objects.values_list("code", "pk"))
    logs: dict[int, list[EventLog]] = {}
    for log in EventLog.objects.filter(event__in=events).select_related("actor"):
        logs.setdefault(log.event_id, []).append(log)
    users = {}
    for event in events:
        walk = Walk(event, departments)
        for log in logs[event.pk]:
            if log.actor is not None:
                # One user object per account, so its event access is computed once.
                log.actor = users.setdefault(log.actor_id, log.actor)
            walk.step(log)
        assert walk.status == event.status, f"{event.number} ends {walk.status}"


@pytest.fixture(scope="class")
def year(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the full demo year once for the class; roll it back afterwards."""
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    with media, django_db_blocker.unblock(), transaction.atomic():
        # The loader keeps whole seconds: sweeping at the same instant it used, not a fraction of
        # a second later, is what "everything up to now fired already" means.
        now = timezone.now().replace(microsecond=0)
        # The session's demo county holds `center`'s reminder, due two minutes after it was
        # loaded: on a slow run that is before `now`. Fire it first, so the sweep below speaks
        # of the demo events alone.
        deadlines.sweep(now=now)
        assert load_demo_events(3000, now=now) == 3000
        yield now
        transaction.set_rollback(True)


@pytest.mark.usefixtures("year")
class TestAYearOfDemoEvents:
    def test_it_covers_every_channel_category_state_and_outcome(self, year):
        events = list(Event.objects.filter(is_demo=True))
        assert len(events) == 3000
        assert {e.channel for e in events} == set(Event.Channel.values)
        minor = set(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
        assert {e.category_id for e in events} >= minor
        assert {e.status for e in events} == set(Event.Status.values)
        assert min(e.reported_at for e in events) >= year - dt.timedelta(days=366)
        assert max(e.reported_at for e in events) <= year
        months = {timezone.localtime(e.reported_at).strftime("%Y-%m") for e in events}
        assert len(months) >= 12

        open_overdue = [e for e in events if e.is_overdue]
        assert {e.supervision for e in open_overdue} >= {"normal", "yellow", "red"}
        assert sum(e.escalated_to_id is not None for e in events) >= 20
        assert Assignment.objects.filter(role="assist", event__is_demo=True).count() >= 10
        assert sum(e.return_count > 0 for e in events) >= 50
        assert sum(e.rework_count > 0 for e in events) >= 50
        assert sum(e.reopen_count > 0 for e in events) >= 3
        assert sum(e.was_on_hold for e in events) >= 30
        assert sum(e.urge_count for e in events) >= 50
        merged = [e for e in events if e.status == S.MERGED]
        assert len(merged) >= 40 and all(e.merged_into_id for e in merged)
        assert Event.followers.through.objects.filter(event__is_demo=True).exists()
        ratings = Counter(e.rating for e in events if e.rating)
        assert set(ratings) == set(Event.Rating.values)
        decided = Counter(
            Request.objects.filter(event__is_demo=True, kind="extension").values_list(
                "status", flat=True
            )
        )
        assert decided["approved"] >= 10 and decided["refused"] >= 5
        records = AccountabilityRecord.objects.filter(event__is_demo=True)
        assert {"sign", "resolve"} <= set(records.values_list("kind", flat=True))
        assert records.filter(event__status=S.CLOSED).exists()  # kept after closing

    def test_the_timeline_names_each_actors_own_unit(self):
        entries = EventLog.objects.filter(event__is_demo=True)
        # Everyone who acted with a role has their unit on the entry, as written.
        assert not entries.filter(actor__memberships__isnull=False, actor_unit="").exists()
        checks = entries.filter(action="verify", actor__isnull=False).select_related("department")
        assert checks.exists()
        for entry in checks:  # the grid (or the centre) that checked, not the department
            assert entry.actor_unit != entry.department.name, entry.pk

    def test_every_timeline_is_a_legal_path_through_the_transition_table(self):
        walk_all(list(Event.objects.filter(is_demo=True)))

    def test_open_events_have_the_deadlines_the_sweep_expects(self, year):
        open_deadlines: dict[int, dict[str, Deadline]] = {}
        for deadline in Deadline.objects.filter(closed_at__isnull=True, handler="events.event"):
            open_deadlines.setdefault(deadline.object_id, {})[deadline.kind] = deadline
        for event in Event.objects.filter(is_demo=True).prefetch_related("accountability_records"):
            mine = open_deadlines.get(event.pk, {})
            if not event.is_open or event.status == S.REPORTED:
                assert not mine, event.number
                continue
            if event.status == S.DISPATCHED:
                assert mine["sign"].due_at == event.sign_due_at, event.number
            if event.status in Event.HANDLING_STATUSES:
                assert mine["resolve"].due_at == event.resolve_due_at, event.number
            if event.status == S.RESOLVED:
                assert set(mine) == {"verify"}, event.number
            if event.status in (S.SUSPENDED, S.ON_HOLD):
                assert all(d.paused_at is not None for d in mine.values()), event.number
            if event.is_overdue:
                assert event.accountability_records.all(), event.number
                assert event.supervision, event.number
            for deadline in mine.values():
                assert deadline.warn_at <= deadline.due_at
                if deadline.paused_at is None and deadline.due_at <= year:
                    assert deadline.overdue_at is not None, event.number
        # The sweep of a running demo finds everything up to now fired already.
        result = deadlines.sweep(now=year)
        assert (result.warned, result.overdue) == (0, 0)

    def test_events_lie_in_their_grids_and_rule_classified_texts_match_their_rule(self):
        from pingan.geo.locate import locate

        for event in Event.objects.filter(is_demo=True).select_related("keyword_rule", "region"):
            found = locate(event.lng, event.lat)
            assert found is not None and found.grid_id == event.grid_id, event.number
            assert event.region_id == found.region_id
            assert event.path == event.region.path
            if event.category_source == Event.CategorySource.RULE:
                text = f"{event.title}\n{event.description}"
                assert phrase_matches(event.keyword_rule.phrase, text), event.number

    def test_events_are_numbered_by_day_and_live_reports_continue_the_count(self):

        numbers = list(Event.objects.filter(is_demo=True).values_list("number", "reported_at"))
        for number, reported_at in numbers:
            day = timezone.localdate(reported_at)
            assert re.fullmatch(rf"SJ-{day:%Y%m%d}-\d{{4}}", number)
        per_day = Counter(number.rsplit("-", 1)[0] for number, _at in numbers)
        for key, count in per_day.items():
            assert NumberSequence.objects.get(key=key).last == count
        event = _wall_report()
        key = f"SJ-{timezone.localdate():%Y%m%d}"
        assert event.number == f"{key}-{per_day.get(key, 0) + 1:04d}"

    def test_the_retaining_wall_story_stays_playable(self):
        from pingan.events.duplicates import possible_duplicates

        event = _wall_report()
        assert event.status == S.DISPATCHED
        assert event.department.code == "513999-transport"
        assert possible_duplicates(event, queries_user("center")) == []

    def test_loading_them_again_adds_nothing(self):
        counts = (Event.objects.count(), EventLog.objects.count(), Deadline.objects.count())
        assert load_demo_events(50, seed=1) == 0
        assert (Event.objects.count(), EventLog.objects.count(), Deadline.objects.count()) == counts


def test_the_walk_catches_a_move_made_by_someone_without_the_part():
    load_demo_events(40, seed=3)
    event = Event.objects.filter(is_demo=True, status=S.CLOSED).first()
    walk_all([event])
    event.timeline.filter(action="sign").update(actor=queries_user("leader"))
    with pytest.raises(AssertionError, match="plays no part"):
        walk_all([event])


def test_other_seeds_tell_other_stories_just_as_legal():
    load_demo_events(300, seed=7)
    walk_all(list(Event.objects.filter(is_demo=True)))


def test_the_demo_call_terminals_are_ten_elderly_residents_in_their_villages():
    from pingan.geo.locate import locate

    terminals = load_demo_terminals()
    assert len(terminals) == 10
    load_demo_terminals()
    assert CallTerminal.objects.filter(is_demo=True).count() == 10
    for terminal in terminals:
        assert terminal.phone_masked.startswith("139")
        assert locate(terminal.lng, terminal.lat).region_id == terminal.village_id


def test_the_demo_loader_adds_the_configured_number_of_events(settings):
    from pingan.core import demo

    settings.PINGAN_DEMO_EVENTS = 30
    demo.load_demo()
    assert Event.objects.filter(is_demo=True).count() == 30


def _wall_report() -> Event:
    from pingan.events import services
    from pingan.events.tests.conftest import GRID01, WALL, WALL_TEXT, grid_point

    lng, lat = grid_point(GRID01)
    event, _created = services.report_event(
        acting_user=queries_user("grid01"),
        description=WALL_TEXT,
        channel=Event.Channel.GRID_WORKER,
        category=WALL,
        lng=lng,
        lat=lat,
    )
    return event


def queries_user(username: str):
    from pingan.accounts.models import User

    return User.objects.get(username=username)
