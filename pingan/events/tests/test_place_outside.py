"""A report whose position lies outside the county: kept, and the reporter told at once.

On every intake channel (the phone page, the hotline page, the one-key call, the API) the report
is filed whatever its point: with a chosen village the village wins and the point is kept as
data; without one it waits unlocated for the county centre. The reporter is warned on the
answer page and in the API's answer, and the maps fit the county, not the far point.
"""

from __future__ import annotations

import uuid

import pytest
import shapely
from django.contrib import messages
from django.urls import reverse
from django.utils import translation

from pingan.events import services
from pingan.events.intake_warnings import POINT_OUTSIDE, intake_warnings
from pingan.events.models import CallTerminal, Event
from pingan.events.tests.conftest import (
    COUNTY,
    GRID01,
    OUTSIDE,
    VILLAGE01,
    get_user,
    grid_point,
    near_county_point,
    report,
)
from pingan.geo import geometry
from pingan.geo.models import Region

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
WARNING_ZH = "不在本县范围内"


def county_bbox() -> list[float]:
    bounds = geometry.parse_polygon(Region.objects.get(code=COUNTY).boundary).bounds
    return [round(value, 5) for value in bounds]


def warnings_shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == messages.WARNING]


# --- intake ------------------------------------------------------------------------------------


def test_a_point_outside_the_county_is_kept_and_the_reporter_warned():
    event = report("grid01", where=OUTSIDE)
    assert event.located_by == Event.LocatedBy.NONE and event.region.code == COUNTY
    assert (event.lng, event.lat) == OUTSIDE
    with translation.override("en"):
        [warning] = intake_warnings(event)
    assert warning["code"] == POINT_OUTSIDE
    assert "90.00000, 20.00000" in warning["message"]
    assert "county centre" in warning["message"]


def test_with_a_village_chosen_the_village_wins_and_the_far_point_is_kept_as_data():
    event = report("grid01", where=OUTSIDE, village=VILLAGE01)
    assert event.located_by == Event.LocatedBy.VILLAGE and event.region.code == VILLAGE01
    assert event.status == Event.Status.DISPATCHED  # routed like any report of the village
    assert (event.lng, event.lat) == OUTSIDE
    with translation.override("en"):
        [warning] = intake_warnings(event)
    assert warning["code"] == POINT_OUTSIDE and "chosen village" in warning["message"]


def test_the_report_entry_keeps_the_point_as_it_was_sent():
    event = report("grid01", where=OUTSIDE)
    entry = event.timeline.get(action="report")
    assert entry.data["point"] == list(OUTSIDE)
    assert entry.data["warnings"] == [POINT_OUTSIDE]


@pytest.mark.parametrize("where", ["grid", "near the border", "none"])
def test_a_point_the_county_can_place_brings_no_warning(where):
    if where == "grid":
        event = report("grid01", where=GRID01)
    elif where == "near the border":
        event = report("grid01", where=near_county_point())
    else:
        event = report("grid01", where=None, village=VILLAGE01)
    assert intake_warnings(event) == []
    assert "warnings" not in event.timeline.get(action="report").data


def test_a_one_key_terminal_registered_outside_the_county_is_filed_and_warned():
    terminal = CallTerminal(
        name="杨大爷", address="南门社区3栋", village=Region.objects.get(code=VILLAGE01)
    )
    terminal.set_phone("13912340000")
    terminal.lng, terminal.lat = OUTSIDE
    terminal.save()
    event, created = services.report_one_key_call(
        acting_user=get_user("center"), phone="13912340000"
    )
    assert created and event.region.code == COUNTY
    assert [w["code"] for w in intake_warnings(event)] == [POINT_OUTSIDE]


