"""Pages of the event closed loop: the centre's workbench, the event page with its action panel,
the department inbox, the grid worker's phone pages, hotline entry, the overdue board, routing
rules and the Excel ledger.

Reads start from ``Event.objects.visible_to(user)`` / ``get_event_for_user`` (404 outside the
user's scope); every change goes through ``pingan.events.services``. Lists are paginated with
LIMIT/OFFSET and count only the open events (the tab counts), never the whole table.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Substr
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingan.accounts.models import Department
from pingan.core.jobs import start_job
from pingan.core.transitions import IllegalTransition
from pingan.events import exports, queries, routing, services
from pingan.events.duplicates import possible_duplicates
from pingan.events.filters import TABS, EventFilter
from pingan.events.forms import (
    PRIMARY_ORDER,
    ActionForm,
    HotlineForm,
    OneKeyForm,
    ReportForm,
    RouteTestForm,
    RoutingRuleForm,
    action_label,
    category_choices,
    handling_departments,
    village_choices,
)
from pingan.events.jobs import EXPORT
from pingan.events.models import (
    AccountabilityRecord,
    Assignment,
    Attachment,
    Event,
    EventLog,
    Request,
    RoutingRule,
)
from pingan.events.queries import get_event_for_user
from pingan.events.templatetags.event_tags import STATUS_COLORS, open_counts
from pingan.events.transitions import allowed_for
from pingan.geo.models import Region

PAGE_SIZE = 50
MAP_LIMIT = 2000
S = Event.Status

# What each timeline entry says (EventLog.action).
LOG_LABELS = {
    "report": gettext_lazy("Reported"),
    "dispatch": gettext_lazy("Dispatched"),
    "reassign": gettext_lazy("Reassigned"),
    "reroute": gettext_lazy("Re-routed after a correction"),
    "redispatch": gettext_lazy("Dispatched again"),
    "sign": gettext_lazy("Signed for"),
    "start": gettext_lazy("Work started"),
    "resolve": gettext_lazy("Resolved"),
    "verify": gettext_lazy("Verified on site, closed"),
    "rework": gettext_lazy("Sent back for rework"),
    "return": gettext_lazy("Returned to the centre"),
    "suspend": gettext_lazy("Waiting for information"),
    "resume": gettext_lazy("Resumed"),
    "merge": gettext_lazy("Merged into another event"),
    "absorb": gettext_lazy("A duplicate was merged into this event"),
    "invalidate": gettext_lazy("Marked invalid"),
    "classify": gettext_lazy("Category corrected"),
    "update": gettext_lazy("Details corrected"),
    "relocate": gettext_lazy("Place corrected"),
    "request_extension": gettext_lazy("Extension requested"),
    "request_hold": gettext_lazy("Hold requested"),
    "approve_extension": gettext_lazy("Extension approved"),
    "approve_hold": gettext_lazy("Hold approved"),
    "refuse_request": gettext_lazy("Request refused"),
    "urge": gettext_lazy("Urged (催办)"),
    "supervise": gettext_lazy("Supervision set (督办)"),
    "escalate": gettext_lazy("Escalated (吹哨)"),
    "summon": gettext_lazy("Departments summoned"),
    "assist_sign": gettext_lazy("Assisting department signed for its part"),
    "assist_done": gettext_lazy("Assisting department finished its part"),
    "rate": gettext_lazy("Rated by the reporter"),
    "reopen": gettext_lazy("Reopened"),
    "overdue": gettext_lazy("Deadline missed"),
}
# Sort order of the workbench tabs; the others show the newest first.
TAB_ORDER = {
    "dispatch": ("reported_at", "id"),
    "overdue": ("overdue_since", "id"),
    "verify": ("resolved_at", "id"),
}


# --- access --------------------------------------------------------------------------------------


def _access(request: HttpRequest) -> queries.Access:
    return queries.access_for(request.user)


def is_centre(access: queries.Access) -> bool:
    """Centre staff (and administrators): dispatch, hotline entry, routing rules."""
    return access.everything or bool(access.centre_paths)


def is_supervisor(access: queries.Access) -> bool:
    """Centre staff and leaders: the overdue board and urging."""
    return is_centre(access) or bool(access.leader_paths)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- pagination without a COUNT over the whole table ---------------------------------------------


@dataclass
class Window:
    """One page of a list: its rows, and the total only when it came for free."""

    object_list: list
    number: int
    per_page: int
    has_next: bool
    total: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def paginator(self) -> Window:
        """Django's ``Page`` gives its pages and count through its paginator: so does a window."""
        return self

    @property
    def count(self) -> int | None:
        return self.total

    @property
    def num_pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0


