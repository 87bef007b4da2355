"""The built-in demo robot: a local endpoint that answers like a WeCom/DingTalk group robot.

It lets ``make demo`` show a real webhook call on a machine with no internet. It is off unless
``PINGAN_DEMO_ROBOT=1``; in production, configure real robot webhooks instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pingan.core import safe_json
from pingan.notify.models import Channel, RobotMessage

ROBOTS = {"wecom": Channel.Kind.WECOM_ROBOT, "dingtalk": Channel.Kind.DINGTALK_ROBOT}
DEMO_CHANNEL_NAME = "本机演示机器人（演示数据）"


@csrf_exempt
@require_POST
def receive(request: HttpRequest, robot: str) -> JsonResponse:
    """Store the posted message and answer as the real robot does (errcode 0)."""
    if not settings.PINGAN_DEMO_ROBOT or robot not in ROBOTS:
        raise Http404
    try:
        payload = safe_json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"errcode": 40001, "errmsg": "invalid json"}, status=400)
    if not isinstance(payload, dict) or "msgtype" not in payload:
        return JsonResponse({"errcode": 40008, "errmsg": "missing msgtype"}, status=400)
    RobotMessage.objects.create(robot=robot, payload=payload)
    return JsonResponse({"errcode": 0, "errmsg": "ok"})


def ensure_demo_channel(site_url: str) -> Channel | None:
    """Point a WeCom robot channel of the demo county centre at this server's demo robot."""
    from pingan.accounts.models import Department

    centre = Department.objects.filter(is_demo=True, kind=Department.Kind.CENTER).first()
    if centre is None:
        return None
    url = site_url.rstrip("/") + reverse("notify:demo_robot", args=["wecom"])
    with transaction.atomic():
        channel, _created = Channel.objects.update_or_create(
            department=centre,
            name=DEMO_CHANNEL_NAME,
            defaults={"kind": Channel.Kind.WECOM_ROBOT, "webhook_url": url, "is_enabled": True},
        )
    return channel
