"""Verifying basic data (核实): the "verify" action on every kind of record, and the list of
records in the user's scope not verified for ``PINGAN_VERIFY_AFTER_DAYS`` days (or never).

The list has one tab per kind (residents, households, houses, organisations, 联户 groups) with
its count, a grid filter and a verify button per row (htmx swaps the row; without JavaScript
the form posts and comes back to the same page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pingan.people import services
from pingan.people.filters import (
    RECORD_KINDS,
    get_record_for_user,
    grids_in_scope,
    unverified_before,
)
from pingan.people.models import Household, Resident
from pingan.people.views.base import HEADS, PAGE_SIZE, _require_collector


@dataclass(frozen=True)
class Row:
    """One record of the unverified list, the same columns for every kind."""

    kind: str
    pk: int
    title: str
    detail: str
    grid: str
    verified_at: object
    url: str


def _household_title(household: Household) -> str:
    heads = getattr(household, "heads", [])
    if heads:
        return _("Household of %(name)s") % {"name": heads[0].resident.name}
    return _("Household %(number)s") % {"number": household.number or household.pk}


@dataclass(frozen=True)
class Kind:
    """How the unverified list reads and shows one kind of record."""

    label: str
    url_name: str
    queryset: Callable[[QuerySet], QuerySet]
    title: Callable[[Model], str]
    detail: Callable[[Model], str]


KINDS: dict[str, Kind] = {
    "residents": Kind(
        gettext_lazy("Residents"),
        "people:resident_detail",
        # Only people living here are visited; the moved-out and the deceased are not due.
        lambda qs: qs.filter(status=Resident.Status.LIVING).select_related("grid"),
        lambda r: r.name,
        lambda r: r.id_number_masked,
    ),
    "households": Kind(
        gettext_lazy("Households"),
        "people:household_detail",
        lambda qs: qs.select_related("grid", "address").prefetch_related(HEADS),
        _household_title,
        lambda h: " · ".join(str(p) for p in (h.number, h.address) if p),
    ),
    "houses": Kind(
        gettext_lazy("Houses"),
        "people:house_edit",
        lambda qs: qs.select_related("grid", "address"),
        lambda h: str(h.address),
        lambda h: h.get_use_display(),
    ),
    "organizations": Kind(
        gettext_lazy("Organisations"),
        "people:organization_edit",
        lambda qs: qs.select_related("grid"),
        lambda o: o.name,
        lambda o: o.credit_code or o.get_kind_display(),
    ),
    "groups": Kind(
        gettext_lazy("联户 groups"),
        "people:group_detail",
        lambda qs: qs.select_related("grid", "head"),
        lambda g: g.name,
        lambda g: " · ".join([str(g.get_kind_display()), *([g.head.name] if g.head else [])]),
    ),
}


def record_url(kind: str, record: Model) -> str:
    """Return the page of a basic-data record (where its verify button is)."""
    return reverse(KINDS[kind].url_name, args=[record.pk])


def _stale(model: type[Model], user, grid: str) -> QuerySet:
    queryset = model.objects.visible_to(user).filter(
        Q(verified_at__isnull=True) | Q(verified_at__lt=unverified_before())
    )
    if model is Resident:
        queryset = queryset.filter(status=Resident.Status.LIVING)
    if grid:
        queryset = queryset.filter(grid__code=grid)
    return queryset


@login_required
def unverified(request: HttpRequest) -> HttpResponse:
    """Records in my scope not verified for PINGAN_VERIFY_AFTER_DAYS days (or never), by kind."""
    _require_collector(request)
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        kind = "residents"
    grid = request.GET.get("grid", "").strip()
    counts = {k: _stale(RECORD_KINDS[k], request.user, grid).count() for k in KINDS}
    spec = KINDS[kind]
    queryset = spec.queryset(_stale(RECORD_KINDS[kind], request.user, grid)).defer(
        "grid__geometry", "grid__description"
    )
    # Never verified first, then the longest ago.
    queryset = queryset.order_by(F("verified_at").asc(nulls_first=True), "pk")
    paginator = Paginator(queryset, PAGE_SIZE)
    paginator.count = counts[kind]  # counted once above for the tabs
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        Row(
            kind=kind,
            pk=record.pk,
            title=spec.title(record),
            detail=spec.detail(record),
            grid=record.grid.name if record.grid_id else "",
            verified_at=record.verified_at,
            url=record_url(kind, record),
        )
        for record in page.object_list
    ]
    tabs = [{"kind": k, "label": s.label, "count": counts[k]} for k, s in KINDS.items()]
    return render(
        request,
        "people/unverified.html",
        {
            "page_obj": page,
            "rows": rows,
            "tabs": tabs,
            "kind": kind,
            "kind_label": spec.label,
            "grid": grid,
            "grids": grids_in_scope(request.user).only("code", "name").order_by("code"),
            "days": settings.PINGAN_VERIFY_AFTER_DAYS,
        },
    )


@login_required
@require_POST
def record_verify(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Stamp a record of any kind as checked today (核实); back to where the button was."""
    _require_collector(request)
    record = get_record_for_user(request.user, kind, pk)
    services.verify(record, acting_user=request.user)
    if request.htmx:
        return render(request, "people/_verified_row.html", {"kind": kind, "record": record})
    messages.success(request, _("Marked as verified today."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = record_url(kind, record)
    return redirect(target)