def window(
    request: HttpRequest, qs, *, total: int | None = None, per_page: int | None = None
) -> Window:
    """Return the page ``?page=`` of ``qs`` with one LIMIT/OFFSET query (one row extra)."""
    per_page = per_page or PAGE_SIZE
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    if total is not None:
        number = min(number, max(1, math.ceil(total / per_page)))
    start = (number - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return Window(rows[:per_page], number, per_page, len(rows) > per_page, total)


def list_queryset(events: QuerySet[Event]) -> QuerySet[Event]:
    """Return ``events`` with what a list row shows, without geometry or long text."""
    return events.select_related(
        "category", "category__parent", "region", "grid", "department", "township"
    ).defer(
        "region__boundary",
        "township__boundary",
        "grid__geometry",
        "grid__description",
        "reporter_phone_encrypted",
        "category__reply_signed",
        "category__reply_resolved",
        "category__reply_closed",
    )


# --- workbench -----------------------------------------------------------------------------------


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


def _map_config(events: QuerySet[Event]) -> dict[str, Any]:
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
    return {
        "points": points,
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


def department_events(access: queries.Access) -> QuerySet[Assignment]:
    """Return the ids of the events the user's departments work or worked on (an index)."""
    return Assignment.objects.filter(department_id__in=sorted(access.department_ids)).values(
        "event_id"
    )


def _workbench_events(request: HttpRequest, access: queries.Access) -> QuerySet[Event]:
    events = Event.objects.visible_to(request.user)
    only_departments = access.department_ids and not (
        access.everything or access.centre_paths or access.leader_paths or access.grid_ids
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
    access = _access(request)
    if not access.is_staff_of_anything:
        return redirect("events:mine")
    default_tab = "dispatch" if is_centre(access) else "open"
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
        "is_centre": is_centre(access),
        "export_params": exports.filter_params(request.GET),
        "now": timezone.now(),
        **_filter_choices(request),
    }
    if mode == "map":
        context["map_config"] = _map_config(events)
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
    if not _access(request).is_staff_of_anything:
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
    messages.info(request, _("The ledger is being written; the file appears here when it is done."))
    return redirect(job.get_absolute_url())


# --- event page and moves ------------------------------------------------------------------------


def _event_for_page(request: HttpRequest, pk: int) -> Event:
    queryset = (
        Event.objects.select_related(
            "category",
            "category__parent",
            "region",
            "region__parent",
            "township",
            "grid",
            "department",
            "centre",
            "escalated_to",
            "reporter",
            "merged_into",
        )
        .defer("township__boundary", "region__parent__boundary", "reporter_phone_encrypted")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("department").order_by(
                    "-role", "assigned_at", "id"
                ),
            )
        )
    )
    return get_event_for_user(request.user, pk, queryset=queryset)


def _ordered(allowed: dict) -> list[str]:
    first = [a for a in PRIMARY_ORDER if a in allowed]
    return first + [a for a in allowed if a not in first]


