"""How a message leaves the application: group robots, e-mail and SMS.

Each channel kind has one sender function ``send_<kind>(channel, message) -> SendResult`` that
either returns (the message was accepted) or raises :class:`SendError` with what went wrong.
Senders do no bookkeeping; :mod:`pingan.notify.tasks` records attempts and retries.

The robot formats are the ones documented by the vendors:

- WeCom (企业微信) group robot: ``POST {"msgtype": "markdown", "markdown": {"content": ...}}``
  to ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``; success is ``errcode == 0``.
- DingTalk (钉钉) group robot: ``POST {"msgtype": "markdown", "markdown": {"title", "text"}}``
  to ``https://oapi.dingtalk.com/robot/send?access_token=...``; with a signing secret (加签) the
  URL also carries ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(secret,
  f"{timestamp}\\n{secret}"))). Success is ``errcode == 0``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from pingan.notify.models import Channel, mask_phone

logger = logging.getLogger(__name__)

# Robot messages are always Chinese, like the message templates they carry.
DETAILS_LABEL = "查看详情"
# How a plain-text message (SMS, e-mail) labels its link: never a bare URL line.
LINK_LABEL = "查看："
# WeCom rejects markdown content over 4096 bytes; leave room for the title and link.
WECOM_BODY_LIMIT = 3000


@dataclass(frozen=True)
class Message:
    """What to send: a title, a body and an absolute link (may be empty)."""

    title: str
    body: str
    url: str = ""

    @classmethod
    def from_payload(cls, payload: dict) -> Message:
        return cls(
            title=str(payload.get("title", "")),
            body=str(payload.get("body", "")),
            url=str(payload.get("url", "")),
        )

    @property
    def link_line(self) -> str:
        """Return the link as a labelled line ("查看：https://…"), or "" without a link."""
        return f"{LINK_LABEL}{self.url}" if self.url else ""

    @property
    def text(self) -> str:
        """Return the message as plain text: title, body and the labelled link on separate lines."""
        return "\n".join(part for part in (self.title, self.body, self.link_line) if part)


@dataclass(frozen=True)
class SendResult:
    http_status: int | None = None


class SendError(Exception):
    """The channel did not accept the message; ``http_status`` is set when one was received."""

    def __init__(self, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


def absolute_url(url: str) -> str:
    """Return ``url`` made absolute with ``PINGAN_SITE_URL`` (robots and e-mail need one)."""
    if not url or urlsplit(url).scheme in ("http", "https"):
        return url
    return settings.PINGAN_SITE_URL.rstrip("/") + "/" + url.lstrip("/")


# --- group robots ----------------------------------------------------------------------------


def wecom_payload(message: Message) -> dict:
    """Return the WeCom group robot's markdown message for ``message``."""
    body = message.body
    if len(body.encode("utf-8")) > WECOM_BODY_LIMIT:
        body = body.encode("utf-8")[:WECOM_BODY_LIMIT].decode("utf-8", "ignore") + "…"
    lines = [f"**{message.title}**"]
    if body:
        lines.append(body)
    if message.url:
        lines.append(f"[{DETAILS_LABEL}]({message.url})")
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}


