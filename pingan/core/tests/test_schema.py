"""The OpenAPI schema is complete and valid, and the docs page works offline."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, user):
    """Outside the demo (PINGAN_PUBLIC_API_DOCS) the schema and docs are for signed-in users."""
    client.force_login(user("center"))
    return client


CONTRACT_PATHS = [
    "/api/v1/auth/token",
    "/api/v1/me/",
    "/api/v1/regions/",
    "/api/v1/regions/{id}/",
    "/api/v1/regions/geojson/",
    "/api/v1/grids/",
    "/api/v1/grids/{id}/",
    "/api/v1/grids/geojson/",
    "/api/v1/grids/locate/",
    "/api/v1/departments/",
    "/api/v1/events/",
    "/api/v1/events/{id}/",
    "/api/v1/events/{id}/actions/",
    "/api/v1/events/one-key-call/",
    "/api/v1/categories/",
]


def test_schema_endpoint_serves_valid_openapi_3_json(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    for path in CONTRACT_PATHS:
        assert path in schema["paths"], path


def test_schema_endpoint_serves_yaml_by_default(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert "/api/v1/grids/locate/" in schema["paths"]


def test_every_operation_has_a_summary(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path}"


def test_token_endpoint_is_documented_without_auth_and_with_an_example(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/auth/token"]["post"]
    assert post.get("security", []) in ([], [{}])
    body = post["requestBody"]["content"]["application/json"]
    assert body["examples"]
    assert {"200", "400", "429"} <= set(post["responses"])


def test_locate_documents_its_parameters(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    get = schema["paths"]["/api/v1/grids/locate/"]["get"]
    names = {p["name"]: p for p in get["parameters"]}
    assert names["lng"]["required"] and names["lat"]["required"]
    assert "400" in get["responses"]


def test_event_intake_and_moves_are_documented_with_examples(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/events/"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(create["requestBody"]["content"])
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "201", "400"} <= set(create["responses"])
    actions = schema["paths"]["/api/v1/events/{id}/actions/"]["post"]
    examples = actions["requestBody"]["content"]["application/json"]["examples"]
    names = {example["value"]["action"] for example in examples.values()}
    assert {"sign", "resolve", "return", "escalate", "request_extension"} <= names
    assert {"200", "400", "404", "409"} <= set(actions["responses"])
    conflict = actions["responses"]["409"]["content"]["application/json"]
    assert conflict["examples"]
    event = schema["components"]["schemas"]["Event"]["properties"]
    for field in ("id", "number", "status", "category", "grid", "department", "deadlines"):
        assert field in event, field
    assert {"timeline", "allowed_actions"} <= set(event)
    assert "apiKeyAuth" in schema["components"]["securitySchemes"]


def test_schema_generation_has_no_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    # skip_checks: system checks are covered elsewhere; this is about the schema alone.
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(out), skip_checks=True)
    assert "openapi:" in out.read_text()


def test_docs_page_uses_bundled_assets_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"https?://(cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.)", html)


def test_sidecar_assets_are_served(client):
    html = client.get("/api/docs/").content.decode()
    asset = re.search(r'"(/static/drf_spectacular_sidecar/[^"]+\.js)"', html).group(1)
    response = client.get(asset)
    assert response.status_code == 200