def action_forms(
    event: Event, user, *, bound: ActionForm | None = None
) -> tuple[list[ActionForm], ActionForm | None]:
    """Return the forms of the moves ``user`` may make now, and the message form."""
    allowed = allowed_for(event, user)
    needs = {n for move in allowed.values() for n in (*move.fields, *move.optional)}
    suggestion = None
    if needs & {"department"} and event.category_id:
        suggestion = routing.route(event.category, event.region).department
    departments = handling_departments(event) if needs & {"department", "departments"} else None
    categories = category_choices() if "category" in needs else None
    villages = None
    if "village" in needs:
        villages = village_choices(
            Region.objects.visible_to(user).filter(
                level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE]
            )
        )
    forms = []
    message_form = None
    for action in _ordered(allowed):
        if bound is not None and bound.action == action:
            form = bound
        else:
            form = ActionForm(
                action=action,
                move=allowed[action],
                event=event,
                departments=departments,
                suggestion=suggestion,
                categories=categories,
                villages=villages,
            )
        if action == "message":
            message_form = form
        else:
            forms.append(form)
    return forms, message_form


def _timeline(event: Event) -> list[EventLog]:
    entries = list(
        event.timeline.select_related("actor", "department").prefetch_related("attachments")
    )
    previous = None
    for entry in entries:
        entry.label = LOG_LABELS.get(entry.action, entry.action)
        entry.since_previous = (entry.at - previous.at) if previous is not None else None
        entry.to_label = Event.Status(entry.to_status).label if entry.to_status else ""
        previous = entry
    return entries


def _event_map(event: Event) -> dict[str, Any]:
    return {
        "point": [event.lng, event.lat] if event.has_point else None,
        "grid": event.grid.geometry if event.grid_id else None,
        "boundary": None if event.grid_id else event.region.boundary,
        "color": STATUS_COLORS.get(event.status, "#0d6efd"),
        "tileUrl": settings.PINGAN_MAP_TILE_URL or "",
        "tileAttribution": settings.PINGAN_MAP_TILE_ATTRIBUTION or "",
    }


