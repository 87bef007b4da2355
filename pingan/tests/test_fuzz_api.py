"""Fuzz the whole REST API from its OpenAPI schema as the county centre and a grid worker.

Schemathesis generates requests for every operation of drf-spectacular's schema (valid ones and
ones that break the schema) and sends them to the WSGI application in-process: first its
coverage cases (boundary values, missing and wrong-typed fields, methods an operation does not
take), then a bounded number of random examples. A request fails the test when the answer is a
5xx, a status code or content type the schema does not declare, or a body that does not match
the declared schema. Nothing is excluded: an operation added to the API is fuzzed too.

The world is the demo county (loaded once per session) plus a few events, residents and
reminders made here; path ids are drawn from those rows as well as at random, so detail pages
and actions are reached too. Each example runs in a savepoint that is rolled back, so every
example meets the same world whatever the ones before it changed (an event closed, a token
revoked). Examples are bounded and derandomized: CI stays fast and stable.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROLES = ("center", "grid01")
PASSWORD = "pingan-demo"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Random examples per operation and role, after the coverage cases: the whole module (38
# operations × 2 roles, about 5,000 requests) takes about 70 s of CPU on SQLite or PostgreSQL.
EXAMPLES = 8

# Ids of rows that exist, by the path's resource ("events", "residents", ...), filled by the
# ``world`` fixture and drawn from by the hook below.
KNOWN_IDS: dict[str, list] = {}


def _load_schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    config = schemathesis.Config()
    # Requests that break the schema as well as ones that keep it.
    config.projects.default.generation.update(modes=list(GenerationMode))
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Point most path ids at rows that exist; keep the generated value for the rest."""
    if not path_parameters:
        return st.just(path_parameters)
    resource = context.operation.path.split("/")[3]
    known = KNOWN_IDS.get(resource)
    if not known:
        return st.just(path_parameters)
    if len(path_parameters) != 1:
        return st.just(path_parameters)
    [name] = path_parameters
    return st.one_of(
        st.sampled_from(known).map(lambda value: {**path_parameters, name: value}),
        st.just(path_parameters),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Add events in several states, residents and a reminder to the demo county.

    Built once for the module inside a transaction that is rolled back at its end, as
    Django's ``TestCase.setUpTestData`` does; each test runs in a savepoint inside it.
    """
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            KNOWN_IDS.update(_build_world())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()
            raise
    yield
    KNOWN_IDS.clear()
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    media.disable()


@contextlib.contextmanager
def _keeping_the_test_connection():
    """Keep Django from closing the database connection at the start and end of a request.

    Requests go straight to the WSGI application, whose request signals close a connection
    that is in a transaction: the test's own, on PostgreSQL. Django's test client disconnects
    the same handler around each of its requests (and connects it again after).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _build_world() -> dict[str, list]:
    """Make the rows the fuzzer needs besides the demo county; return their ids by resource."""
    from pingan.events.models import Category
    from pingan.events.tests.conftest import GRID01, GRID02, event_in
    from pingan.geo.models import Grid, Region
    from pingan.people import idnumber

    events = [event_in(status) for status in ("dispatched", "in_progress", "resolved", "closed")]
    # One outside grid01's scope: the grid worker must get 404 for it, never a 5xx.
    events.append(event_in("signed", reporter="grid02", where=GRID02))

    def post(url: str, data: dict, username: str = "center") -> int:
        answer = Client(headers=_sign_in(username)).post(url, data, content_type="application/json")
        assert answer.status_code == 201, answer.content
        return answer.json()["id"]

    residents = [
        post(
            "/api/v1/residents/",
            {
                "name": name,
                "grid_code": grid,
                "id_number": idnumber.generate("513999", dt.date(1956 + n, 3, 14), 100 + n),
                "phone": f"1391234567{n}",
                "registered_address": "示范县",
            },
        )
        for n, (name, grid) in enumerate([("王秀兰", GRID01), ("张三", GRID02)])
    ]
    due_at = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    # Reminders are their owner's only: one each.
    reminders = [
        post("/api/v1/reminders/", {"title": "回访王大爷", "due_at": due_at}, username)
        for username in ROLES
    ]
    ids = {
        "events": [event.pk for event in events],
        "residents": residents,
        "reminders": reminders,
        "grids": list(Grid.objects.values_list("pk", flat=True)[:3]),
        "regions": list(Region.objects.values_list("pk", flat=True)[:3]),
        "categories": list(Category.objects.values_list("code", flat=True)[:3]),
    }
    for resource, model in _people_models().items():
        ids[resource] = list(model.objects.values_list("pk", flat=True)[:3])
    return ids


def _people_models():
    from pingan.accounts.models import Department
    from pingan.people import models

    return {
        "departments": Department,
        "households": models.Household,
        "household-groups": models.HouseholdGroup,
        "houses": models.House,
        "organizations": models.Organization,
        "addresses": models.Address,
    }


@pytest.fixture
def headers(world, db, username):
    return _sign_in(username)


def _sign_in(username: str) -> dict[str, str]:
    """Return the headers of a token got from the public token endpoint, as a client would."""
    answer = Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    # Pages and the API are gzipped when asked; schemathesis's WSGI transport asks but does not
    # unpack, so the fuzzer asks for plain bodies (an HTTP client unpacks them itself).
    return {"Authorization": f"Token {answer.json()['token']}", "Accept-Encoding": "identity"}


@pytest.mark.parametrize("username", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        # The token is got once per test; every example rolls back what it changed.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_answers_every_request_within_its_schema(case, headers):
    with _keeping_the_test_connection(), transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    # A refused token would make every answer a (declared) 401 and the fuzzing blind.
    assert response.status_code != 401, "the token was refused: nothing else was tested"
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_the_fuzzer_covers_every_operation_of_the_schema():
    """Nothing is left out silently: every operation drf-spectacular documents is fuzzed."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    documented = {
        (method.upper(), path) for path, methods in raw["paths"].items() for method in methods
    }
    fuzzed = {(r.ok().method.upper(), r.ok().path) for r in schema.get_all_operations()}
    assert fuzzed == documented
    assert ("POST", "/api/v1/auth/token") in fuzzed
