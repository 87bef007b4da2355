"""Input built to break things answers 4xx in the API's JSON shape, never a 500.

Deeply nested JSON, bodies over Django's size limit, ids beyond 64 bits: on every API view
(they share one parser and one exception handler) and on the pages that read an id.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import translation
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from pingan.core import safe_json
from pingan.core.ids import MAX_ID, as_id
from pingan.core.parsers import JSONParser

pytestmark = pytest.mark.django_db

BEYOND_64_BITS = str(2**63)
NESTED = "[" * 1000 + "]" * 1000  # about 2 kB: RecursionError in Python's parser


def nested_object(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


# --- deep JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [NESTED, nested_object(900), nested_object(100)], ids=len)
def test_deeply_nested_json_to_the_anonymous_token_endpoint_is_a_400(body):
    response = APIClient().post("/api/v1/auth/token", data=body, content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_deeply_nested_json_to_a_signed_in_endpoint_is_a_400(api_as):
    api = api_as("center")
    response = api.post("/api/v1/events/", data=NESTED, content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_json_as_deep_as_a_geojson_multipolygon_still_parses():
    polygon = {"type": "MultiPolygon", "coordinates": [[[[104.0, 30.0], [104.1, 30.0]]]]}
    collection = {"type": "FeatureCollection", "features": [{"geometry": polygon}]}

    assert safe_json.loads(json.dumps(collection)) == collection


def test_every_api_view_reads_json_with_the_projects_parser():
    # The parser is the default; a view that names its own parsers must keep it.
    assert api_settings.DEFAULT_PARSER_CLASSES[0] is JSONParser
    seen = 0
    for pattern in get_resolver().url_patterns:
        if not isinstance(pattern, URLResolver) or not str(pattern.pattern).startswith("api/v1"):
            continue
        for entry in pattern.url_patterns:
            view = getattr(entry.callback, "cls", None)
            if view is None:
                continue
            seen += 1
            parsers = view.parser_classes
            assert any(issubclass(p, JSONParser) for p in parsers), view
            assert not any(
                p.media_type == "application/json" and not issubclass(p, JSONParser)
                for p in parsers
            ), view
    assert seen > 10


# --- size ---------------------------------------------------------------------------------------


def test_a_json_body_over_the_upload_limit_answers_413_in_json(settings, api_as):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"description": "挡墙" * 1000})

    response = api_as("grid01").post("/api/v1/events/", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_form_body_over_the_upload_limit_answers_413_in_json(settings, api_as):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_as("grid01").post(
        "/api/v1/events/", {"description": "挡墙" * 1000}, format="multipart"
    )

    assert response.status_code == 413
    assert "detail" in response.json()


def test_an_anonymous_body_over_the_limit_answers_413_in_json(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"username": "center", "password": "x" * 200})

    response = APIClient().post("/api/v1/auth/token", data=body, content_type="application/json")

    assert response.status_code == 413
    assert "detail" in response.json()


# --- ids beyond 64 bits -----------------------------------------------------------------------


def test_an_id_filter_beyond_64_bits_is_a_400_naming_the_filter(api_as):
    response = api_as("center").get(f"/api/v1/events/?department={BEYOND_64_BITS}")

    assert response.status_code == 400
    assert "department" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/?page={n}",
        "/api/v1/events/?reported_after=0001-01-01&reported_before=9999-12-31",
        "/api/v1/events/?page_size={n}",
        "/api/v1/events/?grid={n}",
        "/api/v1/events/?category={n}",
        "/api/v1/events/?region={n}",
        "/api/v1/events/{n}/",
        "/api/v1/residents/?grid={n}&page={n}",
        "/api/v1/residents/{n}/",
        "/api/v1/grids/?region={n}",
        "/api/v1/grids/{n}/",
        "/api/v1/regions/?parent={n}",
        "/api/v1/departments/?region={n}",
        "/api/v1/departments/{n}/",
        "/api/v1/reminders/?page={n}",
        "/api/v1/reminders/{n}/",
    ],
)
def test_no_api_read_with_an_id_beyond_64_bits_or_a_day_at_the_calendars_end_fails(api_as, url):
    response = api_as("center").get(url.format(n=BEYOND_64_BITS))

    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "url",
    [
        "/events/?department={n}",
        "/events/?page={n}",
        "/events/?reported_after=0001-01-01&reported_before=9999-12-31",
        "/events/?grid={n}",
        "/events/{n}/",
        "/events/export/?department={n}",
        "/events/inbox/?department={n}&page={n}",
        "/events/departments/{n}/",
        "/events/overdue/?department={n}&township={n}",
        "/events/routing/?department={n}&page={n}",
        "/map/?grid={n}",
        "/map/?grid=²",
        "/regions/?page={n}",
        "/grids/?page={n}&region={n}",
        "/people/?page={n}&grid={n}",
        "/people/{n}/",
        "/people/groups/?grid={n}",
        "/people/groups/pick/members/?group={n}&grid={n}&members={n}",
        "/people/groups/pick/head/?group=²&grid=²&head=²",
        "/notifications/?page={n}",
        "/jobs/{n}/",
        "/reminders/{n}/",
    ],
)
def test_no_page_with_an_id_beyond_64_bits_or_a_day_at_the_calendars_end_fails(client_as, url):
    client: Client = client_as("center")

    response = client.get(url.format(n=BEYOND_64_BITS))

    assert response.status_code < 500


def test_an_id_is_a_whole_number_from_1_to_2_to_the_63rd_minus_1():
    assert as_id("42") == 42
    assert as_id(7) == 7
    assert as_id(str(MAX_ID)) == MAX_ID
    for bad in [BEYOND_64_BITS, "0", "-1", "1.5", "²", "１２", "", None, True, 2**64, "1e3"]:
        assert as_id(bad) is None, bad


# --- sizes and text through the API -----------------------------------------------------------

EVENTS = "/api/v1/events/"
WALL = {"description": "挡墙裂缝", "village": "513999001001"}


def test_a_description_over_4000_characters_is_a_chinese_field_error(api_as):
    api = api_as("grid01")
    with translation.override("zh-hans"):
        response = api.post(
            EVENTS,
            {**WALL, "description": "裂" * 4001},
            format="json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    assert response.status_code == 400
    [message] = response.json()["description"]
    assert "4000" in message and "字符" in message


@pytest.mark.parametrize("field", ["title", "address", "reporter_name"])
def test_a_line_over_its_length_is_a_field_error(api_as, field):
    response = api_as("center").post(
        EVENTS, {**WALL, "channel": "hotline", field: "长" * 300}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_a_note_over_its_length_is_a_field_error_and_changes_nothing(api_as):
    api = api_as("grid01")
    event = api.post(EVENTS, WALL, format="json").json()

    response = api.post(
        f"{EVENTS}{event['id']}/actions/", {"action": "message", "note": "话" * 2001}, format="json"
    )

    assert response.status_code == 400
    assert "note" in response.json()


def test_invisible_characters_are_stripped_from_a_reports_title_and_description(api_as):
    response = api_as("grid01").post(
        EVENTS,
        {
            **WALL,
            "title": "\u202e挡墙\u200b裂缝\x01",
            "description": "后山\u2066挡墙\ufeff\x0b裂缝\n有垮塌危险",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "挡墙裂缝"
    assert body["description"] == "后山挡墙裂缝\n有垮塌危险"


@pytest.mark.parametrize(
    ("lng", "lat"), [(True, 30.0), (102.5, True), (False, False), ("NaN", 30.0), (102.5, "inf")]
)
def test_a_boolean_or_non_finite_coordinate_is_refused(api_as, lng, lat):
    response = api_as("grid01").post(
        EVENTS, {"description": "路灯坏了", "lng": lng, "lat": lat}, format="json"
    )

    assert response.status_code == 400
    assert {"lng", "lat"} & set(response.json())


def test_locate_refuses_a_boolean_coordinate(api_as):
    response = api_as("center").get("/api/v1/grids/locate/?lng=true&lat=30")

    assert response.status_code == 400
