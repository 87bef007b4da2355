"""A refused or malformed request is one line in the log; a server error keeps its traceback."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from pingan.core.logfilters import OneLineClientErrors

pytestmark = pytest.mark.django_db

BASIC_DATA_REASON = "基础数据由综治中心和网格工作人员维护。"


def _records_of(caplog, name: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == name]


def test_a_refused_page_is_logged_on_one_line_without_a_traceback(client_as, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client_as("leader").get("/people/")
    (record,) = _records_of(caplog, "django.request")

    console = _console_handler()
    assert console.filter(record)
    line = console.format(record)

    assert "\n" not in line
    assert "Traceback" not in line
    assert "Forbidden (Permission denied): /people/" in line
    assert f"PermissionDenied: {BASIC_DATA_REASON}" in line


def test_a_server_error_keeps_its_traceback_in_the_log(client_as, caplog, monkeypatch):
    client = client_as("grid01")
    client.raise_request_exception = False
    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", _refuse)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        client.get("/")
    (record,) = _records_of(caplog, "django.request")

    console = _console_handler()
    assert console.filter(record)

    assert "Traceback" in console.format(record)


def test_the_console_log_handler_applies_the_one_line_filter(settings):
    console = settings.LOGGING["handlers"]["console"]
    assert "one_line_4xx" in console["filters"]
    configured = settings.LOGGING["filters"]["one_line_4xx"]["()"]
    assert configured == "pingan.core.logfilters.OneLineClientErrors"


def _console_handler() -> logging.Handler:
    """Return the console handler settings.LOGGING configured (the one with the filter)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, OneLineClientErrors) for f in handler.filters):
            return handler
    raise AssertionError("no log handler has the OneLineClientErrors filter")


def _refuse(self):
    raise OperationalError("the database is down")
