"""Intake (``services.report_event``): idempotent, located, validated field by field, notified.

Bad input raises ``ValidationError`` naming the field and stores nothing: no event, no timeline
entry, no photo, no notification, no number used.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from pingan.core.models import NumberSequence
from pingan.events import services
from pingan.events.models import Attachment, CallTerminal, Event, EventLog
from pingan.events.tests.conftest import (
    COUNTY,
    GRID01,
    OUTSIDE,
    TRANSPORT,
    VILLAGE01,
    WALL_TEXT,
    bomb_upload,
    get_user,
    grid_point,
    near_county_point,
    pdf_upload,
    png_upload,
    report,
)
from pingan.geo.models import Region
from pingan.notify.models import Channel, Delivery, Notification

pytestmark = pytest.mark.django_db


def stored() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "timeline": EventLog.objects.count(),
        "attachments": Attachment.objects.count(),
        "notifications": Notification.objects.count(),
        "deliveries": Delivery.objects.count(),
        "numbers": sum(NumberSequence.objects.values_list("last", flat=True)),
    }


# --- idempotency ------------------------------------------------------------------------------


def test_a_repeated_client_key_returns_the_original_report_and_stores_nothing():
    first = report("grid01", client_key="phone-7f3a-0001")
    before = stored()
    again, created = services.report_event(
        acting_user=get_user("grid01"),
        description="又报了一次（网络重试）",
        channel="grid_worker",
        village=VILLAGE01,
        client_key="phone-7f3a-0001",
    )
    assert (again.pk, created) == (first.pk, False)
    assert stored() == before


def test_the_same_client_key_from_another_source_is_another_report():
    first = report("grid01", client_key="k-1")
    second = report("police01", client_key="k-1")
    assert second.pk != first.pk and second.number != first.number
    assert {first.source_key, second.source_key} == {
        f"user:{get_user('grid01').pk}",
        f"user:{get_user('police01').pk}",
    }


def test_reports_without_a_client_key_are_never_taken_for_repeats():
    assert report("grid01").pk != report("grid01").pk


def test_an_intake_systems_client_keys_are_its_own():
    from pingan.events.systems import create_system

    system, _key = create_system("示范县地质灾害监测平台", Region.objects.get(code=COUNTY))
    sensor = system.user
    first, created = services.report_event(
        acting_user=sensor,
        description="3号监测点位移超限",
        channel="system",
        category="0202",
        village=VILLAGE01,
        client_key="alarm-3-001",
    )
    assert created and first.source_key == f"system:{system.pk}"
    again, created = services.report_event(
        acting_user=sensor,
        description="3号监测点位移超限",
        channel="system",
        category="0202",
        village=VILLAGE01,
        client_key="alarm-3-001",
    )
    assert (again.pk, created) == (first.pk, False)
    assert report("grid01", client_key="alarm-3-001").pk != first.pk


def test_a_client_key_longer_than_64_characters_is_refused():
    with pytest.raises(ValidationError) as info:
        report("grid01", client_key="x" * 65)
    assert "client_key" in info.value.message_dict


# --- location ---------------------------------------------------------------------------------


def test_a_point_in_a_grid_is_located_to_that_grid():
    event = report("grid01", where=GRID01)
    assert event.located_by == Event.LocatedBy.GRID
    assert event.grid.code == GRID01 and event.region.code == VILLAGE01
    assert event.township.code == "513999001" and event.county_code == COUNTY
    assert event.centre.code == "513999001-center"
    assert event.path == event.region.path


def test_a_point_outside_every_grid_but_near_a_village_is_located_to_that_village():
    event = report("grid01", where=near_county_point())
    assert event.located_by == Event.LocatedBy.NEAREST
    assert event.grid is None and event.region.level == Region.Level.VILLAGE
    assert event.status == Event.Status.DISPATCHED and event.department.code == TRANSPORT


def test_a_chosen_village_locates_a_report_without_coordinates():
    event = report("center", where=None, village=VILLAGE01, channel="hotline")
    assert event.located_by == Event.LocatedBy.VILLAGE
    assert event.region.code == VILLAGE01 and event.grid is None
    assert (event.lng, event.lat) == (None, None)
    assert event.status == Event.Status.DISPATCHED


def test_coordinates_win_over_a_chosen_village():
    event = report("grid01", where=GRID01, village="513999002201")
    assert event.located_by == Event.LocatedBy.GRID and event.grid.code == GRID01


def test_a_point_outside_the_county_is_kept_unlocated_for_the_county_centre():
    event = report("grid01", where=OUTSIDE)
    assert event.located_by == Event.LocatedBy.NONE
    assert event.region.code == COUNTY and event.grid is None
    assert (event.lng, event.lat) == OUTSIDE
    assert event.status == Event.Status.REPORTED and event.department is None
    assert event.centre.code == "513999-center"
    assert event.category.code == "0201"  # classified, but a person decides where it goes
    assert Notification.objects.filter(recipient=get_user("center")).exists()


# --- bad input --------------------------------------------------------------------------------


def bad_photo():
    return SimpleUploadedFile("photo.png", b"this is not a picture", content_type="image/png")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("description", {"description": "   "}),
        ("location", {"where": None}),
        ("category", {"category": "9999"}),
        ("village", {"where": None, "village": "000000000000"}),
        ("lng", {"where": (200.0, 30.0)}),
        ("lng", {"where": None, "lng": "东经102", "lat": "30"}),
        ("reporter_phone", {"reporter_phone": "123"}),
        ("photos", {"photos": "bad"}),
        ("priority", {"priority": "whenever"}),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(field, kwargs):
    if kwargs.get("photos") == "bad":
        kwargs["photos"] = [png_upload(), bad_photo()]
    before = stored()
    with pytest.raises(ValidationError) as info:
        report("grid01", **kwargs)
    assert field in info.value.message_dict
    assert stored() == before


def test_every_bad_field_is_named_at_once():
    with pytest.raises(ValidationError) as info:
        report("grid01", description="", where=None, category="9999", photos=[bad_photo()])
    assert set(info.value.message_dict) == {"description", "location", "category", "photos"}


def test_a_photo_over_the_size_limit_is_refused_by_name(settings):
    settings.PINGAN_UPLOAD_MAX_MB = 0.00005  # about 52 bytes
    before = stored()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        report("grid01", photos=[png_upload("墙.png")])
    [message] = info.value.message_dict["photos"]
    assert "墙.png" in message and "larger than" in message
    assert stored() == before


def test_a_file_that_is_not_a_photo_is_refused_by_name_whatever_it_is_called():
    with translation.override("en"), pytest.raises(ValidationError) as info:
        report("grid01", photos=[bad_photo()])
    [message] = info.value.message_dict["photos"]
    assert "photo.png" in message and "not a photo" in message


@pytest.mark.parametrize("size", [(20000, 20000), (9000, 8000)], ids=["error", "warning"])
def test_a_photo_whose_header_claims_a_huge_size_is_refused_as_not_a_photo(size):
    # 400 megapixels: Pillow's DecompressionBombError; 72: its warning (past MAX_IMAGE_PIXELS).
    before = stored()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        report("grid01", photos=[bomb_upload("炸弹.png", size)])
    [message] = info.value.message_dict["photos"]
    assert "炸弹.png" in message and "not a photo" in message
    assert stored() == before


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\n%%EOF\n", b"%PDF-1.7\n<script>alert(1)</script>", b"%PDF-" + b"A" * 500],
    ids=["header and trailer only", "html behind a header", "garbage"],
)
def test_a_file_that_only_starts_like_a_pdf_is_refused(content):
    fake = SimpleUploadedFile("说明.pdf", content, content_type="application/pdf")
    with translation.override("en"), pytest.raises(ValidationError) as info:
        report("grid01", photos=[fake])
    [message] = info.value.message_dict["photos"]
    assert "说明.pdf" in message and "not a photo" in message


@override_settings(PINGAN_UPLOAD_MAX_FILES=2)
def test_too_many_photos_at_once_are_refused():
    with pytest.raises(ValidationError) as info:
        report("grid01", photos=[png_upload(), png_upload(), png_upload()])
    assert "photos" in info.value.message_dict


def test_a_channel_the_user_may_not_use_is_refused():
    before = stored()
    with pytest.raises(ValidationError) as info:
        report("resident01", channel="hotline")
    assert "channel" in info.value.message_dict
    with pytest.raises(ValidationError):
        report("grid01", channel="system")
    assert stored() == before


def test_a_failure_inside_the_transaction_gives_the_number_back(monkeypatch):
    from pingan.events import attachments

    numbers = sum(NumberSequence.objects.values_list("last", flat=True))

    def broken_store(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(attachments, "store", broken_store)
    with pytest.raises(OSError):
        report("grid01", photos=[png_upload()])
    assert sum(NumberSequence.objects.values_list("last", flat=True)) == numbers
    assert not Event.objects.filter(description=WALL_TEXT).exists()


# --- photos -----------------------------------------------------------------------------------


def test_photos_are_stored_with_thumbnails():
    event = report("grid01", photos=[png_upload("墙.png", size=(800, 600))])
    [photo] = event.attachments.all()
    assert photo.stage == Attachment.Stage.REPORT and photo.is_image
    assert photo.content_type == "image/png" and photo.original_name == "墙.png"
    assert photo.log.action == "report" and photo.uploaded_by == get_user("grid01")
    assert default_storage.exists(photo.file.name) and default_storage.exists(photo.thumbnail.name)
    from PIL import Image

    with default_storage.open(photo.thumbnail.name) as thumb, Image.open(thumb) as image:
        assert max(image.size) <= 320


def test_a_pdf_is_accepted_without_a_thumbnail():
    pdf = pdf_upload("说明.pdf")
    event = report("grid01", photos=[pdf])
    [attachment] = event.attachments.all()
    assert attachment.content_type == "application/pdf" and not attachment.thumbnail


# --- notifications ----------------------------------------------------------------------------


def test_the_reporter_the_grid_team_and_the_department_are_told(django_capture_on_commit_callbacks):
    robot = Channel.objects.create(
        name="交通运输局值班群",
        kind=Channel.Kind.WECOM_ROBOT,
        department=get_user("dept-transport").memberships.get().department,
        webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=demo",
    )
    event = report("resident01", channel="resident")
    inbox = set(
        Notification.objects.filter(url=event.get_absolute_url()).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"resident01", "grid01", "police01", "dept-transport"} <= inbox
    assert "grid02" not in inbox and "dept-housing" not in inbox
    assert Delivery.objects.filter(channel=robot).count() == 1
    assert "center" not in inbox  # dispatched at once: nothing waits in the centre's queue


def test_a_grid_worker_is_not_told_about_their_own_report():
    event = report("grid01")
    inbox = set(
        Notification.objects.filter(url=event.get_absolute_url()).values_list(
            "recipient__username", flat=True
        )
    )
    assert "grid01" in inbox  # the receipt with the number
    assert Notification.objects.filter(recipient=get_user("grid01")).count() == 1
    assert "police01" not in inbox


def test_a_report_waiting_for_dispatch_is_announced_to_the_centre():
    event = report("grid01", category=None, description="这里有点情况，请来看看")
    assert Notification.objects.filter(
        recipient=get_user("town01"), url=event.get_absolute_url()
    ).exists()


# --- channels ---------------------------------------------------------------------------------


def test_a_hotline_call_keeps_the_callers_phone_encrypted_and_masked():
    event = report(
        "center",
        channel="hotline",
        where=None,
        village=VILLAGE01,
        reporter_name="王先生",
        reporter_phone="138 0013 8000",
    )
    assert event.channel == Event.Channel.HOTLINE
    assert event.reporter_name == "王先生"
    assert event.reporter_phone_masked == "138****8000"
    assert "13800138000" not in event.reporter_phone_encrypted
    from pingan.core import crypto

    assert crypto.decrypt(event.reporter_phone_encrypted) == "13800138000"


def test_a_one_key_call_takes_caller_and_place_from_the_registered_terminal():
    lng, lat = grid_point(GRID01)
    terminal = CallTerminal(
        name="杨大爷", address="南门社区3栋2单元101", village=Region.objects.get(code=VILLAGE01)
    )
    terminal.set_phone("13912345678")
    terminal.lng, terminal.lat = lng, lat
    terminal.save()

    event, created = services.report_one_key_call(
        acting_user=get_user("center"), phone="+86 139 1234 5678", note="老人摔倒，需要帮助"
    )

    assert created and event.channel == Event.Channel.ONE_KEY_CALL
    assert event.reporter_name == "杨大爷" and event.address == "南门社区3栋2单元101"
    assert event.reporter_phone_masked == "139****5678"
    assert event.grid.code == GRID01 and event.priority == "high"
    assert "老人摔倒" in event.description


def test_a_one_key_call_from_an_unknown_number_is_refused():
    before = stored()
    with pytest.raises(ValidationError) as info:
        services.report_one_key_call(acting_user=get_user("center"), phone="13900000000")
    assert "phone" in info.value.message_dict
    assert stored() == before


def test_a_terminal_without_coordinates_locates_the_call_to_its_village():
    terminal = CallTerminal(
        name="李奶奶", address="南门社区5栋", village=Region.objects.get(code=VILLAGE01)
    )
    terminal.set_phone("13700000001")
    terminal.save()
    event, _created = services.report_one_key_call(
        acting_user=get_user("center"), phone="13700000001"
    )
    assert event.located_by == Event.LocatedBy.VILLAGE and event.region.code == VILLAGE01


def test_the_usual_channel_of_each_persona():
    from pingan.events.queries import intake_channels

    assert intake_channels(get_user("grid01"))[0] == "grid_worker"
    assert intake_channels(get_user("resident01")) == ["resident"]
    assert {"hotline", "one_key_call", "appeal_box"} <= set(intake_channels(get_user("center")))
    assert "hotline" not in intake_channels(get_user("dept-transport"))


def test_every_report_gets_a_number_and_a_first_timeline_entry():
    event = report("resident01", channel="resident")
    assert event.number.startswith("SJ-")
    first = event.timeline.first()
    assert (first.action, first.to_status, first.actor) == ("report", "reported", event.reporter)
    assert first.data["channel"] == "resident" and first.data["located_by"] == "grid"