def dingtalk_payload(message: Message) -> dict:
    """Return the DingTalk group robot's markdown message for ``message``."""
    parts = [f"#### {message.title}"]
    if message.body:
        parts.append(message.body)
    if message.url:
        parts.append(f"[{DETAILS_LABEL}]({message.url})")
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": "\n\n".join(parts)},
    }


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's URL-encoded signature of ``timestamp_ms`` with ``secret`` (加签)."""
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256)
    return quote_plus(base64.b64encode(digest.digest()).decode("ascii"))


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """Return the webhook URL with ``timestamp`` and ``sign`` appended."""
    if timestamp_ms is None:
        timestamp_ms = int(time.time() * 1000)
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    """POST ``payload`` as JSON; return (HTTP status, JSON answer) or raise SendError."""
    if urlsplit(url).scheme not in ("http", "https"):
        # The model validates this too; urllib would otherwise happily open file:// URLs.
        raise SendError(f"not an http(s) URL: {urlsplit(url).scheme}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    timeout = settings.PINGAN_WEBHOOK_TIMEOUT
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SendError(f"HTTP {exc.code} {exc.reason}", http_status=exc.code) from exc
    except TimeoutError as exc:
        raise SendError(f"timed out after {timeout} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SendError(f"timed out after {timeout} s") from exc
        raise SendError(f"cannot connect: {exc.reason}") from exc
    except OSError as exc:
        raise SendError(f"connection error: {exc}") from exc
    try:
        answer = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise SendError("the answer is not JSON", http_status=status) from exc
    if not isinstance(answer, dict):
        raise SendError("the answer is not a JSON object", http_status=status)
    return status, answer


def _check_errcode(status: int, answer: dict) -> SendResult:
    errcode = answer.get("errcode")
    if errcode != 0:
        errmsg = str(answer.get("errmsg", ""))[:300]
        raise SendError(f"errcode {errcode}: {errmsg}", http_status=status)
    return SendResult(http_status=status)


def send_wecom_robot(channel: Channel, message: Message) -> SendResult:
    """Post ``message`` to a WeCom group robot."""
    return _check_errcode(*post_json(channel.webhook_url, wecom_payload(message)))


def send_dingtalk_robot(channel: Channel, message: Message) -> SendResult:
    """Post ``message`` to a DingTalk group robot, signed when the channel has a secret."""
    url = channel.webhook_url
    if channel.secret:
        url = dingtalk_signed_url(url, channel.secret)
    return _check_errcode(*post_json(url, dingtalk_payload(message)))


# --- e-mail and SMS --------------------------------------------------------------------------


def send_email(channel: Channel, message: Message) -> SendResult:
    """Send ``message`` by e-mail through Django's configured mail backend."""
    body = "\n\n".join(part for part in (message.body, message.link_line) if part)
    try:
        send_mail(message.title, body, None, [channel.email], fail_silently=False)
    except Exception as exc:  # every backend raises its own errors (SMTP, sockets, SES…)
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
    return SendResult()


class SMSBackend:
    """The interface of an SMS provider: send ``text`` to ``phone`` or raise SendError."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSMSBackend(SMSBackend):
    """Write text messages to the log instead of sending them (development and demos)."""

    def send(self, phone: str, text: str) -> None:
        # The number is masked: logs are read by more people than the channel list.
        logger.info("SMS to %s (%d characters): %s", mask_phone(phone), len(text), text)


@cache
def _sms_backend_class(path: str) -> type[SMSBackend]:
    return import_string(path)


def get_sms_backend() -> SMSBackend:
    """Return an instance of the backend named by ``PINGAN_SMS_BACKEND``."""
    return _sms_backend_class(settings.PINGAN_SMS_BACKEND)()


def send_sms(channel: Channel, message: Message) -> SendResult:
    """Send ``message`` as a text message through the configured SMS backend."""
    try:
        get_sms_backend().send(channel.phone, message.text)
    except SendError:
        raise
    except Exception as exc:  # provider SDKs raise whatever they like
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
    return SendResult()


SENDERS: dict[str, Callable[[Channel, Message], SendResult]] = {
    Channel.Kind.WECOM_ROBOT: send_wecom_robot,
    Channel.Kind.DINGTALK_ROBOT: send_dingtalk_robot,
    Channel.Kind.EMAIL: send_email,
    Channel.Kind.SMS: send_sms,
}


def send(channel: Channel, message: Message) -> SendResult:
    """Send ``message`` through ``channel``; raise SendError when it was not accepted."""
    sender = SENDERS.get(channel.kind)
    if sender is None:
        raise SendError(f"unknown channel kind {channel.kind!r}")
    return sender(channel, message)
