"""GET /healthz: the probe that load balancers and `make demo` rely on."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_says_ok_with_a_database_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["vendor"] in ("sqlite", "postgresql")


def test_healthz_needs_no_login_and_is_not_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
