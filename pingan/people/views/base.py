"""What the basic-data pages share: the page size and a filtered list's page, who may keep the
data, service errors put back on a form, a household's heads."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_filters import FilterSet

from pingan.people.filters import may_collect
from pingan.people.models import HouseholdMember

PAGE_SIZE = 50
# A household's head (户主) as ``household.heads``, a list of its head memberships.
HEADS = Prefetch(
    "memberships",
    queryset=HouseholdMember.objects.filter(relation=HouseholdMember.Relation.HEAD).select_related(
        "resident"
    ),
    to_attr="heads",
)


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


def _filtered_page(
    request: HttpRequest, filterset_class: type[FilterSet], queryset: QuerySet
) -> tuple[FilterSet, Page]:
    """Return the list's filter bound to the query string and the page of what it lets through."""
    filterset = filterset_class(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound else filterset.queryset
    return filterset, Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
