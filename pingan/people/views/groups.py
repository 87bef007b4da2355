"""联户 group pages (十户联防 households, 十铺 shops, 十车 vehicles): the list with search,
filters and Excel export, the detail with its head and members, and the phone form.

The form's head, households and shops are picked by searching: ``group_pick`` answers an htmx
request with the options of one picker — the ones already ticked (sent along, kept first) and
the records matching the search, all within the user's scope. Reads go through ``visible_to``
(outside scope: 404); the head's ID number is shown masked.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pingan.core.ids import as_id
from pingan.people import services
from pingan.people.filters import (
    HouseholdGroupFilter,
    get_group_for_user,
    grid_choices,
    resident_search,
)
from pingan.people.forms.groups import GroupForm
from pingan.people.models import (
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
)
from pingan.people.views.base import HEADS, _filtered_page, _put_errors, _require_collector

# How many candidates a picker offers besides the ticked ones.
PICK_LIMIT = 15


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    """The 联户 groups the user may see: search by name or head, filter by grid and kind."""
    _require_collector(request)
    queryset = (
        HouseholdGroup.objects.visible_to(request.user)
        .select_related("grid", "head")
        .defer("grid__geometry", "grid__description")
        .annotate(
            household_count=Count("households", distinct=True),
            organization_count=Count("organizations", distinct=True),
        )
        # An aggregate drops Meta.ordering: keep the pages stable.
        .order_by("path", "name_key", "pk")
    )
    filterset, page = _filtered_page(request, HouseholdGroupFilter, queryset)
    return render(
        request,
        "people/group_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "groups": page.object_list,
            "grids": grid_choices(request.user).only("code", "name"),
            "kinds": HouseholdGroup.Kind.choices,
            "q": request.GET.get("q", "").strip(),
            "grid": request.GET.get("grid", "").strip(),
            "kind": request.GET.get("kind", "").strip(),
        },
    )


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A 联户 group: its head (ID masked), member households and shops, vehicles."""
    _require_collector(request)
    group = get_group_for_user(request.user, pk)
    households = (
        group.households.select_related("address")
        .prefetch_related(HEADS)
        .annotate(member_count=Count("memberships"))
        .order_by("number", "pk")
    )
    context = {
        "group": group,
        "households": households,
        "organizations": group.organizations.select_related("address").order_by("name"),
        "vehicles": services.vehicle_lines(group.vehicles),
    }
    return render(request, "people/group_detail.html", context)


# --- the phone form and its pickers -----------------------------------------------------------

PICKERS: dict[str, type[Model]] = {
    "head": Resident,
    "households": Household,
    "organizations": Organization,
}


def _label(record: Model) -> str:
    if isinstance(record, Resident):
        grid = f" · {record.grid.name}" if record.grid_id else ""
        return f"{record.name}（{record.id_number_masked}）{grid}"
    if isinstance(record, Household):
        heads = getattr(record, "heads", [])
        parts = [record.number or f"#{record.pk}"]
        if heads:
            parts.append(_("head %(name)s") % {"name": heads[0].resident.name})
        if record.address_id:
            parts.append(str(record.address))
        return " · ".join(parts)
    return f"{record.name}（{record.credit_code or record.get_kind_display()}）"


def _with_related(field: str, queryset: QuerySet) -> QuerySet:
    if field == "head":
        return queryset.select_related("grid").defer("grid__geometry", "grid__description")
    if field == "households":
        return queryset.select_related("address").prefetch_related(HEADS)
    return queryset


def _search(field: str, q: str) -> Q:
    if field == "head":
        return resident_search(q)
    if field == "households":
        return (
            Q(number__icontains=q)
            | Q(address__street__icontains=q)
            | Q(
                memberships__relation=HouseholdMember.Relation.HEAD,
                memberships__resident__name__icontains=q,
            )
        )
    return Q(name__icontains=q) | Q(credit_code__icontains=q.replace(" ", "").upper())


def _picker(request, field: str, picked_ids, *, q: str = "", grid_id=None, group=None) -> dict:
    """Return the options of one picker: the ticked records first, then matching candidates.

    The ticked ones are kept if the user may see them or they are already in ``group`` (the
    centre may have chosen members from another grid); candidates are always in scope.
    """
    model = PICKERS[field]
    visible = model.objects.visible_to(request.user)
    ids = {as_id(i) for i in picked_ids} - {None}
    allowed = Q(pk__in=visible.values("pk"))
    if group is not None:
        if field == "head":
            allowed |= Q(pk=group.head_id)
        else:
            allowed |= Q(pk__in=getattr(group, field).values("pk"))
    picked = list(_with_related(field, model.objects.filter(allowed, pk__in=ids)))
    candidates = visible.exclude(pk__in=ids)
    if field == "head":
        candidates = candidates.filter(status=Resident.Status.LIVING)
    if q:
        candidates = candidates.filter(_search(field, q)).distinct()
    elif grid_id:
        candidates = candidates.filter(grid_id=grid_id)
    else:
        candidates = candidates.none()
    candidates = _with_related(field, candidates.order_by("pk"))[:PICK_LIMIT]
    options = [{"pk": r.pk, "label": _label(r), "checked": True} for r in picked]
    options += [{"pk": r.pk, "label": _label(r), "checked": False} for r in candidates]
    return {
        "field": field,
        "type": "radio" if field == "head" else "checkbox",
        "options": options,
        "q": q,
        "limit": PICK_LIMIT,
        "none_checked": field == "head" and not picked,
    }


@login_required
@require_GET
def group_pick(request: HttpRequest, field: str) -> HttpResponse:
    """The options of one picker of the group form, for an htmx search."""
    _require_collector(request)
    if field not in PICKERS:
        raise Http404
    group_pk = request.GET.get("group", "")
    group = get_group_for_user(request.user, as_id(group_pk)) if as_id(group_pk) else None
    context = _picker(
        request,
        field,
        request.GET.getlist(field),
        q=request.GET.get(f"{field}_q", "").strip(),
        grid_id=as_id(request.GET.get("grid")),
        group=group,
    )
    return render(request, "people/_group_picker_options.html", context)


def _group_page(request: HttpRequest, group: HouseholdGroup | None) -> HttpResponse:
    grids = grid_choices(request.user)
    if request.method == "POST":
        form = GroupForm(request.POST, user=request.user, grids=grids, instance=group)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.save_group(
                    group,
                    name=data["name"],
                    kind=data["kind"],
                    grid=data["grid"],
                    head=data["head"],
                    households=data["households"],
                    organizations=data["organizations"],
                    vehicles=data["vehicles"],
                    acting_user=request.user,
                )
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Group saved."))
                return redirect("people:group_detail", pk=saved.pk)
        status = 400
    else:
        form = GroupForm(user=request.user, grids=grids, instance=group)
        status = 200
    grid_id = as_id(form["grid"].value())
    pickers = []
    for field in PICKERS:
        value = form[field].value()
        picked = value if isinstance(value, list | tuple) else [value] if value else []
        picker = _picker(request, field, picked, grid_id=grid_id, group=group)
        picker["bound"] = form[field]
        pickers.append(picker)
    context = {"form": form, "group": group, "pickers": pickers}
    return render(request, "people/group_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_new(request: HttpRequest) -> HttpResponse:
    _require_collector(request)
    return _group_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_collector(request)
    return _group_page(request, get_group_for_user(request.user, pk))
