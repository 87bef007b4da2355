"""Routing rules: the most specific rule wins; ties and gaps go to the centre covering the place.

The demo county routes every minor category to a county department, and public-security
matters (1001, 0901) in each township to the township's police station first.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from pingan.accounts.models import Department
from pingan.events import routing
from pingan.events.models import Category, Event, RoutingRule
from pingan.events.tests.conftest import (
    COUNTY,
    GRID02,
    TOWNSHIP01,
    TRANSPORT,
    VILLAGE01,
    event_in,
    grid_point,
    move,
    report,
)
from pingan.geo.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


@pytest.fixture
def new_minor():
    """A new minor category of 02 (挡墙与地质灾害) that no rule mentions yet."""
    return Category.objects.create(code="0209", name="其他地质隐患", parent=category("02"))


def rule(category_code: str | None, region_code: str | None, department_code: str, **kw):
    return RoutingRule.objects.create(
        category=category(category_code) if category_code else None,
        region=region(region_code) if region_code else None,
        department=department(department_code),
        **kw,
    )


def test_a_township_rule_beats_the_county_rule_for_the_same_category():
    route = routing.route(category("1001"), region(VILLAGE01))
    assert route.department.code == "513999001-police"
    assert route.rule.region.code == TOWNSHIP01
    assert route.department.name in route.reason and "most specific" in route.reason


def test_a_report_is_dispatched_to_the_department_of_the_winning_rule():
    event = report("grid01", category="1001", description="夜间有人聚集滋事")
    assert event.status == Event.Status.DISPATCHED
    assert event.department.code == "513999001-police"
    assert event.routing_rule.region.code == TOWNSHIP01
    dispatch = event.timeline.get(action="dispatch")
    assert dispatch.actor is None and dispatch.data["automatic"] is True
    assert event.department.name in dispatch.note


def test_a_deeper_region_beats_a_more_specific_category(new_minor):
    rule(None, TOWNSHIP01, "513999-emergency")
    route = routing.route(category("0201"), region(VILLAGE01))
    assert route.department.code == "513999-emergency"
    # Elsewhere in the county the minor category's own rule still applies.
    assert routing.route(category("0201"), region("513999002")).department.code == TRANSPORT


def test_a_minor_category_rule_beats_its_major_which_beats_every_category(new_minor):
    rule(None, COUNTY, "513999-petition")
    assert routing.route(new_minor, region(VILLAGE01)).department.code == "513999-petition"
    rule("02", COUNTY, "513999-emergency")
    assert routing.route(new_minor, region(VILLAGE01)).department.code == "513999-emergency"
    rule("0209", COUNTY, "513999-natural-resources")
    route = routing.route(new_minor, region(VILLAGE01))
    assert route.department.code == "513999-natural-resources"
    assert [r.department.code for r in routing.matching_rules(new_minor, region(VILLAGE01))] == [
        "513999-natural-resources",
        "513999-emergency",
        "513999-petition",
    ]


def test_equally_specific_rules_naming_different_departments_go_to_the_centre_with_a_reason():
    rule("0201", COUNTY, "513999-emergency")
    route = routing.route(category("0201"), region(VILLAGE01))
    assert route.department is None and route.rule is None
    assert route.centre.code == "513999001-center"
    assert "Equally specific" in route.reason
    assert department(TRANSPORT).name in route.reason
    assert department("513999-emergency").name in route.reason


def test_a_tied_report_waits_in_the_township_centres_queue():
    rule("0201", COUNTY, "513999-emergency")
    event = report("grid01")
    assert event.status == Event.Status.REPORTED and event.department is None
    assert event.centre.code == "513999001-center"
    assert "Equally specific" in event.timeline.get(action="report").data["route"]


def test_without_a_rule_the_nearest_centre_decides_village_then_township_then_county(new_minor):
    village = region(VILLAGE01)
    route = routing.route(new_minor, village)
    assert route.department is None and "No routing rule" in route.reason
    assert route.centre.code == "513999001-center"
    assert routing.route(new_minor, region(COUNTY)).centre.code == "513999-center"

    Department.objects.create(
        code=f"{VILLAGE01}-center", name="南门社区综治中心", kind="center", region=village
    )
    assert routing.route(new_minor, village).centre.code == f"{VILLAGE01}-center"
    assert routing.route(new_minor, region(TOWNSHIP01)).centre.code == "513999001-center"


def test_an_unclassified_report_goes_to_the_centre_to_classify():
    route = routing.route(None, region(VILLAGE01))
    assert route.department is None and route.centre.code == "513999001-center"
    assert "No category" in route.reason


def test_inactive_rules_are_ignored():
    RoutingRule.objects.filter(category__code="1001", region__code=TOWNSHIP01).update(
        is_active=False
    )
    assert routing.route(category("1001"), region(VILLAGE01)).department.code == "513999-police"


def test_rules_of_inactive_departments_are_ignored():
    # save(), as the admin does: a queryset update() would bypass the rule cache's signals.
    for dept in Department.objects.filter(code="513999001-police"):
        dept.is_active = False
        dept.save()
    assert routing.route(category("1001"), region(VILLAGE01)).department.code == "513999-police"
    for dept in Department.objects.filter(code="513999-police"):
        dept.is_active = False
        dept.save()
    route = routing.route(category("1001"), region(VILLAGE01))
    assert route.department is None and route.centre.code == "513999001-center"


def test_an_inactive_centre_hands_its_queue_to_the_centre_above():
    routing.centre_for(region(VILLAGE01))  # cached before the change: the save must refresh it
    centre = Department.objects.get(code="513999001-center")
    centre.is_active = False
    centre.save()
    assert routing.centre_for(region(VILLAGE01)).code == "513999-center"


def test_changing_the_category_after_dispatch_reroutes_to_the_new_department():
    event = event_in(Event.Status.SIGNED)
    assert event.department.code == TRANSPORT

    move(event, "update", "center", category="0202", note="实为滑坡隐患")

    assert event.department.code == "513999-natural-resources"
    assert event.status == Event.Status.DISPATCHED and event.signed_at is None
    assert event.category_source == Event.CategorySource.PERSON
    reroute = event.timeline.get(action="reroute")
    assert reroute.department.code == "513999-natural-resources"
    assert (reroute.from_status, reroute.to_status) == ("signed", "dispatched")
    assert reroute.actor.username == "center"
    assert list(
        event.assignments.filter(ended_at__isnull=True).values_list("department__code", "role")
    ) == [("513999-natural-resources", "lead")]


def test_changing_the_place_after_dispatch_reroutes_to_the_police_station_there():
    event = report("grid01", category="1001", description="夜间有人聚集滋事")
    assert event.department.code == "513999001-police"
    lng, lat = grid_point(GRID02)

    move(event, "update", "center", lng=lng, lat=lat, note="位置更正")

    assert event.grid.code == GRID02 and event.township.code == "513999002"
    assert event.centre.code == "513999002-center"
    assert event.department.code == "513999002-police"
    assert [e.action for e in event.timeline.all()][-2:] == ["relocate", "reroute"]


def test_a_correction_that_keeps_the_department_does_not_redispatch():
    event = event_in(Event.Status.SIGNED)
    move(event, "update", "center", category="0101", note="归为道路类")  # also transport
    assert event.status == Event.Status.SIGNED and event.department.code == TRANSPORT
    assert not event.timeline.filter(action="reroute").exists()
    assert event.timeline.filter(action="classify").exists()
