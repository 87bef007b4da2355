"""Demo data for events: routing rules, one-key call terminals, and a year of demo events.

``load_demo()`` is events' demo loader (``pingan.core.demo``): it runs after the demo county,
its accounts (``pingan.geo.demo``) and workflow's demo reminder, and loads the taxonomy, the
routing rules, the centre staff's admin rights over them, and the demo events.

``load_demo_events()`` writes about 3,000 events over the last twelve months. Each event's life
is a story (``demo_stories``: what happens, in whose words from ``demo_texts``) played move by
move on a ``demo_story.Story``: a move must be in
``pingan.events.transitions.TRANSITIONS`` for the event's status at that moment, its actor must
play one of the move's roles (computed as ``queries.roles_in`` does), its guard must hold, and its
effects are those of ``pingan.events.services``: timeline entries, assignments, requests,
deadlines opened, closed, paused and resumed. Between the moves the deadline sweep runs too: a
deadline that passes fires as ``pingan.events.supervision.on_overdue`` would (an accountability
record, the overdue flag, automatic supervision normal → yellow → red). A story whose next move
would come after now stops there: the event stays open, its open deadlines are written as
``Deadline`` rows with the hooks already fired marked fired, so the sweep of a running demo
carries on where the story stopped and fires nothing twice.

Stories are played in memory and written with ``bulk_create``: seconds instead of the minutes
that ``services.perform`` under a patched clock would take for 3,000 events (with a notification
per move). ``tests/test_demo.py`` walks every stored timeline through the table to prove each one
legal. No notification is sent for demo events.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
from typing import TextIO

import shapely
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation

from pingan.accounts.models import Department, User
from pingan.core.demo import demo_loader
from pingan.core.models import NumberSequence
from pingan.events.demo_stories import Teller, draw_plan
from pingan.events.demo_story import Story
from pingan.events.demo_world import PERSONAS, World
from pingan.events.models import (
    Assignment,
    Attachment,
    CallTerminal,
    Category,
    Event,
    EventLog,
    Message,
    Request,
    RoutingRule,
)
from pingan.events.services import HANDLER, NUMBER_PREFIX
from pingan.events.taxonomy import default_routes
from pingan.geo import demo_data as data
from pingan.geo.demo import set_centre_staff_permissions
from pingan.geo.geometry import parse_polygon
from pingan.geo.models import Grid, Region
from pingan.workflow.models import AccountabilityRecord, Deadline

logger = logging.getLogger(__name__)

DEMO_EVENT_COUNT = 3000
DEMO_SEED = 2026
# What the county centre's staff may do in the admin: keep their routing data.
CENTRE_STAFF_PERMISSIONS = [
    f"events.{verb}_{model}"
    for verb in ("view", "add", "change", "delete")
    for model in ("category", "routingrule", "keywordrule", "intakesystem", "callterminal")
]


def load_demo_routing() -> int:
    """Create the demo county's routing rules: county-wide defaults, some township overrides."""
    county = Region.objects.get(code=data.COUNTY_CODE)
    departments = {d.code: d for d in Department.objects.filter(code__startswith=county.code)}
    categories = {c.code: c for c in Category.objects.all()}
    made = 0
    for code, key in default_routes().items():
        department = departments.get(f"{county.code}-{key}")
        if department is None or code not in categories:
            continue
        _rule, created = RoutingRule.objects.get_or_create(
            category=categories[code],
            region=county,
            department=department,
            defaults={"note": "演示：县级默认路由"},
        )
        made += created
    # Public-security matters go to the township's police station (派出所) first.
    for township in Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP):
        station = departments.get(f"{township.code}-police")
        if station is None:
            continue
        for code in ("1001", "0901"):
            _rule, created = RoutingRule.objects.get_or_create(
                category=categories[code],
                region=township,
                department=station,
                defaults={"note": "演示：治安类事件先派属地派出所"},
            )
            made += created
    return made


# --- one-key call terminals -----------------------------------------------------------------

