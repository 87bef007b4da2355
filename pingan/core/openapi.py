"""The API's error answers in the OpenAPI schema, declared once for every operation.

DRF answers errors in two shapes: ``{"detail": "..."}`` (not signed in, not allowed, not found,
unreadable or unsupported body, too large, throttled) and field errors for bad input
(``{"title": ["..."], "non_field_errors": ["..."]}``, nested for nested fields). A view only
declares what is particular to it (a 409's body, a description); the postprocessing hook below
adds the rest from what an operation takes, so a client (and the fuzz test) can rely on the
schema for every status code the API may answer.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ERROR = "Error"
FIELD_ERRORS = "FieldErrors"

SCHEMAS = {
    ERROR: {
        "type": "object",
        "description": _("An error that concerns the whole request."),
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    FIELD_ERRORS: {
        "type": "object",
        "description": _(
            "Bad input: each field's name with its messages (an object for a nested field); "
            "`non_field_errors` for the request as a whole, or `detail` when the body could "
            "not be read at all."
        ),
        "properties": {
            "detail": {"type": "string"},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
    },
}

# Status code → (shape, description), in the order a reader meets them.
ERRORS = {
    "400": (FIELD_ERRORS, _("Bad input, by field; nothing was changed.")),
    "401": (ERROR, _("Not signed in, or the token is wrong or expired.")),
    "403": (ERROR, _("Signed in, but not allowed to do this.")),
    "404": (ERROR, _("No such object, or not visible to you; or no such page of the list.")),
    "413": (ERROR, _("The request body is too large.")),
    "415": (ERROR, _("The request body's media type is not accepted.")),
    "429": (ERROR, _("Too many requests: try again later.")),
}


def _codes(operation: dict) -> list[str]:
    """Return the error codes ``operation`` may answer, from what it takes."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    codes = []
    if has_body or any(p["in"] == "query" for p in parameters):
        codes.append("400")
    if operation.get("security"):
        codes += ["401", "403"]
    # DRF answers 404 for an unknown id, page of a list, or ?format= (no renderer for it).
    if any(p["in"] == "path" or p["name"] in ("page", "format") for p in parameters):
        codes.append("404")
    if has_body:
        codes += ["413", "415"]
    return codes


def declare_errors(result: dict, generator, request, public) -> dict:
    """Add the shared error answers to every operation (a drf-spectacular postprocessing hook).

    An answer a view declares keeps its own body and description; one declared without a body
    gets the shared shape of its status code.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in SCHEMAS.items():
        schemas.setdefault(name, schema)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            declared = [code for code in ERRORS if code in responses]
            media_types = _media_types(responses)
            for code in sorted({*_codes(operation), *declared}):
                shape, description = ERRORS[code]
                answer = responses.setdefault(code, {"description": description})
                content = {media: {"schema": _ref(shape)} for media in media_types}
                answer.setdefault("content", content)
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _media_types(responses: dict) -> list[str]:
    """Return the media types of the success answers: errors are rendered the same way."""
    found = [
        media
        for code, answer in responses.items()
        if code.startswith("2")
        for media in answer.get("content", {})
    ]
    return list(dict.fromkeys(found)) or ["application/json"]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}