def test_placing_the_report_by_village_keeps_the_reporters_point():
    event = report("grid01", where=OUTSIDE)
    services.perform(
        event.pk, "update", acting_user=get_user("center"), village=VILLAGE01, note="电话核实"
    )
    event.refresh_from_db()
    assert event.region.code == VILLAGE01 and event.located_by == Event.LocatedBy.VILLAGE
    assert (event.lng, event.lat) == OUTSIDE


def test_moving_the_report_to_a_new_point_records_the_old_one():
    event = report("grid01", where=OUTSIDE)
    lng, lat = grid_point(GRID01)
    services.perform(event.pk, "update", acting_user=get_user("center"), lng=lng, lat=lat)
    event.refresh_from_db()
    assert event.grid.code == GRID01
    assert event.timeline.get(action="relocate").data["from_point"] == list(OUTSIDE)


# --- the pages ----------------------------------------------------------------------------------


def phone_report(client, **place):
    data = {
        "description": "后山挡墙出现裂缝",
        "channel": "grid_worker",
        "client_key": uuid.uuid4().hex,
        **place,
    }
    return client.post(reverse("events:report"), data, follow=True)


def test_the_phone_report_page_warns_the_grid_worker_of_a_point_outside_the_county(client_as):
    response = phone_report(client_as("grid01"), lng=OUTSIDE[0], lat=OUTSIDE[1])
    event = Event.objects.get(description="后山挡墙出现裂缝")
    assert response.redirect_chain[-1][0] == event.get_absolute_url()
    [warning] = warnings_shown(response)
    assert WARNING_ZH in warning and "县综治中心" in warning
    assert 'id="event-point-outside"' in response.content.decode()


def test_the_phone_report_page_warns_again_for_a_repeated_submit(client_as):
    client = client_as("grid01")
    key = uuid.uuid4().hex
    phone_report(client, lng=OUTSIDE[0], lat=OUTSIDE[1], client_key=key)
    again = phone_report(client, lng=OUTSIDE[0], lat=OUTSIDE[1], client_key=key)
    assert Event.objects.filter(description="后山挡墙出现裂缝").count() == 1
    assert len(warnings_shown(again)) == 1


def test_the_phone_report_page_says_nothing_more_for_a_point_in_a_grid(client_as):
    lng, lat = grid_point(GRID01)
    response = phone_report(client_as("grid01"), lng=lng, lat=lat)
    assert warnings_shown(response) == []
    assert 'id="event-point-outside"' not in response.content.decode()


def test_the_report_page_knows_the_county_so_the_phone_warns_before_sending(client_as):
    response = client_as("grid01").get(reverse("events:report"))
    check = response.context["place_check"]
    outline = shapely.geometry.shape(check["outline"])
    assert outline.contains(shapely.Point(*grid_point(GRID01)))
    assert not outline.contains(shapely.Point(*OUTSIDE))
    text = response.content.decode()
    assert 'data-place-check="report-place-check"' in text
    assert 'id="report-place-check"' in text and 'id="place-warning"' in text
    assert "定位点不在本县范围内：请确认或选择所在村（社区）" in text


def test_the_hotline_page_warns_the_centre_of_a_point_outside_the_county(client_as):
    client = client_as("center")
    page = client.get(reverse("events:hotline"))
    assert page.context["place_check"]["bbox"] == county_bbox()
    response = client.post(
        reverse("events:hotline"),
        {
            "channel": "hotline",
            "description": "来电反映路面塌陷",
            "lng": "20.0",  # longitude and latitude swapped
            "lat": "90.0",
            "client_key": uuid.uuid4().hex,
        },
        follow=True,
    )
    assert Event.objects.filter(description="来电反映路面塌陷").exists()
    [warning] = warnings_shown(response)
    assert WARNING_ZH in warning


def test_the_one_key_page_warns_of_a_terminal_outside_the_county(client_as):
    terminal = CallTerminal(
        name="李奶奶", address="南门社区5栋", village=Region.objects.get(code=VILLAGE01)
    )
    terminal.set_phone("13700000009")
    terminal.lng, terminal.lat = OUTSIDE
    terminal.save()
    response = client_as("center").post(
        reverse("events:one_key"), {"phone": "13700000009"}, follow=True
    )
    [warning] = warnings_shown(response)
    assert WARNING_ZH in warning


