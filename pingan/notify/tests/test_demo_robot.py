"""The built-in demo robot answers like a WeCom robot, only when enabled."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from pingan.notify.demo_robot import DEMO_CHANNEL_NAME, ensure_demo_channel
from pingan.notify.models import Channel, RobotMessage

pytestmark = pytest.mark.django_db

URL = "/notifications/demo-robot/wecom/"
MESSAGE = {"msgtype": "markdown", "markdown": {"content": "**测试**\n演示机器人"}}


def post(client, payload, url=URL):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


@override_settings(PINGAN_DEMO_ROBOT=True)
def test_the_demo_robot_keeps_what_it_receives_and_answers_errcode_zero(client):
    response = post(client, MESSAGE)
    assert response.status_code == 200
    assert response.json() == {"errcode": 0, "errmsg": "ok"}
    assert RobotMessage.objects.get().payload == MESSAGE


@override_settings(PINGAN_DEMO_ROBOT=True)
def test_the_demo_robot_refuses_a_message_that_is_not_json(client):
    response = client.post(URL, data=b"not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errcode"] != 0
    assert not RobotMessage.objects.exists()


def test_the_demo_robot_is_off_unless_enabled(client):
    assert post(client, MESSAGE).status_code == 404
    assert not RobotMessage.objects.exists()


@override_settings(PINGAN_DEMO_ROBOT=True)
def test_an_unknown_robot_kind_is_not_found(client):
    assert post(client, MESSAGE, "/notifications/demo-robot/telegram/").status_code == 404


def test_the_demo_centre_gets_one_robot_channel_pointing_at_this_server():
    first = ensure_demo_channel("http://127.0.0.1:8123/")
    again = ensure_demo_channel("http://127.0.0.1:8124")
    assert first.pk == again.pk
    channel = Channel.objects.get(name=DEMO_CHANNEL_NAME)
    assert channel.kind == Channel.Kind.WECOM_ROBOT
    assert channel.webhook_url == "http://127.0.0.1:8124/notifications/demo-robot/wecom/"
    assert channel.department.kind == "center"
    channel.full_clean()


@override_settings(PINGAN_DEMO_ROBOT=True)
def test_the_demo_robot_refuses_deeply_nested_json_without_failing(client):
    body = '{"msgtype": ' + "[" * 1000 + "]" * 1000 + "}"

    response = client.post(URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errcode"] == 40001
