"""Pages of basic data (一标三实): the resident list and detail (with reveal and verify).

Households are in ``views.households``, 联户 groups in ``views.groups``, houses and
organisations in ``views.collect``, the unverified list and the verify action of every kind in
``views.verify``.

Reads go through ``visible_to`` (outside scope: 404); numbers are shown masked; a plain number
only through ``services.reveal`` (permission, reason, logged); every detail view is logged.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from pingan.people import services
from pingan.people.filters import ResidentFilter, get_resident_for_user, grid_choices
from pingan.people.forms.residents import RevealForm
from pingan.people.models import HouseholdMember, Resident
from pingan.people.views.base import _filtered_page, _put_errors, _require_collector

# What the detail page shows (written to the access log).
PAGE_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone_masked",
    "grid",
    "residence_type",
    "status",
    "address",
    "registered_address",
    "households",
    "verified_at",
]


def _residents(request: HttpRequest):
    return (
        Resident.objects.visible_to(request.user)
        .select_related("grid", "address")
        .defer("grid__geometry", "grid__description")
    )


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    """The residents the user may see, searched and filtered, numbers masked."""
    _require_collector(request)
    filterset, page = _filtered_page(request, ResidentFilter, _residents(request))
    return render(
        request,
        "people/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "residents": page.object_list,
            "grids": grid_choices(request.user).only("code", "name"),
            "title": _("Residents"),
        },
    )


# How many lines of a record's access log its page shows.
LOG_ROWS = 50


def _detail(request: HttpRequest, resident: Resident, *, revealed=None, form=None, status=200):
    services.log_access(request.user, resident, via="page", fields=PAGE_FIELDS)
    memberships = HouseholdMember.objects.filter(resident=resident).select_related("household")
    return render(
        request,
        "people/detail.html",
        {
            "resident": resident,
            "memberships": memberships,
            "can_reveal": request.user.has_perm(services.REVEAL_PERMISSION),
            "reveal_form": form or RevealForm(),
            "revealed": revealed,
            "access_log": _access_log(request.user, resident),
        },
        status=status,
    )


def _access_log(user, resident: Resident) -> list | None:
    """Return who looked at the record and who revealed what (admins and its centre), or None."""
    from pingan.accounts.scope import scope_for

    access = scope_for(user)
    if not (access.everything or access.covers(resident.path, access.centre_paths)):
        return None
    separator = pgettext("list separator", ", ")
    looks = [
        {
            "at": e.at,
            "user": e.user,
            "what": e.get_via_display(),
            "detail": separator.join(e.field_labels()),
        }
        for e in resident.access_log.select_related("user").order_by("-at")[:LOG_ROWS]
    ]
    reveals = [
        {"at": e.at, "user": e.user, "what": e.get_field_display(), "detail": e.reason}
        for e in resident.reveals.select_related("user").order_by("-at")[:LOG_ROWS]
    ]
    return sorted(looks + reveals, key=lambda row: row["at"], reverse=True)[:LOG_ROWS]


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One resident, numbers masked; the look is logged."""
    resident = get_resident_for_user(request.user, pk)
    return _detail(request, resident)


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one plain number once, with a reason (logged), on the resident's page."""
    resident = get_resident_for_user(request.user, pk)
    if not request.user.has_perm(services.REVEAL_PERMISSION):
        raise PermissionDenied(_("You may not reveal personal numbers."))
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _detail(request, resident, form=form, status=400)
    field = form.cleaned_data["field"]
    try:
        value = services.reveal(
            resident, field, acting_user=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        _put_errors(form, error)
        return _detail(request, resident, form=form, status=400)
    revealed = {"label": dict(form.fields["field"].choices)[field], "value": value}
    response = _detail(request, resident, revealed=revealed)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def resident_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Stamp the resident as checked today (核实)."""
    _require_collector(request)
    resident = get_resident_for_user(request.user, pk)
    services.verify(resident, acting_user=request.user)
    messages.success(request, _("Marked as verified today."))
    return redirect("people:resident_detail", pk=resident.pk)