# --- the API ------------------------------------------------------------------------------------


def api_report(api, **fields):
    return api.post(EVENTS, {"description": "挡墙裂缝", **fields}, format="json")


def test_the_api_answer_carries_the_warning_of_a_point_outside_the_county(api_as):
    response = api_report(api_as("grid01"), lng=OUTSIDE[0], lat=OUTSIDE[1])
    assert response.status_code == 201
    body = response.json()
    assert body["located_by"] == "none" and body["status"] == "reported"
    [warning] = body["warnings"]
    assert warning["code"] == "point_outside" and WARNING_ZH in warning["message"]


def test_the_api_answer_to_a_repeated_key_carries_the_warning_again(api_as):
    api = api_as("grid01")
    api_report(api, lng=OUTSIDE[0], lat=OUTSIDE[1], client_key="gps-far-1")
    again = api_report(api, lng=OUTSIDE[0], lat=OUTSIDE[1], client_key="gps-far-1")
    assert again.status_code == 200
    assert [w["code"] for w in again.json()["warnings"]] == ["point_outside"]


def test_the_api_answer_of_an_ordinary_report_has_no_warnings(api_as):
    lng, lat = grid_point(GRID01)
    body = api_report(api_as("grid01"), lng=lng, lat=lat).json()
    assert body["warnings"] == []


def test_the_api_answer_with_a_village_says_the_village_placed_it(api_as):
    body = api_report(api_as("grid01"), lng=OUTSIDE[0], lat=OUTSIDE[1], village=VILLAGE01).json()
    assert body["located_by"] == "village" and body["region"]["code"] == VILLAGE01
    assert [w["code"] for w in body["warnings"]] == ["point_outside"]


def test_the_schema_documents_the_warnings(api_as):
    schema = api_as("center").get("/api/schema/", {"format": "json"}).json()
    event = schema["components"]["schemas"]["Event"]
    assert "warnings" in event["properties"]


# --- the maps -----------------------------------------------------------------------------------


def test_the_workbench_map_fits_the_county_and_flags_the_far_point(client_as):
    near = report("grid01", where=GRID01)
    far = report("grid01", where=OUTSIDE)
    response = client_as("center").get(reverse("events:workbench"), {"tab": "all", "view": "map"})
    config = response.context["map_config"]
    assert config["extent"] == county_bbox()
    flags = {p["number"]: p["outside"] for p in config["points"]}
    assert flags[near.number] is False and flags[far.number] is True
    text = response.content.decode()
    assert 'id="events-map-outside"' in text and far.number in text


def test_the_workbench_map_of_a_grid_worker_fits_their_village(client_as):
    report("grid01", where=GRID01)
    response = client_as("grid01").get(reverse("events:workbench"), {"tab": "all", "view": "map"})
    village = Region.objects.get(code=VILLAGE01)
    bounds = geometry.parse_polygon(village.boundary).bounds
    assert response.context["map_config"]["extent"] == [round(v, 5) for v in bounds]
    assert 'id="events-map-outside"' not in response.content.decode()


def test_the_event_map_shows_the_place_not_a_point_outside_the_county(client_as):
    far = report("grid01", where=OUTSIDE, village=VILLAGE01)
    config = client_as("center").get(far.get_absolute_url()).context["map_config"]
    assert config["pointOutside"] is True and config["extent"] == county_bbox()
    near = report("grid01", where=GRID01)
    assert (
        client_as("center").get(near.get_absolute_url()).context["map_config"]["pointOutside"]
        is False
    )


def test_the_grid_map_fits_the_users_area(client_as):
    config = client_as("center").get(reverse("geo:map")).context["config"]
    assert config["extent"] == county_bbox()
