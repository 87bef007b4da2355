"""GET /healthz: the probe that load balancers and `make demo` rely on."""

from __future__ import annotations

from unittest import mock

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


SECRET = 'connection to server at "db.internal" (10.0.0.7), port 5432 failed: password for "pingan"'


@pytest.fixture
def broken_database():
    """Make the health check's database cursor fail the way a lost PostgreSQL does."""
    from django.db import OperationalError

    with mock.patch("pingan.core.views.connection") as connection:
        connection.cursor.side_effect = OperationalError(SECRET)
        yield connection


def test_healthz_answers_503_without_the_error_text_to_anonymous_callers(client, broken_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}
    assert "db.internal" not in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_hides_the_error_text_from_users_who_are_not_staff(client_as, broken_database):
    response = client_as("grid01").get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


@pytest.mark.parametrize("username", ["admin", "center"], ids=["superuser", "staff"])
def test_healthz_shows_the_error_text_to_staff(client_as, broken_database, username):
    response = client_as(username).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["database"] == "error"
    assert "db.internal" in body["detail"]


def test_healthz_logs_the_failure_for_the_operators(client, broken_database, caplog):
    client.get("/healthz")
    assert "db.internal" in caplog.text


def test_healthz_fails_closed_when_the_caller_cannot_be_told(rf, broken_database):
    """With the database gone the session cannot be read either: the caller counts as anonymous."""
    from django.db import DatabaseError
    from django.utils.functional import SimpleLazyObject

    from pingan.core.views import healthz

    def lost_session():
        raise DatabaseError("no such table: django_session")

    request = rf.get("/healthz")
    request.user = SimpleLazyObject(lost_session)  # lazy, as AuthenticationMiddleware sets it
    response = healthz(request)
    assert response.status_code == 503
    assert b"db.internal" not in response.content