# (holder, village, address detail); phones 1390000 9001… are issued to nobody.
TERMINALS = [
    ("王德明", "南门社区", "幸福巷12号1单元2楼"),
    ("李秀兰", "南门社区", "人民路45号院3栋"),
    ("张永福", "河滨社区", "滨河路8号"),
    ("陈桂英", "大河坝村", "3组17号"),
    ("刘成林", "大河坝村", "5组4号"),
    ("杨玉珍", "龙泉村", "2组9号"),
    ("泽仁拉姆", "高原村", "1组6号"),
    ("黄世华", "花椒村", "4组21号"),
    ("周淑芬", "石门村", "2组3号"),
    ("吴正清", "松林村", "6组11号"),
]


def demo_terminal_phone(index: int) -> str:
    """Return the phone of the ``index``-th demo terminal (0-based)."""
    return f"1390000{9001 + index:04d}"


def load_demo_terminals() -> list[CallTerminal]:
    """Create or refresh the one-key call terminals of about ten elderly residents."""
    from pingan.core import crypto

    villages = {r.name: r for r in Region.objects.filter(level=Region.Level.VILLAGE, is_demo=True)}
    grids: dict[int, Grid] = {}
    for grid in Grid.objects.filter(region__in=villages.values()).order_by("code"):
        grids.setdefault(grid.region_id, grid)
    terminals = []
    for index, (name, village_name, detail) in enumerate(TERMINALS):
        village = villages.get(village_name)
        if village is None:
            continue
        phone = demo_terminal_phone(index)
        terminal = CallTerminal.objects.filter(phone_hash=crypto.keyed_hash(phone)).first()
        terminal = terminal or CallTerminal()
        terminal.set_phone(phone)
        terminal.name = name
        township = village.parent.name if village.parent_id else ""
        terminal.address = f"{township}{village.name}{detail}"
        terminal.village = village
        grid = grids.get(village.pk)
        if grid is not None:
            polygon = parse_polygon(grid.geometry)
            centre = polygon.representative_point()
            # Neighbours in one village live a little apart.
            lng, lat = centre.x + 0.0004 * (index % 3 - 1), centre.y + 0.0003 * (index % 2)
            if not shapely.contains_xy(polygon, lng, lat):
                lng, lat = centre.x, centre.y
            terminal.lng, terminal.lat = round(lng, 6), round(lat, 6)
        terminal.is_active = True
        terminal.is_demo = True
        terminal.full_clean()
        terminal.save()
        terminals.append(terminal)
    return terminals


# --- loading ----------------------------------------------------------------------------------


@demo_loader(order=40)
def load_demo(stdout: TextIO | None = None) -> None:
    """Load the taxonomy, the demo routing rules and rights, and (once) a year of demo events."""
    # The taxonomy comes with a migration; a test that flushed the database removed it.
    from pingan.events.models import KeywordRule
    from pingan.events.taxonomy import load_taxonomy

    load_taxonomy(Category, KeywordRule)
    load_demo_routing()
    set_centre_staff_permissions(CENTRE_STAFF_PERMISSIONS)
    # A year of events (once: nothing is added when demo events exist).
    added = load_demo_events(demo_event_count())
    if added and stdout is not None:
        stdout.write(translation.gettext("Added %(count)d demo events.") % {"count": added} + "\n")


def demo_event_count() -> int:
    """Return how many events ``load_demo()`` adds: ``PINGAN_DEMO_EVENTS`` (default 3,000)."""
    return max(int(getattr(settings, "PINGAN_DEMO_EVENTS", DEMO_EVENT_COUNT)), 0)


