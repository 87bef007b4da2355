"""What every basic-data page shares: the page size, who may keep the data, service errors
put back on a form."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest
from django.utils.translation import gettext as _

from pingan.people.filters import may_collect

PAGE_SIZE = 50


def _require_collector(request: HttpRequest) -> None:
    if not may_collect(request.user):
        raise PermissionDenied(_("Basic data is kept by the centre and the grid staff."))


def _put_errors(form: Form, error: ValidationError) -> None:
    """Put a service's errors on the form's fields (the others on the form as a whole)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
