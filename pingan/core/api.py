"""Shared API pieces: pagination and the error format (the JSON parser: core.parsers)."""

from __future__ import annotations

import copy
import math

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from pingan.core.transitions import IllegalTransition, MoveForbidden


class SchemaAccess(permissions.BasePermission):
    """Let signed-in users read the OpenAPI schema; anyone when PINGAN_PUBLIC_API_DOCS is on."""

    def has_permission(self, request, view) -> bool:
        if settings.PINGAN_PUBLIC_API_DOCS:
            return True
        return bool(request.user and request.user.is_authenticated)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FloatField(serializers.FloatField):
    """DRF's FloatField without what JSON slips through it: ``true`` (1.0), NaN and infinity."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


_FIELDS: dict[tuple[type, str | None], dict] = {}


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that builds its fields from the model once per class and language.

    DRF introspects the model again for every serializer instance, nested ones included: for an
    event's JSON that was most of the time spent serializing. The fields depend only on the class
    and the language of their labels, so a copy of the first build serves every later one.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: FloatField,
    }

    def get_fields(self):
        key = (type(self), translation.get_language())
        fields = _FIELDS.get(key)
        if fields is None:
            fields = _FIELDS[key] = super().get_fields()
        return copy.deepcopy(fields)


class RefField(serializers.Field):
    """A related object shown as a small dict of its ``attrs`` (by default id, code, name).

    The same JSON as a nested ModelSerializer of those fields, for a fraction of the cost: a
    nested serializer is copied and built again for every object shown. Subclasses name their
    nested-serializer twin with ``extend_schema_field`` for the OpenAPI schema.
    """

    attrs: tuple[str, ...] = ("id", "code", "name")

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value) -> dict:
        return {attr: getattr(value, attr) for attr in self.attrs}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"

    def __init__(self) -> None:
        super().__init__(
            _("The request is larger than %(mb)s MB.")
            % {"mb": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:.1f}"}
        )


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "Conflict"
    default_code = "conflict"


def exception_handler(exc, context):
    """Map model errors: ValidationError → 400 with field errors, IllegalTransition → 409
    (403 for a move the caller's part never allows, ``MoveForbidden``).

    Django's limits on a request (RequestDataTooBig, too many fields), raised lazily when the
    body is first read, answer in the API's JSON shape (413, 400), not as Django's HTML 400.

    A 409 carries the current status and the moves allowed now, so a client that lost a race
    can show the new state.
    """
    if isinstance(exc, IllegalTransition):
        # A move the caller's part never allows is a refusal (403); one not possible now, 409.
        error = exceptions.PermissionDenied if isinstance(exc, MoveForbidden) else Conflict
        response = drf_exception_handler(error(exc.message), context)
        response.data = {
            "detail": exc.message,
            "status": exc.status,
            "allowed_actions": exc.allowed,
        }
        return response
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(_("The request has too many fields or files."))
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