def load_demo_events(
    count: int = DEMO_EVENT_COUNT, *, seed: int = DEMO_SEED, now: dt.datetime | None = None
) -> int:
    """Add about ``count`` demo events over the twelve months before ``now``; return how many.

    Idempotent: when demo events exist already, add nothing. The same ``seed`` and ``now`` give
    the same events. Needs the demo county (``pingan.geo.demo.load_demo``).
    """
    if count <= 0 or Event.objects.filter(is_demo=True).exists():
        return 0
    personas = User.objects.filter(username__in=PERSONAS, is_demo=True, is_active=True)
    if personas.count() < len(PERSONAS):
        logger.warning("demo events skipped: the demo accounts %s are missing", ", ".join(PERSONAS))
        return 0
    now = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(seed)  # noqa: S311 -- invented data, not secrets
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        load_demo_terminals()
        world = World(now, rng)
        teller = Teller(world)
        stories: list[Story] = []
        wanted_duplicates = count // 40
        while len(stories) < count - wanted_duplicates:
            plan = draw_plan(rng)
            story = teller.new_event(plan)
            teller.play(story, plan)
            stories.append(story)
        originals = list(stories)
        for _attempt in range(wanted_duplicates * 10):
            if len(stories) >= count:
                break
            duplicate = teller.duplicate(rng.choice(originals))
            if duplicate is not None:
                stories.append(duplicate)
        while len(stories) < count:
            plan = draw_plan(rng)
            story = teller.new_event(plan)
            teller.play(story, plan)
            stories.append(story)
        _write(world, stories)
    return len(stories)


def _number(stories: list[Story]) -> None:
    """Give each event its number, continuing the day's counter (``pingan.core.numbering``)."""
    keys = {f"{NUMBER_PREFIX}-{timezone.localdate(s.e.reported_at):%Y%m%d}": None for s in stories}
    rows = {
        row.key: row
        for row in NumberSequence.objects.select_for_update().filter(key__in=list(keys))
    }
    last = {key: row.last for key, row in rows.items()}
    for story in sorted(stories, key=lambda s: s.e.reported_at):
        key = f"{NUMBER_PREFIX}-{timezone.localdate(story.e.reported_at):%Y%m%d}"
        last[key] = last.get(key, 0) + 1
        story.e.number = f"{key}-{last[key]:04d}"
    for key, row in rows.items():
        row.last = last[key]
    NumberSequence.objects.bulk_update(rows.values(), ["last"], batch_size=500)
    NumberSequence.objects.bulk_create(
        [NumberSequence(key=key, last=value) for key, value in last.items() if key not in rows],
        batch_size=500,
    )


def _write(world: World, stories: list[Story]) -> None:
    """Write the played stories: events, timelines, parts, requests, deadlines, records."""
    _number(stories)
    # Merged events point at their survivor: write the survivors first.
    merged = [s for s in stories if s.merge_into is not None]
    Event.objects.bulk_create([s.e for s in stories if s.merge_into is None], batch_size=500)
    for story in merged:
        story.e.merged_into = story.merge_into.e
    Event.objects.bulk_create([s.e for s in merged], batch_size=500)
    logs: list[EventLog] = []
    for story in stories:
        story.logs.sort(key=lambda entry: entry.at)
        logs += story.logs
        for entry, other, key, attribute in story.refs:
            entry.data[key] = getattr(other.e, attribute)
    EventLog.objects.bulk_create(logs, batch_size=1000)
    # auto_now stamped the load time: an event was last updated at its last timeline entry.
    last_entry = EventLog.objects.filter(event=OuterRef("pk")).order_by("-at").values("at")[:1]
    Event.objects.filter(pk__in=[s.e.pk for s in stories]).update(updated_at=Subquery(last_entry))
    Assignment.objects.bulk_create([a for s in stories for a in s.assignments], batch_size=1000)
    Request.objects.bulk_create([r for s in stories for r in s.requests], batch_size=500)
    Message.objects.bulk_create([m for s in stories for m in s.messages], batch_size=500)
    event_type = ContentType.objects.get_for_model(Event)
    records = []
    for s in stories:
        for r in s.records:  # the event had no id when its story held it against a department
            r.content_type, r.object_id, r.number, r.handler = (
                event_type,
                s.e.pk,
                s.e.number,
                HANDLER,
            )
            records.append(r)
    AccountabilityRecord.objects.bulk_create(records, batch_size=500)
    Event.followers.through.objects.bulk_create(
        [
            Event.followers.through(event_id=s.e.pk, user_id=user.pk)
            for s in stories
            for user in s.followers
        ],
        batch_size=500,
    )
    Deadline.objects.bulk_create(_deadlines(world, stories), batch_size=1000)
    _attach_photos(stories)


