"""The centre's workbench (queues, filters, table or map) and the Excel ledger."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.db.models.functions import Coalesce, Substr
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pingan.accounts.models import Department
from pingan.accounts.scope import Scope, scope_for
from pingan.core.jobs import start_job
from pingan.events import exports
from pingan.events.filters import TABS, EventFilter
from pingan.events.forms import (
    category_choices,
)
from pingan.events.jobs import EXPORT
from pingan.events.models import (
    Event,
)
from pingan.events.templatetags.event_tags import STATUS_COLORS, open_counts
from pingan.events.views.common import (
    department_events,
    list_queryset,
    window,
)
from pingan.geo import extent
from pingan.geo.models import Region

MAP_LIMIT = 2000


# Sort order of the workbench tabs; the others show the newest first.
TAB_ORDER = {
    "dispatch": ("reported_at", "id"),
    "overdue": ("overdue_since", "id"),
    "verify": ("resolved_at", "id"),
}


def _filter_choices(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    townships = list(
        Region.objects.visible_to(user)
        .filter(level=Region.Level.TOWNSHIP)
        .only("code", "name")
        .order_by("code")
    )
    departments = list(
        Department.objects.visible_to(user)
        .filter(is_active=True)
        .exclude(kind=Department.Kind.CENTER)
        .only("id", "name")
        .order_by("code")
    )
    return {
        "categories": category_choices(majors=True)[1:],
        "townships": townships,
        "departments": departments,
        "statuses": Event.Status.choices,
        "channels": Event.Channel.choices,
        "supervisions": [c for c in Event.Supervision.choices if c[0]],
    }


def _map_config(events: QuerySet[Event], user) -> dict[str, Any]:
    """Return the workbench map's points and settings.

    The map fits the user's area (their county, township or grids' villages) or the points in
    it; a point outside the area is drawn and listed, flagged, but never zooms the map out.
    """
    rows = list(
        events.filter(lng__isnull=False, lat__isnull=False)
        .order_by("-reported_at", "-id")
        .annotate(short=Substr("description", 1, 30))
        .values("id", "number", "title", "short", "status", "lng", "lat", "supervision")[:MAP_LIMIT]
    )
    labels = dict(Event.Status.choices)
    points = [
        {
            "id": row["id"],
            "number": row["number"],
            "title": row["title"] or row["short"],
            "status": row["status"],
            "statusLabel": str(labels.get(row["status"], row["status"])),
            "supervision": row["supervision"],
            "lng": row["lng"],
            "lat": row["lat"],
            "url": reverse("events:detail", args=[row["id"]]),
        }
        for row in rows
    ]
    area = extent.area_for(user)
    if area is None:  # no boundary nor grid to go by: every point counts
        inside = [True] * len(points)
    else:
        inside = area.contains_each([p["lng"] for p in points], [p["lat"] for p in points])
    for point, found in zip(points, inside, strict=True):
        point["outside"] = not found
    return {
        "points": points,
        "extent": area.bbox() if area else None,
        "truncated": len(points) >= MAP_LIMIT,
        "statuses": [
            {"value": value, "label": str(label), "color": STATUS_COLORS[value]}
            for value, label in Event.Status.choices
        ],
        "tileUrl": settings.PINGAN_MAP_TILE_URL or "",
        "tileAttribution": settings.PINGAN_MAP_TILE_ATTRIBUTION or "",
        "regionsUrl": reverse("geo:map_regions") + "?level=township",
        "text": {
            "shown": _("%(n)s events on the map"),
            "truncated": _("Only the newest %(n)s are shown: narrow the filter."),
            "empty": _("No event with a map point matches."),
            "open": _("Open"),
            "outside": _("The position lies outside your area."),
        },
    }


def tab_ordering(tab: str, *, searching: bool = False) -> list:
    """Return the list order of a tab.

    A text search cannot use an index: then the database should start from the tab's (small)
    set of open events rather than walk the time index through every closed one, so the
    order is written as an expression the index does not serve.
    """
    first, *rest = TAB_ORDER.get(tab, ("-reported_at", "-id"))
    if not searching or tab == "all":
        return [first, *rest]
    name = first.lstrip("-")
    expression = Coalesce(name, name)
    if first.startswith("-"):
        return [expression.desc(), "-id"]
    return [expression.asc(), "id"]


def _workbench_events(request: HttpRequest, access: Scope) -> QuerySet[Event]:
    events = Event.objects.visible_to(request.user)
    only_departments = access.department_ids and not (
        access.everything or access.centre_paths or access.leader_paths or access.staff_grid_ids
    )
    if only_departments:
        # The scope of a department handler is an OR of subqueries the database cannot drive
        # from an index; their work starts from their departments' assignments instead (what
        # they reported themselves is under "My reports").
        events = events.filter(pk__in=department_events(access))
    return events


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """The queue of events with tabs, filters, a table or a map, and the Excel export."""
    access = scope_for(request.user)
    if not access.is_staff_of_anything:
        return redirect("events:mine")
    default_tab = "dispatch" if access.is_centre else "open"
    tab = request.GET.get("tab") or default_tab
    if tab not in TABS:
        tab = default_tab
    data = request.GET.copy()
    for key in ("tab", "page", "view"):
        data.pop(key, None)
    filterset = EventFilter(data, queryset=_workbench_events(request, access))
    base = filterset.qs
    counts = open_counts(base)
    events = filterset.filter_tab(base, "tab", tab)
    mode = "map" if request.GET.get("view") == "map" else "list"
    context: dict[str, Any] = {
        "tab": tab,
        "tabs": [(key, label, counts.get(key)) for key, label in TABS.items()],
        "counts": counts,
        "filterset": filterset,
        "filtered": any(data.get(k) for k in exports.FILTER_KEYS if k != "tab"),
        "mode": mode,
        "is_centre": access.is_centre,
        "export_params": exports.filter_params(request.GET),
        "now": timezone.now(),
        **_filter_choices(request),
    }
    if mode == "map":
        context["map_config"] = config = _map_config(events, request.user)
        context["map_outside"] = [p for p in config["points"] if p.get("outside")]
    else:
        ordering = tab_ordering(tab, searching=bool(data.get("q", "").strip()))
        ordered = list_queryset(events).order_by(*ordering)
        page = window(request, ordered, total=counts.get(tab))
        context.update(page_obj=page, events=page.object_list)
    return render(request, "events/workbench.html", context)


@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """Start the Excel ledger of the filtered list as a background job; show its page."""
    if not scope_for(request.user).is_staff_of_anything:
        raise Http404
    job = start_job(
        kind=EXPORT,
        title=_("Event ledger (Excel)"),
        user=request.user,
        func_path=EXPORT,
        params={
            "user_id": request.user.pk,
            "filters": exports.filter_params(request.POST),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    return redirect(job.get_absolute_url())
