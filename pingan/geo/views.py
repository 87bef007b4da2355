"""Pages for regions and grids: the map (一张图), lists with Excel export, and details.

Every read starts from ``visible_to(request.user)``: lists, exports and map layers only ever
contain what the user may see, and an object outside their scope answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pingan.core.ids import as_id
from pingan.geo import exports, extent
from pingan.geo.features import grid_features, region_features
from pingan.geo.filters import GridFilter, RegionFilter
from pingan.geo.models import Grid, GridMember, Region

PAGE_SIZE = 50
# Map colours by grid kind; the list badges use the same ones (pingan.css .kind-*).
KIND_COLORS = {
    Grid.Kind.RURAL: "#2e7d32",
    Grid.Kind.COMMUNITY: "#1565c0",
    Grid.Kind.DEDICATED: "#ef6c00",
    Grid.Kind.MOBILE: "#7b1fa2",
}


# --- scoped querysets ------------------------------------------------------------------------


def _count_sum_below(grids: QuerySet) -> tuple[Coalesce, Coalesce]:
    """Return (grid count, household sum) expressions over ``grids`` under the outer region."""
    below = grids.filter(path__startswith=OuterRef("path")).order_by()
    # COUNT/SUM as plain functions: an aggregate over the subquery without a GROUP BY.
    count = below.annotate(n=Func(F("pk"), function="COUNT")).values("n")
    households = below.annotate(n=Func(F("households"), function="SUM")).values("n")
    return (
        Coalesce(Subquery(count, output_field=IntegerField()), 0),
        Coalesce(Subquery(households, output_field=IntegerField()), 0),
    )


def visible_regions(request: HttpRequest) -> QuerySet[Region]:
    """Return the user's regions with the count and households of the visible grids below."""
    grid_count, households = _count_sum_below(Grid.objects.visible_to(request.user))
    return (
        Region.objects.visible_to(request.user)
        .select_related("parent")
        .defer("boundary", "parent__boundary")
        .annotate(grid_count=grid_count, household_count=households)
    )


def team_size() -> Coalesce:
    """Return an expression counting a grid's team members (a subquery, no GROUP BY)."""
    members = (
        GridMember.objects.filter(grid=OuterRef("pk"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), 0)


def visible_grids(request: HttpRequest) -> QuerySet[Grid]:
    """Return the user's grids with region, parent region and team size, without geometry."""
    return (
        Grid.objects.visible_to(request.user)
        .select_related("region", "region__parent")
        .defer("geometry", "description", "region__boundary", "region__parent__boundary")
        .annotate(team_size=team_size())
    )


def region_choices(request: HttpRequest) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the visible townships with their villages, for a grouped region <select>."""
    regions = (
        Region.objects.visible_to(request.user)
        .filter(level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE])
        .only("code", "name", "level", "path")
        .order_by("path")
    )
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for region in regions:
        if region.level == Region.Level.TOWNSHIP or not groups:
            groups.append((region.name, []))
        if region.level == Region.Level.VILLAGE:
            label = region.name
        else:
            label = _("%(name)s (whole township)") % {"name": region.name}
        groups[-1][1].append((region.code, label))
    return groups


def _page(request: HttpRequest, queryset: QuerySet) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _kind_legend() -> list[dict]:
    return [
        {"value": value, "label": str(label), "color": KIND_COLORS[value]}
        for value, label in Grid.Kind.choices
    ]


# --- map -------------------------------------------------------------------------------------


def map_text() -> dict[str, str]:
    """Return the translated strings that map.js shows."""
    return {
        "code": _("Code"),
        "region": _("Village / township"),
        "households": _("Households"),
        "season": _("Season"),
        "team": _("Grid team"),
        "noTeam": _("No grid team yet"),
        "details": _("View details"),
        "outOfSeason": _("Out of season"),
        "notInUse": _("Not in use"),
        "legend": _("Grid kinds"),
        "faded": _("Faded: not in use or out of season"),
        "loading": _("Loading grids…"),
        "shown": _("%(n)s grids shown"),
        "empty": _("There are no grids in your area."),
        "noMatch": _("No grids match the search."),
        "failed": _("Could not load the map data. Please reload the page."),
        "townships": _("Township / street boundaries"),
        "villages": _("Village / community boundaries"),
    }


def _map_config(**extra) -> dict:
    return {
        "tileUrl": settings.PINGAN_MAP_TILE_URL or "",
        "tileAttribution": settings.PINGAN_MAP_TILE_ATTRIBUTION or "",
        "kinds": _kind_legend(),
        "text": map_text(),
        **extra,
    }


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    """Show the map of the user's grids over the township and village boundaries."""
    focus = request.GET.get("grid", "")
    area = extent.area_for(request.user)
    config = _map_config(
        gridsUrl=reverse("geo:map_grids"),
        regionsUrl=reverse("geo:map_regions"),
        focusGrid=as_id(focus),
        # The user's area, which the map fits (grids outside it are drawn, not fitted).
        extent=area.bbox() if area else None,
    )
    return render(request, "geo/map.html", {"config": config, "kinds": _kind_legend()})


@login_required
@require_GET
def map_grids(request: HttpRequest) -> JsonResponse:
    """Return the user's grids as a GeoJSON FeatureCollection (the list filters apply)."""
    filterset = GridFilter(request.GET, queryset=Grid.objects.visible_to(request.user))
    if not filterset.is_valid():
        return JsonResponse(filterset.errors, status=400)
    features = grid_features(filterset.qs.order_by("kind", "code"))
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
def map_regions(request: HttpRequest) -> JsonResponse:
    """Return the user's regions that have a boundary as GeoJSON (``?level=`` filters)."""
    filterset = RegionFilter(request.GET, queryset=Region.objects.visible_to(request.user))
    if not filterset.is_valid():
        return JsonResponse(filterset.errors, status=400)
    features = region_features(filterset.qs)
    return JsonResponse({"type": "FeatureCollection", "features": features})


# --- regions ---------------------------------------------------------------------------------


def _filtered_regions(request: HttpRequest) -> RegionFilter:
    return RegionFilter(request.GET or None, queryset=visible_regions(request))


def within_choices(request: HttpRequest) -> list[tuple[str, str]]:
    """Return the visible regions that have regions below them, for the "under" <select>."""
    return list(
        Region.objects.visible_to(request.user)
        .filter(level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP])
        .order_by("path")
        .values_list("code", "name")
    )


