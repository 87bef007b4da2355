"""A local HTTP server playing the WeCom and DingTalk robot endpoints, and demo units."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict


@dataclass
class FakeRobotServer:
    """Record every POST; answer by path: /ok…, /status500, /slow, /errcode, /notjson."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    slow_seconds: float = 2.0

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"


def _handler(robot: FakeRobotServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            robot.requests.append(
                Received(
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers=dict(self.headers),
                    body=json.loads(raw.decode("utf-8")),
                )
            )
            if parts.path.startswith("/status500"):
                return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
            if parts.path.startswith("/slow"):
                time.sleep(robot.slow_seconds)
            if parts.path.startswith("/errcode"):
                return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
            if parts.path.startswith("/notjson"):
                return self._answer(200, None)
            return self._answer(200, OK)

        def _answer(self, status: int, answer):
            data = b"<html>busy</html>" if answer is None else json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            pass

    return Handler


@pytest.fixture
def robot_server():
    """Serve fake robot endpoints on 127.0.0.1 at a free port for the duration of a test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    robot = FakeRobotServer(server=server)
    server.RequestHandlerClass = _handler(robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield robot
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _empty_task_queue():
    """Start each test with an empty in-memory Huey queue and schedule."""
    from huey.contrib.djhuey import HUEY

    HUEY.storage.flush_all()
    yield
    HUEY.storage.flush_all()


@pytest.fixture
def grid_of(db):
    """Return a function giving the grid a demo account works on."""
    from pingan.accounts.models import Membership

    def get(username: str):
        return Membership.objects.get(user__username=username, grid__isnull=False).grid

    return get


@pytest.fixture
def department(db):
    from pingan.accounts.models import Membership

    return Membership.objects.get(user__username="dept-transport").department