def detail_context(
    request: HttpRequest,
    event: Event,
    *,
    bound: ActionForm | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    """Return everything the event page shows to this user."""
    user = request.user
    roles = queries.roles_in(user, event)
    forms, message_form = action_forms(event, user, bound=bound)
    if message_form is not None and not roles - {queries.REPORTER}:
        message_form.fields.pop("internal", None)  # the reporter's messages are never internal
    thread = event.messages.select_related("author")
    if not roles - {queries.REPORTER}:
        thread = thread.filter(internal=False)
    photos: dict[str, list[Attachment]] = {}
    for item in event.attachments.all():
        photos.setdefault(item.get_stage_display(), []).append(item)
    duplicates = []
    if queries.CENTRE in roles and event.is_open:
        duplicates = possible_duplicates(event, user)
    pending = (
        event.requests.filter(status=Request.Status.PENDING)
        .select_related("requested_by", "department")
        .first()
    )
    timeline = _timeline(event)
    total = None
    end = event.closed_at or (timezone.now() if event.is_open else None)
    if end is not None:
        total = end - event.reported_at
    return {
        "event": event,
        "roles": roles,
        "is_centre_here": queries.CENTRE in roles,
        "staff_here": bool(roles - {queries.REPORTER}),
        "forms": forms,
        "message_form": message_form,
        "conflict": conflict,
        "allowed_labels": [action_label(a) for a in allowed_for(event, user)] if conflict else [],
        "timeline": timeline,
        "total_time": total,
        "thread": list(thread),
        "photos": photos,
        "duplicates": duplicates,
        "assignments": list(event.assignments.all()),
        "pending": pending,
        "map_config": _event_map(event),
        "merged_events": list(event.merged_events.only("id", "number", "title", "description")),
        "department_link": bool(
            event.department_id
            and Department.objects.visible_to(user).filter(pk=event.department_id).exists()
        ),
        "now": timezone.now(),
    }


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The event page: header, deadlines, timeline, map, photos, thread and the action panel."""
    event = _event_for_page(request, pk)
    return render(request, "events/detail.html", detail_context(request, event))


def _after_move_url(request: HttpRequest, event: Event) -> str:
    """Return where to go after a move: ``next``, else the event if the user still sees it."""
    fallback = event.get_absolute_url()
    if not Event.objects.visible_to(request.user).filter(pk=event.pk).exists():
        access = _access(request)
        fallback = reverse("events:inbox" if access.department_ids else "events:workbench")
    return _safe_next(request, fallback)


def _conflict(request: HttpRequest, pk: int, exc: IllegalTransition) -> HttpResponse:
    try:
        event = _event_for_page(request, pk)
    except Http404:
        messages.error(request, exc.message)
        access = _access(request)
        return redirect("events:inbox" if access.department_ids else "events:workbench")
    message = _("This move is no longer possible: the event is now “%(status)s”. %(reason)s") % {
        "status": event.get_status_display(),
        "reason": exc.message,
    }
    context = detail_context(request, event, conflict=message)
    return render(request, "events/detail.html", context, status=409)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Make one move on the event (``services.perform``); show errors next to the fields."""
    event = _event_for_page(request, pk)
    move = allowed_for(event, request.user).get(action)
    if move is None:
        status = event.get_status_display()
        message = _("“%(action)s” is not possible for you while the event is “%(status)s”.") % {
            "action": action_label(action),
            "status": status,
        }
        return _conflict(request, pk, IllegalTransition(message, status=event.status))
    form = ActionForm(
        request.POST,
        request.FILES,
        action=action,
        move=move,
        event=event,
    )
    if form.is_valid():
        try:
            services.perform(event.pk, action, acting_user=request.user, **form.service_fields())
        except IllegalTransition as exc:
            return _conflict(request, pk, exc)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": action_label(action)})
            return redirect(_after_move_url(request, event))
    if form.has_files and request.FILES:
        form.add_error(None, _("Please choose the photos again."))
    context = detail_context(request, event, bound=form)
    context["open_action"] = action
    return render(request, "events/detail.html", context, status=400)


@login_required
def attachment(request, pk: int, thumbnail: bool = False):
    """Serve an event's file to people who may see the event (never a public URL)."""
    item = get_object_or_404(Attachment.objects.select_related("event"), pk=pk)
    get_event_for_user(request.user, item.event_id)
    field = item.thumbnail if thumbnail and item.thumbnail else item.file
    if not field:
        raise Http404
    return FileResponse(
        field.open("rb"), content_type="image/jpeg" if thumbnail else item.content_type
    )


# --- department inbox and record -----------------------------------------------------------------

INBOX_DONE_DAYS = 30  # how long a finished event stays under "resolved" in the inbox
INBOX_STATES = {
    "to_sign": gettext_lazy("To sign for"),
    "in_hand": gettext_lazy("In hand"),
    "done": gettext_lazy("Resolved"),
}


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """A department's events (lead or assisting) by state, overdue first, signing inline."""
    access = _access(request)
    if not access.department_ids:
        raise Http404("Not a department handler")
    ids = sorted(access.department_ids)
    state = request.GET.get("state", "to_sign")
    if state not in INBOX_STATES:
        state = "to_sign"

    def mine(*args, **conditions) -> Exists:
        return Exists(
            Assignment.objects.filter(
                *args, event=OuterRef("pk"), department_id__in=ids, **conditions
            )
        )

    recent = timezone.now() - dt.timedelta(days=INBOX_DONE_DAYS)
    active = {"ended_at__isnull": True}
    handling = Q(status__in=Event.OPEN_STATUSES) & ~Q(status=S.RESOLVED)
    conditions = {
        "to_sign": Q(mine(signed_at__isnull=True, **active)) & handling,
        "in_hand": Q(mine(signed_at__isnull=False, done_at__isnull=True, **active)) & handling,
        # Resolved and waiting for the grid's check, or our part finished in the last days.
        "done": (Q(status=S.RESOLVED) & Q(mine(**active))) | Q(mine(done_at__gte=recent)),
    }
    overdue = Q(overdue_since__isnull=False, status__in=Event.OPEN_STATUSES) & Q(mine(**active))
    # Start from our departments' assignments (an index), then apply the scope and the state.
    visible = Event.objects.visible_to(request.user).filter(pk__in=department_events(access))
    counts = visible.aggregate(
        overdue=Count("pk", filter=overdue),
        **{key: Count("pk", filter=condition) for key, condition in conditions.items()},
    )
    events = (
        list_queryset(visible.filter(conditions[state]))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(department_id__in=ids, ended_at__isnull=True),
                to_attr="my_parts",
            )
        )
        .order_by(F("overdue_since").asc(nulls_last=True), "sign_due_at", "resolve_due_at", "id")
    )
    page = window(request, events, total=counts[state])
    for event in page.object_list:
        part = event.my_parts[0] if event.my_parts else None
        event.my_role = part.role if part else ""
        event.sign_action = ""
        if part and part.signed_at is None:
            if part.role == Assignment.Role.LEAD and event.status == S.DISPATCHED:
                event.sign_action = "sign"
            elif part.role == Assignment.Role.ASSIST:
                event.sign_action = "assist_sign"
    return render(
        request,
        "events/inbox.html",
        {
            "state": state,
            "states": [(k, label, counts[k]) for k, label in INBOX_STATES.items()],
            "page_obj": page,
            "events": page.object_list,
            "departments": Department.objects.filter(pk__in=ids).order_by("code"),
            "overdue_count": counts["overdue"],
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def department(request: HttpRequest, pk: int) -> HttpResponse:
    """A department's accountability record (追责) and its counts of urges, overdue, returns."""
    item = get_object_or_404(
        Department.objects.visible_to(request.user).select_related("region"), pk=pk
    )
    records = (
        AccountabilityRecord.objects.visible_to(request.user)
        .filter(department=item)
        .select_related("event")
        .order_by("-recorded_at", "-id")
    )
    by_kind = dict(
        records.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    log = EventLog.objects.filter(department=item)
    figures = {
        "records": sum(by_kind.values()),
        "sign_misses": by_kind.get(AccountabilityRecord.Kind.SIGN, 0),
        "resolve_misses": by_kind.get(AccountabilityRecord.Kind.RESOLVE, 0),
        "urges": log.filter(action="urge").count(),
        "returns": log.filter(action="return").count(),
        "overdue_now": Event.objects.visible_to(request.user)
        .filter(department=item, overdue_since__isnull=False, status__in=Event.OPEN_STATUSES)
        .count(),
    }
    page = window(request, records, total=figures["records"])
    return render(
        request,
        "events/department.html",
        {"department": item, "figures": figures, "page_obj": page, "records": page.object_list},
    )


# --- grid worker's phone pages and intake --------------------------------------------------------


def _pick_map_config() -> dict[str, str]:
    """Return the settings of a map where a click picks a point (hotline, routing test)."""
    return {
        "tileUrl": settings.PINGAN_MAP_TILE_URL or "",
        "tileAttribution": settings.PINGAN_MAP_TILE_ATTRIBUTION or "",
        "regionsUrl": reverse("geo:map_regions") + "?level=township",
    }


def _report_response(request, form, template: str, extra: dict | None = None) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, **(extra or {})}
    return render(request, template, context, status=status)


def _file_report(request: HttpRequest, form, **extra_fields) -> HttpResponse | None:
    """Report through the service; return the redirect, or None with errors on the form."""
    if not form.is_valid():
        return None
    try:
        event, created = services.report_event(
            acting_user=request.user, **form.service_fields(), **extra_fields
        )
    except ValidationError as exc:
        form.apply_service_errors(exc)
        return None
    if created:
        messages.success(
            request, _("Reported. The event number is %(number)s.") % {"number": event.number}
        )
    else:
        messages.info(
            request,
            _("This report was received already as %(number)s.") % {"number": event.number},
        )
    return redirect(event.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Report an event from the phone: text, category, photos, GPS or village."""
    channels = queries.intake_channels(request.user)
    if not channels:
        raise Http404
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, user=request.user, channels=channels)
        done = _file_report(request, form)
        if done is not None:
            return done
    else:
        form = ReportForm(user=request.user, channels=channels)
    photos_lost = request.method == "POST" and bool(request.FILES)
    return _report_response(request, form, "events/report.html", {"photos_lost": photos_lost})


@login_required
@require_http_methods(["GET", "POST"])
def hotline(request: HttpRequest) -> HttpResponse:
    """Centre staff enter a 12345 call or an appeal-box slip (caller phone stored encrypted)."""
    if not is_centre(_access(request)):
        raise Http404
    channels = queries.intake_channels(request.user)
    if request.method == "POST":
        form = HotlineForm(request.POST, request.FILES, user=request.user, channels=channels)
        done = _file_report(request, form)
        if done is not None:
            return done
    else:
        form = HotlineForm(user=request.user, channels=channels)
    return _report_response(
        request,
        form,
        "events/hotline.html",
        {"one_key_form": OneKeyForm(), "tab": "hotline", "map_config": _pick_map_config()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def one_key(request: HttpRequest) -> HttpResponse:
    """An elderly one-key call (一键呼): the calling number finds the caller and the place."""
    if not is_centre(_access(request)):
        raise Http404
    channels = queries.intake_channels(request.user)
    form = OneKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event, created = services.report_one_key_call(
                acting_user=request.user,
                phone=form.cleaned_data["phone"],
                note=form.cleaned_data.get("note") or "",
                client_key=form.cleaned_data.get("client_key") or "",
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            text = _("One-key call recorded as %(number)s.") % {"number": event.number}
            if created:
                messages.success(request, text)
            else:
                messages.info(request, text)
            return redirect(event.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "form": HotlineForm(user=request.user, channels=channels),
        "one_key_form": form,
        "tab": "one_key",
        "map_config": _pick_map_config(),
    }
    return render(request, "events/hotline.html", context, status=status)


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The events I reported (or follow after a merge), newest first."""
    user = request.user
    # A short list of ids, so that the database can use the reporter and primary-key indexes.
    follows = list(
        Event.followers.through.objects.filter(user_id=user.pk).values_list("event_id", flat=True)
    )
    events = list_queryset(
        Event.objects.visible_to(user).filter(Q(reporter_id=user.pk) | Q(pk__in=follows))
    ).order_by("-reported_at", "-id")
    page = window(request, events)
    return render(
        request,
        "events/mine.html",
        {
            "page_obj": page,
            "events": page.object_list,
            "can_report": bool(queries.intake_channels(user)),
            "now": timezone.now(),
        },
    )


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@login_required
@require_GET
def verify_tasks(request: HttpRequest) -> HttpResponse:
    """Resolved events in my grids waiting for an on-site check, nearest first if I say where."""
    access = _access(request)
    if not access.grid_ids:
        raise Http404("Not grid staff")
    events = list_queryset(
        Event.objects.visible_to(request.user).filter(
            status=S.RESOLVED, grid_id__in=access.grid_ids
        )
    )
    lng, lat = _float(request.GET.get("lng")), _float(request.GET.get("lat"))
    near = lng is not None and lat is not None and -180 <= lng <= 180 and -90 <= lat <= 90
    if near:
        rows = list(events.order_by("resolved_at", "id")[:500])
        for event in rows:
            event.distance = event.distance_m(lng, lat) if event.has_point else None
        rows.sort(key=lambda e: (e.distance is None, e.distance or 0))
        page = Window(rows[:PAGE_SIZE], 1, PAGE_SIZE, False, len(rows))
    else:
        page = window(request, events.order_by("resolved_at", "id"))
    return render(
        request,
        "events/verify_tasks.html",
        {"page_obj": page, "events": page.object_list, "near": near, "now": timezone.now()},
    )


# --- overdue board -------------------------------------------------------------------------------


@dataclass
class Group:
    key: int | None
    name: str = ""
    count: int = 0
    oldest: Any = None
    red: int = 0
    yellow: int = 0

    def add(self, row: dict) -> None:
        self.count += row["n"]
        self.red += row["red"]
        self.yellow += row["yellow"]
        if row["oldest"] is not None and (self.oldest is None or row["oldest"] < self.oldest):
            self.oldest = row["oldest"]


@login_required
@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    """Open overdue events by department and township (one GROUP BY), the list, and urging."""
    access = _access(request)
    if not is_supervisor(access):
        raise Http404
    late = Event.objects.visible_to(request.user).filter(
        overdue_since__isnull=False, status__in=Event.OPEN_STATUSES
    )
    rows = (
        late.order_by()
        .values("department_id", "township_id")
        .annotate(
            n=Count("pk"),
            oldest=Min("overdue_since"),
            red=Count("pk", filter=Q(supervision=Event.Supervision.RED)),
            yellow=Count("pk", filter=Q(supervision=Event.Supervision.YELLOW)),
        )
    )
    by_department: dict[int | None, Group] = {}
    by_township: dict[int | None, Group] = {}
    total = Group(None)
    department_id = _int(request.GET.get("department"))
    township_id = _int(request.GET.get("township"))
    selected = 0
    for row in rows:
        by_department.setdefault(row["department_id"], Group(row["department_id"])).add(row)
        by_township.setdefault(row["township_id"], Group(row["township_id"])).add(row)
        total.add(row)
        if (department_id is None or row["department_id"] == department_id) and (
            township_id is None or row["township_id"] == township_id
        ):
            selected += row["n"]
    names = dict(
        Department.objects.filter(pk__in=[k for k in by_department if k]).values_list("id", "name")
    )
    names_t = dict(
        Region.objects.filter(pk__in=[k for k in by_township if k]).values_list("id", "name")
    )
    for key, group in by_department.items():
        group.name = names.get(key, "") if key else _("No department")
    for key, group in by_township.items():
        group.name = names_t.get(key, "") if key else _("County level")
    listed = late
    if department_id is not None:
        listed = listed.filter(department_id=department_id)
    if township_id is not None:
        listed = listed.filter(township_id=township_id)
    page = window(request, list_queryset(listed).order_by("overdue_since", "id"), total=selected)
    return render(
        request,
        "events/overdue.html",
        {
            "total": total,
            "departments": sorted(by_department.values(), key=lambda g: (-g.count, g.name)),
            "townships": sorted(by_township.values(), key=lambda g: (-g.count, g.name)),
            "department_id": department_id,
            "township_id": township_id,
            "page_obj": page,
            "events": page.object_list,
            "urge_default": _("Please handle this overdue event at once and report back."),
            "now": timezone.now(),
        },
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- routing rules -------------------------------------------------------------------------------


def _routing_access(request: HttpRequest) -> queries.Access:
    access = _access(request)
    if not is_centre(access):
        raise Http404
    return access


def rules_in_scope(access: queries.Access) -> QuerySet[RoutingRule]:
    """Return the rules that apply in the user's regions (their own, and those from above)."""
    rules = RoutingRule.objects.select_related(
        "category", "category__parent", "region", "department", "department__region"
    ).defer("region__boundary", "department__region__boundary")
    if access.everything:
        return rules
    q = Q(region__isnull=True)
    above: set[str] = set()
    for path in access.centre_paths:
        q |= Q(region__path__startswith=path)
        above.update(c for c in path.strip("/").split("/") if c)
    return rules.filter(q | Q(region__code__in=above))


def may_edit_rule(request: HttpRequest, access: queries.Access, rule: RoutingRule | None) -> bool:
    """Whether the user may change ``rule`` (None: add one): the permission and the region."""
    perm = "events.add_routingrule" if rule is None else "events.change_routingrule"
    if not request.user.has_perm(perm):
        return False
    if rule is None or access.everything:
        return True
    return rule.region_id is not None and access.covers(rule.region.path, access.centre_paths)


def _rule_form_choices(request: HttpRequest, access: queries.Access) -> dict[str, Any]:
    regions = (
        Region.objects.visible_to(request.user)
        .filter(level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE])
        .defer("boundary")
        .order_by("path")
    )
    departments = (
        Department.objects.visible_to(request.user).filter(is_active=True).order_by("code")
    )
    return {"regions": regions, "departments": departments}


@login_required
@require_GET
def routing_rules(request: HttpRequest) -> HttpResponse:
    """The routing rules in the user's scope, with filters and the "test this rule" form."""
    access = _routing_access(request)
    rules = rules_in_scope(access)
    q = request.GET.get("q", "").strip()
    category = request.GET.get("category", "").strip()
    region = request.GET.get("region", "").strip()
    department_id = _int(request.GET.get("department"))
    if q:
        rules = rules.filter(
            Q(note__icontains=q) | Q(department__name__icontains=q) | Q(category__name__icontains=q)
        )
    if category:
        rules = rules.filter(category__code__startswith=category)
    if region:
        rules = rules.filter(region__code=region)
    if department_id is not None:
        rules = rules.filter(department_id=department_id)
    page = window(request, rules.order_by("category__code", "region__path", "id"))
    for rule in page.object_list:
        rule.editable = may_edit_rule(request, access, rule)
    return render(
        request,
        "events/routing.html",
        {
            "page_obj": page,
            "rules": page.object_list,
            "test_form": RouteTestForm(user=request.user),
            "can_add": may_edit_rule(request, access, None),
            "can_delete": request.user.has_perm("events.delete_routingrule"),
            "categories": category_choices(majors=True)[1:],
            "filter_departments": Department.objects.visible_to(request.user)
            .filter(is_active=True)
            .only("id", "name")
            .order_by("code"),
            "filter_regions": Region.objects.visible_to(request.user)
            .filter(level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP])
            .only("code", "name")
            .order_by("path"),
            "filtered": bool(q or category or region or department_id is not None),
            "map_config": _pick_map_config(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def routing_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a routing rule, or edit one (permission ``events.change_routingrule``)."""
    access = _routing_access(request)
    rule = get_object_or_404(rules_in_scope(access), pk=pk) if pk is not None else None
    if not may_edit_rule(request, access, rule):
        raise Http404
    choices = _rule_form_choices(request, access)
    form = RoutingRuleForm(request.POST or None, instance=rule, **choices)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        text = _("Routing rule saved: %(rule)s") % {"rule": saved}
        messages.success(request, text)
        return redirect("events:routing")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "events/routing_form.html", {"form": form, "rule": rule}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def routing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a routing rule after a confirmation page (``events.delete_routingrule``)."""
    access = _routing_access(request)
    rule = get_object_or_404(rules_in_scope(access), pk=pk)
    if not (
        request.user.has_perm("events.delete_routingrule") and may_edit_rule(request, access, rule)
    ):
        raise Http404
    if request.method == "POST":
        text = _("Routing rule deleted: %(rule)s") % {"rule": rule}
        rule.delete()
        messages.success(request, text)
        return redirect("events:routing")
    return render(request, "events/routing_delete.html", {"rule": rule})


@login_required
@require_GET
def routing_test(request: HttpRequest) -> HttpResponse:
    """Answer "which department gets this, and why" for a category and a place (htmx part)."""
    _routing_access(request)
    form = RouteTestForm(request.GET, user=request.user)
    result = form.route() if form.is_valid() else None
    context = {"test_form": form, "result": result}
    if request.htmx:
        return render(request, "events/_route_result.html", context)
    return render(request, "events/routing_test.html", context)
