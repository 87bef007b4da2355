"""Collection pages of grid workers and centre staff: houses (实有房屋) and organisations
(实有单位), listed, added and edited on a phone.

Only centre and grid staff (``_require_collector``); reads go through ``visible_to`` (outside
scope: 404); the contact phone of an organisation is write-only and shown masked.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pingan.people.filters import grid_choices
from pingan.people.forms.collect import (
    ADDRESS_FIELDS,
    AddressFormMixin,
    HouseForm,
    OrganizationForm,
)
from pingan.people.models import House, Organization
from pingan.people.views.base import PAGE_SIZE, _require_collector

# What the house and organisation forms put on the record besides its grid and address.
HOUSE_FIELDS = ("use", "owner_name", "occupier_name", "is_rented", "safety_notes")
ORGANIZATION_FIELDS = ("name", "credit_code", "kind", "contact_name")


def _address_search(value: str, prefix: str = "address__") -> Q:
    q = Q()
    for field in ADDRESS_FIELDS:
        q |= Q(**{f"{prefix}{field}__icontains": value})
    return q | Q(**{f"{prefix}normalised__icontains": value.replace(" ", "").upper()})


def _list(request, queryset, template, choices_field, choices, search):
    grid = request.GET.get("grid", "").strip()
    if grid:
        queryset = queryset.filter(grid__code=grid)
    choice = request.GET.get(choices_field, "").strip()
    if choice in dict(choices):
        queryset = queryset.filter(**{choices_field: choice})
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(search(q)).distinct()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "grids": grid_choices(request.user).only("code", "name"),
        "choices": choices,
        "q": q,
        "grid": grid,
        "choice": choice,
    }
    return render(request, template, context)


@login_required
def house_list(request: HttpRequest) -> HttpResponse:
    """The houses the user may see: search by address, filter by grid and use."""
    _require_collector(request)
    queryset = (
        House.objects.visible_to(request.user)
        .select_related("grid", "address")
        .defer("grid__geometry", "grid__description")
    )
    return _list(
        request, queryset, "people/house_list.html", "use", House.Use.choices, _address_search
    )


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    """The organisations the user may see: search by name or credit code, filter by grid, kind."""
    _require_collector(request)
    queryset = (
        Organization.objects.visible_to(request.user)
        .select_related("grid", "address")
        .defer("grid__geometry", "grid__description")
    )

    def search(value: str) -> Q:
        return Q(name__icontains=value) | Q(credit_code__icontains=value.replace(" ", "").upper())

    return _list(
        request,
        queryset,
        "people/organization_list.html",
        "kind",
        Organization.Kind.choices,
        search,
    )


def _placed(
    form: AddressFormMixin, record: Model | None, model: type[Model], fields, user
) -> Model:
    """Return ``record`` (a new ``model`` collected by ``user`` if None), not saved, with the
    form's grid, its standard address (kept or created) and ``fields`` put on it."""
    data = form.cleaned_data
    address = form.address_for(user)
    if record is None:
        record = model(collected_by=user, collected_at=timezone.now())
    record.grid = data["grid"]
    record.region_id = data["grid"].region_id
    record.address = address
    for field in fields:
        setattr(record, field, data[field])
    return record


def _house_page(request: HttpRequest, house: House | None) -> HttpResponse:
    grids = grid_choices(request.user)
    if request.method == "POST":
        form = HouseForm(request.POST, grids=grids, instance=house)
        if form.is_valid():
            with transaction.atomic():
                house = _placed(form, house, House, HOUSE_FIELDS, request.user)
                house.save()
            messages.success(request, _("House saved."))
            return redirect("people:house_list")
        status = 400
    else:
        form = HouseForm(grids=grids, instance=house)
        status = 200
    return render(request, "people/house_form.html", {"form": form, "house": house}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def house_new(request: HttpRequest) -> HttpResponse:
    _require_collector(request)
    return _house_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def house_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_collector(request)
    queryset = House.objects.visible_to(request.user).select_related("address")
    return _house_page(request, get_object_or_404(queryset, pk=pk))


def _organization_page(request: HttpRequest, organization: Organization | None) -> HttpResponse:
    grids = grid_choices(request.user)
    if request.method == "POST":
        form = OrganizationForm(request.POST, grids=grids, instance=organization)
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                organization = _placed(
                    form, organization, Organization, ORGANIZATION_FIELDS, request.user
                )
                if data["contact_phone"]:
                    organization.set_contact_phone(data["contact_phone"])
                organization.save()
            messages.success(request, _("Organisation saved."))
            return redirect("people:organization_list")
        status = 400
    else:
        form = OrganizationForm(grids=grids, instance=organization)
        status = 200
    context = {"form": form, "organization": organization}
    return render(request, "people/organization_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request: HttpRequest) -> HttpResponse:
    _require_collector(request)
    return _organization_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_collector(request)
    queryset = Organization.objects.visible_to(request.user).select_related("address")
    return _organization_page(request, get_object_or_404(queryset, pk=pk))