def _deadlines(world: World, stories: list[Story]) -> list[Deadline]:
    """Return the open deadlines of the open events, their past hooks marked fired."""
    content_type = ContentType.objects.get_for_model(Event)
    rows = []
    for story in stories:
        for clock in story.clocks.values():
            warn = story.warn(clock)
            limit = clock.paused_at or world.now
            moment = max(warn, clock.opened)
            warned = None
            if moment <= limit:
                warned = min(moment + dt.timedelta(seconds=clock.lag), limit)
                if clock.overdue_at is not None:
                    warned = min(warned, clock.overdue_at)
            rows.append(
                Deadline(
                    content_type=content_type,
                    object_id=story.e.pk,
                    handler=HANDLER,
                    kind=clock.kind,
                    unit=clock.unit,
                    amount=clock.amount,
                    starts_at=clock.start,
                    warn_at=warn,
                    due_at=clock.due,
                    warned_at=warned,
                    overdue_at=clock.overdue_at,
                    paused_at=clock.paused_at,
                    paused_total=clock.paused_total,
                    county_code=story.e.county_code,
                )
            )
    return rows


# Photos: a few pictures drawn once and shared by the demo events (stage: sky, ground colours).
PHOTO_LOOKS = {
    Attachment.Stage.REPORT: [((176, 190, 197), (121, 85, 72)), ((207, 216, 220), (93, 64, 55))],
    Attachment.Stage.RESOLUTION: [
        ((144, 202, 249), (104, 159, 56)),
        ((187, 222, 251), (67, 160, 71)),
    ],
}


def _demo_photos() -> dict[str, list[tuple[str, str, int]]]:
    """Return {stage: [(file, thumbnail, size)]}, drawing the demo pictures on first use."""
    from PIL import Image, ImageDraw

    photos: dict[str, list[tuple[str, str, int]]] = {}
    for stage, looks in PHOTO_LOOKS.items():
        for index, (sky, ground) in enumerate(looks, start=1):
            name = f"events/demo/{stage}-{index}.jpg"
            thumb = f"events/demo/{stage}-{index}-thumb.jpg"
            if not default_storage.exists(name):
                image = Image.new("RGB", (960, 720), sky)
                draw = ImageDraw.Draw(image)
                draw.rectangle((0, 430, 960, 720), fill=ground)
                draw.polygon([(120, 430), (420, 180), (720, 430)], fill=(158, 158, 158))
                draw.rectangle((40, 40, 330, 100), fill=(255, 255, 255))
                draw.text((60, 55), f"DEMO {stage.upper()}", fill=(33, 33, 33))
                for target, size in ((name, None), (thumb, (320, 240))):
                    out = io.BytesIO()
                    (image.resize(size) if size else image).save(out, "JPEG", quality=75)
                    default_storage.save(target, ContentFile(out.getvalue()))
            photos.setdefault(stage, []).append((name, thumb, default_storage.size(name)))
    return photos


def _attach_photos(stories: list[Story]) -> None:
    wanted = [(s, stage, entry, user) for s in stories for stage, entry, user in s.photos]
    if not wanted:
        return
    photos = _demo_photos()
    rows = []
    for index, (story, stage, entry, user) in enumerate(wanted):
        name, thumb, size = photos[stage][index % len(photos[stage])]
        rows.append(
            Attachment(
                event=story.e,
                log=entry if entry.pk else None,
                stage=stage,
                file=name,
                thumbnail=thumb,
                original_name="现场照片.jpg",
                content_type="image/jpeg",
                size=size,
                uploaded_by=user,
            )
        )
    Attachment.objects.bulk_create(rows, batch_size=1000)
    # auto_now_add stamped the load time: a photo was uploaded with its timeline entry.
    entry_at = EventLog.objects.filter(pk=OuterRef("log_id")).values("at")[:1]
    Attachment.objects.filter(pk__in=[row.pk for row in rows], log__isnull=False).update(
        uploaded_at=Subquery(entry_at)
    )
