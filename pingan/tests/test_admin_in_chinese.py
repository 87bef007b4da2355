"""The admin speaks Chinese everywhere a person reads: third-party sections, workflow names,
deadline kinds and message templates show their names, not their codes."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingan.events.tests.conftest import event_in
from pingan.workflow import deadlines

pytestmark = pytest.mark.django_db

ZH = {"Accept-Language": "zh-hans"}


def visible(response) -> str:
    """Return the text a person reads on an admin page (its content, without the side menu)."""
    page = response.content.decode()
    page = page[page.index('id="content-main"') :] if 'id="content-main"' in page else page
    page = re.sub(r"(?s)<script.*?</script>|<[^>]+>", " ", page)
    return html.unescape(page)


@pytest.fixture
def admin_client(client_as):
    return client_as("admin")


def test_the_admin_index_names_every_section_in_chinese(admin_client):
    text = html.unescape(
        re.sub(r"<[^>]+>", " ", admin_client.get("/admin/", headers=ZH).content.decode())
    )
    sections = ("登录防护", "登录尝试", "登录失败记录", "登录记录", "双因素登录", "动态口令设备")
    for chinese in sections:
        assert chinese in text, chinese
    for english in (
        "Axes",
        "Otp_Totp",
        "TOTP devices",
        "Access attempts",
        "Access logs",
        "Model name",
    ):
        assert english not in text, english


def test_the_login_attempts_and_totp_devices_lists_are_in_chinese(admin_client, user):
    AccessAttempt.objects.create(
        username="center",
        ip_address="127.0.0.1",
        user_agent="pytest",
        path_info="/accounts/login/",
        http_accept="*/*",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    TOTPDevice.objects.create(user=user("center"), name="手机", confirmed=True)

    attempts = visible(admin_client.get(reverse("admin:axes_accessattempt_changelist"), headers=ZH))
    assert "尝试时间" in attempts and "IP 地址" in attempts and "用户名" in attempts
    assert "Attempt Time" not in attempts and "IP Address" not in attempts

    devices = visible(admin_client.get(reverse("admin:otp_totp_totpdevice_changelist"), headers=ZH))
    for chinese in ("设备名称", "创建时间", "最近使用", "已确认", "二维码"):
        assert chinese in devices, chinese
    for english in ("User", "Name", "Created at", "Last used", "Confirmed", "QR Code", "Search"):
        assert english not in devices, english
    device = TOTPDevice.objects.get()
    form = visible(
        admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]), headers=ZH)
    )
    assert "身份" in form and "此设备所属的用户" in form and "时间步长，单位为秒" in form
    for english in ("Identity", "The time step", "Number of successive", "qrcode", "None"):
        assert english not in form, english


def test_the_deadline_list_names_workflows_kinds_and_grades_not_codes(admin_client):
    event = event_in("dispatched")
    deadlines.open_deadline(
        event, kind="yellow", handler="events.event", due_at=timezone.now() + dt.timedelta(hours=4)
    )

    text = visible(admin_client.get(reverse("admin:workflow_deadline_changelist"), headers=ZH))

    assert "事件" in text and "签收" in text and "黄牌督办" in text
    for code in ("events.event", "events | event", "sign", "yellow"):
        assert not re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text), code


def test_the_message_list_names_the_template_not_its_code(admin_client):
    event_in("dispatched")

    text = visible(admin_client.get(reverse("admin:notify_notification_changelist"), headers=ZH))

    assert "事件动态" in text and "event_update" not in text


def test_an_events_timeline_in_the_admin_names_steps_and_statuses(admin_client):
    event = event_in("resolved")

    page = admin_client.get(reverse("admin:events_event_change", args=[event.pk]), headers=ZH)

    text = visible(page)
    timeline = text[text.index("办理过程记录") :]
    assert "已派遣" in timeline and "处置完毕" in timeline
    for code in ("dispatched", "resolved", "resolve", "sign"):
        assert not re.search(rf"(?<![\w.]){code}(?![\w.])", timeline), code
