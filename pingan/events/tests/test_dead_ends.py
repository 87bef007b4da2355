"""The dead ends of the event pages: accountability records link to their events, urging names
the event, keeps the board's place and is not repeated within minutes (pages and API alike)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from pingan.accounts.models import Department
from pingan.events.models import Event
from pingan.events.tests.conftest import TRANSPORT, event_in
from pingan.notify.models import Notification

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_each_accountability_record_links_to_its_event(client_as):
    from pingan.events.services import record_accountability

    event = event_in("dispatched")
    record_accountability(event, "sign", event.sign_due_at)
    transport = Department.objects.get(code=TRANSPORT)
    url = reverse("events:department", args=[transport.pk])
    for username in ("dept-transport", "center"):
        html = client_as(username).get(url).content.decode()
        row = html.split('id="record-table"')[1].split("</table>")[0]
        assert f'<a href="{event.get_absolute_url()}">{event.number}</a>' in row


def test_a_record_of_an_event_out_of_sight_shows_its_number_without_a_dead_link(client_as):
    from pingan.events.services import record_accountability
    from pingan.events.tests.conftest import move

    event = event_in("dispatched")
    record_accountability(event, "sign", event.sign_due_at)
    move(event, "return", "dept-transport", note="非本部门职责")  # no longer the department's
    transport = Department.objects.get(code=TRANSPORT)
    html = (
        client_as("dept-transport")
        .get(reverse("events:department", args=[transport.pk]))
        .content.decode()
    )
    row = html.split('id="record-table"')[1].split("</table>")[0]
    assert event.number in row and event.get_absolute_url() not in row


def overdue_event() -> Event:
    late = event_in("dispatched")
    Event.objects.filter(pk=late.pk).update(overdue_since=timezone.now())
    late.refresh_from_db()
    return late


def test_urging_from_the_board_names_the_event_and_returns_to_its_row(client_as):
    late = overdue_event()
    client = client_as("center")
    board = reverse("events:overdue") + f"?department={late.department_id}"
    html = client.get(board).content.decode()
    assert f'id="event-{late.pk}"' in html
    assert f'value="{board}#event-{late.pk}"'.replace("&", "&amp;") in html
    response = client.post(
        reverse("events:detail", args=[late.pk]) + "?action=urge",
        {"urge-note": "请立即处置", "next": f"{board}#event-{late.pk}"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{board}#event-{late.pk}"
    [message] = texts(response)
    assert late.number in message and late.display_title in message


def test_a_second_urge_within_minutes_warns_and_sends_nothing(
    client_as, django_capture_on_commit_callbacks
):
    late = overdue_event()
    client = client_as("center")
    url = reverse("events:detail", args=[late.pk]) + "?action=urge"
    next_url = reverse("events:overdue")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"urge-note": "请立即处置", "next": next_url})
    sent = Notification.objects.count()
    assert sent > 0
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"urge-note": "请立即处置", "next": next_url})
    assert again.status_code == 302 and again["Location"] == next_url
    warning = texts(again)[-1]
    assert "该事件刚刚已催办过" in warning and late.number in warning
    late.refresh_from_db()
    assert late.urge_count == 1
    assert late.timeline.filter(action="urge").count() == 1
    assert Notification.objects.count() == sent


def test_the_api_refuses_a_second_urge_within_minutes_with_the_same_words(api_as):
    late = overdue_event()
    leader = api_as("leader")
    url = f"/api/v1/events/{late.pk}/actions/"
    assert leader.post(url, {"action": "urge", "note": "请尽快"}, format="json").status_code == 200
    again = leader.post(url, {"action": "urge", "note": "请尽快"}, format="json")
    assert again.status_code == 400
    assert "该事件刚刚已催办过" in str(again.json())
    late.refresh_from_db()
    assert late.urge_count == 1


def test_urging_again_after_the_window_goes_through(client_as):
    late = overdue_event()
    client = client_as("center")
    url = reverse("events:detail", args=[late.pk]) + "?action=urge"
    client.post(url, {"urge-note": "请立即处置"})
    late.timeline.filter(action="urge").update(at=timezone.now() - dt.timedelta(minutes=11))
    client.post(url, {"urge-note": "再次催办"})
    late.refresh_from_db()
    assert late.urge_count == 2


def test_a_deadline_is_printed_once_on_the_event_page(client_as):
    event = event_in("dispatched")
    html = client_as("dept-transport").get(event.get_absolute_url()).content.decode()
    cell = html.split('id="sign-due"')[1].split("</dd>")[0]
    shown = re.sub(r"<[^>]+>", "", cell.split(">", 1)[1])  # what a reader sees
    local = timezone.localtime(event.sign_due_at)
    assert shown.count(local.strftime("%m-%d %H:%M")) == 1  # not again in the short form
    assert local.strftime("%Y-%m-%d %H:%M") in shown and "剩余" in shown


def test_the_workbench_still_prints_the_short_deadline(client_as):
    event = event_in("dispatched")
    html = client_as("center").get(reverse("events:workbench"), {"tab": "all"}).content.decode()
    assert timezone.localtime(event.sign_due_at).strftime("%m-%d %H:%M") in html


def test_a_pdf_is_counted_as_a_file_not_a_photo(client_as):
    from django.core.files.base import ContentFile

    from pingan.events.models import Attachment

    event = event_in("resolved")
    log = event.timeline.get(action="resolve")
    pdf = Attachment(
        event=event,
        log=log,
        stage="resolution",
        original_name="整改报告.pdf",
        content_type="application/pdf",
        size=9,
    )
    pdf.file.save("upload.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    pdf.save()
    html = client_as("grid01").get(event.get_absolute_url()).content.decode()
    assert "1 张照片 · 1 份文件" in html