@login_required
@require_GET
def region_list(request: HttpRequest) -> HttpResponse:
    """List the user's regions with search, filters, pagination and an Excel link."""
    filterset = _filtered_regions(request)
    page = _page(request, filterset.qs)
    return render(
        request,
        "geo/region_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "regions": page.object_list,
            "levels": Region.Level.choices,
            "within_choices": within_choices(request),
            "filtered": _is_filtered(request, RegionFilter.Meta.fields),
        },
    )


@login_required
@require_GET
def region_export(request: HttpRequest) -> HttpResponse:
    """Download the filtered region list as an Excel ledger."""
    return exports.region_workbook_response(_filtered_regions(request).qs)


@login_required
@require_GET
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a region: its ancestors, children, grids and a small map of them."""
    region = get_object_or_404(visible_regions(request), pk=pk)
    ancestors = (
        Region.objects.visible_to(request.user)
        .filter(code__in=[c for c in region.path.strip("/").split("/") if c])
        .exclude(pk=region.pk)
        .only("code", "name", "depth")
        .order_by("depth")
    )
    children = visible_regions(request).filter(parent=region).order_by("code")
    grids_qs = visible_grids(request).in_region(region).order_by("code")
    grid_total = region.grid_count
    grids = list(grids_qs[:PAGE_SIZE])
    map_features = grid_features(Grid.objects.visible_to(request.user).in_region(region))
    return render(
        request,
        "geo/region_detail.html",
        {
            "region": region,
            "ancestors": ancestors,
            "children": children,
            "grids": grids,
            "grid_total": grid_total,
            "more_grids": grid_total > len(grids),
            # The boundary was deferred in the list query: reading it costs one more query.
            "map_config": _map_config(features=map_features, boundary=region.boundary),
        },
    )


# --- grids -----------------------------------------------------------------------------------


def _filtered_grids(request: HttpRequest) -> GridFilter:
    return GridFilter(request.GET or None, queryset=visible_grids(request))


def _is_filtered(request: HttpRequest, fields: list[str]) -> bool:
    return any(request.GET.get(name) for name in fields)


@login_required
@require_GET
def grid_list(request: HttpRequest) -> HttpResponse:
    """List the user's grids with search, filters, pagination and an Excel link."""
    filterset = _filtered_grids(request)
    page = _page(request, filterset.qs)
    today = timezone.localdate()
    for grid in page.object_list:
        grid.active_now = grid.is_active_on(today)
    return render(
        request,
        "geo/grid_list.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "grids": page.object_list,
            "kinds": _kind_legend(),
            "subkinds": [c for c in Grid.SubKind.choices if c[0]],
            "region_groups": region_choices(request),
            "filtered": _is_filtered(request, GridFilter.Meta.fields),
        },
    )


@login_required
@require_GET
def grid_export(request: HttpRequest) -> HttpResponse:
    """Download the filtered grid list as an Excel ledger (网格台账)."""
    grids = _filtered_grids(request).qs.prefetch_related(
        Prefetch("members", queryset=GridMember.objects.order_by("sort_order", "id"))
    )
    return exports.grid_workbook_response(grids)


@login_required
@require_GET
def grid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a grid with its place in the tree, its season, a small map and its team."""
    grid = get_object_or_404(
        Grid.objects.visible_to(request.user)
        .select_related("region")
        .prefetch_related(
            Prefetch("members", queryset=GridMember.objects.order_by("sort_order", "id"))
        ),
        pk=pk,
    )
    ancestors = (
        Region.objects.visible_to(request.user)
        .filter(code__in=[c for c in grid.path.strip("/").split("/") if c])
        .only("code", "name", "depth", "level")
        .order_by("depth")
    )
    features = grid_features(Grid.objects.filter(pk=grid.pk))
    return render(
        request,
        "geo/grid_detail.html",
        {
            "grid": grid,
            "ancestors": ancestors,
            "team": list(grid.members.all()),
            "active_now": grid.is_active_on(),
            # The village's outline around the grid shows where it lies.
            "map_config": _map_config(features=features, boundary=grid.region.boundary),
        },
    )
