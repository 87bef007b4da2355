"""Intake systems (sensors, other platforms) report through the API with their own key."""

from __future__ import annotations

import datetime as dt
import hashlib
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from shapely.geometry import shape

from pingan.events.models import Event, IntakeSystem
from pingan.events.systems import create_system, rotate_key
from pingan.geo.models import Grid, Region

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
GRID01 = "513999001001001"


@pytest.fixture
def county():
    return Region.objects.get(code="513999")


@pytest.fixture
def system(county):
    return create_system("地灾监测平台", county)


def keyed(key: str, *, header: str = "authorization") -> APIClient:
    api = APIClient()
    if header == "authorization":
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    else:
        api.credentials(HTTP_X_API_KEY=key)
    return api


def sensor_report(api, **extra):
    point = shape(Grid.objects.get(code=GRID01).geometry).representative_point()
    body = {
        "description": "位移监测点 M-07 报警：挡墙位移超过阈值",
        "category": "0201",
        "lng": point.x,
        "lat": point.y,
        **extra,
    }
    return api.post(EVENTS, body, format="json")


def test_create_system_makes_an_account_without_password_or_role_and_a_hashed_key(county):
    system, key = create_system("Water level sensors", county)
    assert key.startswith("pingan_") and len(key) > 40
    assert system.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert system.key_prefix == key[:12]
    assert key not in (system.key_hash, system.key_prefix)
    user = system.user
    assert user.username == "system-water-level-sensors"
    assert not user.has_usable_password()
    assert not user.memberships.exists()
    assert system.region == county


def test_system_names_in_chinese_still_make_unique_usernames(county):
    first, _ = create_system("水位传感器", county)
    second, _ = create_system("水位传感器二号", county)
    assert first.user.username.startswith("system-")
    assert second.user.username.startswith("system-")
    assert first.user.username != second.user.username


def test_a_system_reports_with_its_key_as_channel_system(system):
    intake, key = system
    response = sensor_report(keyed(key))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "system"
    assert body["status"] == "dispatched"
    assert body["department"]["code"] == "513999-transport"
    event = Event.objects.get(pk=body["id"])
    assert event.reporter == intake.user
    # The system sees its own reports, and only them.
    api = keyed(key, header="x-api-key")
    assert api.get(f"{EVENTS}{body['id']}/").status_code == 200
    ids = {row["id"] for row in api.get(EVENTS).json()["results"]}
    assert ids == {body["id"]}


def test_a_system_cannot_report_through_another_channel(system):
    _intake, key = system
    response = sensor_report(keyed(key), channel="hotline")
    assert response.status_code == 400 and "channel" in response.json()


def test_an_unlocatable_sensor_report_goes_to_the_systems_county_centre(system):
    _intake, key = system
    body = keyed(key).post(EVENTS, {"description": "信号异常", "lng": 80, "lat": 30}).json()
    assert body["located_by"] == "none"
    assert body["centre"]["code"] == "513999-center"


@pytest.mark.parametrize(
    "credentials",
    [
        {"HTTP_AUTHORIZATION": "Api-Key pingan_wrong-key-wrong-key-wrong-key-wrong"},
        {"HTTP_AUTHORIZATION": "Api-Key"},
        {"HTTP_AUTHORIZATION": "Api-Key two parts"},
        {"HTTP_X_API_KEY": "not-a-key"},
    ],
)
def test_a_wrong_key_answers_401_and_creates_nothing(system, credentials):
    count = Event.objects.count()
    api = APIClient()
    api.credentials(**credentials)
    response = sensor_report(api)
    assert response.status_code == 401
    assert Event.objects.count() == count


def test_a_deactivated_system_gets_401(system):
    intake, key = system
    IntakeSystem.objects.filter(pk=intake.pk).update(is_active=False)
    assert sensor_report(keyed(key)).status_code == 401
    assert keyed(key).get(EVENTS).status_code == 401


def test_a_rotated_key_replaces_the_old_one(system):
    intake, old = system
    new = rotate_key(intake)
    assert new != old
    assert sensor_report(keyed(old)).status_code == 401
    assert sensor_report(keyed(new)).status_code == 201


def test_client_keys_are_idempotent_per_system(county, system):
    _intake, key = system
    first = sensor_report(keyed(key), client_key="M-07-20260316-1114")
    again = sensor_report(keyed(key), client_key="M-07-20260316-1114")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    _other, other_key = create_system("气象站", county)
    elsewhere = sensor_report(keyed(other_key), client_key="M-07-20260316-1114")
    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first.json()["id"]


def test_last_used_is_written_at_most_once_a_minute(system):
    intake, key = system
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        keyed(key).get(EVENTS)
    intake.refresh_from_db()
    assert intake.last_used_at == start
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(seconds=30)):
        keyed(key).get(EVENTS)
    intake.refresh_from_db()
    assert intake.last_used_at == start
    later = start + dt.timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        keyed(key).get(EVENTS)
    intake.refresh_from_db()
    assert intake.last_used_at == later


def test_token_users_are_not_affected_by_the_api_key_scheme(api_as):
    assert api_as("center").get(EVENTS).status_code == 200
