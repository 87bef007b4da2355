"""The OpenAPI schema tells the truth about answers: error shapes and nullable objects."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from pingan.core.api import RefField


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_declares_the_error_answers_it_may_give(schema):
    paths = schema["paths"]

    actions = paths["/api/v1/events/{id}/actions/"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415"} <= set(actions)
    assert actions["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert actions["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FieldErrors"
    }
    # A view's own answer keeps its body; one declared without a body gets the shared shape.
    assert actions["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Conflict")
    reveal = paths["/api/v1/residents/{id}/reveal/"]["post"]["responses"]
    assert reveal["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    me = paths["/api/v1/me/"]["get"]["responses"]
    assert set(me) == {"200", "401", "403"}
    # Signing in needs no token: no 401, but a missing field is a field error.
    token = paths["/api/v1/auth/token"]["post"]["responses"]
    assert "401" not in token
    assert token["400"]["content"]["application/json"]["schema"]["$ref"].endswith("FieldErrors")
    assert "404" in paths["/api/v1/grids/"]["get"]["responses"]  # no such page
    assert "404" in paths["/api/v1/grids/geojson/"]["get"]["responses"]  # ?format=unknown


def _api_serializers():
    import pingan.accounts.api
    import pingan.events.api
    import pingan.geo.api
    import pingan.people.api
    import pingan.workflow.api  # noqa: F401  (each module defines serializers)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    found = below(serializers.ModelSerializer)
    return {cls for cls in found if cls.__module__.startswith("pingan")}


def test_a_nested_object_that_may_be_missing_is_declared_nullable():
    """A null foreign key is shown as null: the schema must allow it, or clients break."""
    undeclared = []
    for cls in _api_serializers():
        model = getattr(getattr(cls, "Meta", None), "model", None)
        if model is None:
            continue
        for name, field in cls._declared_fields.items():
            if not isinstance(field, serializers.BaseSerializer | RefField):
                continue
            if isinstance(field, serializers.ListSerializer):
                continue
            source = (field.source or name).split(".")[0]
            model_field = next((f for f in model._meta.fields if f.name == source), None)
            if model_field is not None and model_field.null and not field.allow_null:
                undeclared.append(f"{cls.__name__}.{name}")
    assert not undeclared, undeclared
