"""The event page: header, deadlines, timeline, map, photos, thread and the action panel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pingan.accounts.models import Department
from pingan.accounts.scope import scope_for
from pingan.core.transitions import IllegalTransition, MoveForbidden
from pingan.events import queries, routing, services
from pingan.events.duplicates import possible_duplicates
from pingan.events.forms import (
    ActionForm,
    category_choices,
    handling_departments,
    village_choices,
)
from pingan.events.models import (
    Assignment,
    Attachment,
    Event,
    EventLog,
    Request,
)
from pingan.events.queries import get_event_for_user
from pingan.events.services.supervision import URGED_RECENTLY
from pingan.events.templatetags.event_tags import STATUS_COLORS, move_url
from pingan.events.transitions import WORKFLOW, allowed_for
from pingan.events.views.common import (
    safe_next,
)
from pingan.geo import extent
from pingan.geo.models import Region


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
    for action in WORKFLOW.ordered(allowed):
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
        entry.label = WORKFLOW.log_label(entry.action)
        entry.since_previous = (entry.at - previous.at) if previous is not None else None
        entry.to_label = Event.Status(entry.to_status).label if entry.to_status else ""
        entry.from_label = Event.Status(entry.from_status).label if entry.from_status else ""
        # A status change only when there is one ("dispatched → dispatched" is none).
        entry.status_changed = bool(entry.to_status) and entry.to_status != entry.from_status
        previous = entry
    return entries


def _event_map(event: Event) -> dict[str, Any]:
    """Return the small map's settings: the event's grid or region, and its point.

    A point outside the event's county is drawn but not fitted (the map would otherwise show
    half of China around a village); the page says where it lies.
    """
    area = extent.county_area_of_code(event.county_code) if event.has_point else None
    return {
        "point": [event.lng, event.lat] if event.has_point else None,
        "pointOutside": bool(area and not area.contains(event.lng, event.lat)),
        "extent": area.bbox() if area else None,
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
    resolution_photos: list[Attachment] = []
    for item in event.attachments.all():
        photos.setdefault(item.get_stage_display(), []).append(item)
        if item.stage == Attachment.Stage.RESOLUTION:
            resolution_photos.append(item)
    duplicates = []
    if queries.CENTRE in roles and event.is_open:
        duplicates = possible_duplicates(event, user)
    pending = (
        event.requests.filter(status=Request.Status.PENDING)
        .select_related("requested_by", "department")
        .first()
    )
    timeline = _timeline(event)
    evidence = None
    if any(form.action in ("verify", "rework") for form in forms):
        # Next to the verify buttons: what the department says it did, to compare on site.
        resolved = next((e for e in reversed(timeline) if e.action == "resolve"), None)
        evidence = {
            "photos": [p for p in resolution_photos if resolved is None or p.log_id == resolved.pk]
            or resolution_photos,
            "entry": resolved,
        }
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
        "allowed_labels": [WORKFLOW.label(a) for a in allowed_for(event, user)] if conflict else [],
        "timeline": timeline,
        "total_time": total,
        "thread": list(thread),
        "photos": photos,
        "evidence": evidence,
        "duplicates": duplicates,
        "assignments": list(event.assignments.all()),
        "pending": pending,
        "map_config": _event_map(event),
        # Only the merged events this user may open: the others answer 404, so are not named.
        "merged_events": list(
            event.merged_events.visible_to(user).only("id", "number", "title", "description")
        ),
        "merged_into_visible": bool(
            event.merged_into_id
            and Event.objects.visible_to(user).filter(pk=event.merged_into_id).exists()
        ),
        "department_link": bool(
            event.department_id
            and Department.objects.visible_to(user).filter(pk=event.department_id).exists()
        ),
        "now": timezone.now(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The event page: header, deadlines, timeline, map, photos, thread and the action panel.

    A POST makes the move named by ``?action=`` (see :func:`act`).
    """
    action = request.GET.get("action", "")
    if request.method == "POST":
        return _act(request, pk, action)
    event = _event_for_page(request, pk)
    context = detail_context(request, event)
    if action:
        context["open_action"] = action
    return render(request, "events/detail.html", context)


def _after_move_url(request: HttpRequest, event: Event) -> str:
    """Return where to go after a move: ``next``, else the event if the user still sees it."""
    fallback = event.get_absolute_url()
    if not Event.objects.visible_to(request.user).filter(pk=event.pk).exists():
        access = scope_for(request.user)
        fallback = reverse("events:inbox" if access.department_ids else "events:workbench")
    return safe_next(request, fallback)


def _conflict(request: HttpRequest, pk: int, exc: IllegalTransition) -> HttpResponse:
    try:
        event = _event_for_page(request, pk)
    except Http404:
        messages.error(request, exc.message)
        access = scope_for(request.user)
        return redirect("events:inbox" if access.department_ids else "events:workbench")
    message = _("This move is no longer possible: the event is now “%(status)s”. %(reason)s") % {
        "status": event.get_status_display(),
        "reason": exc.message,
    }
    context = detail_context(request, event, conflict=message)
    return render(request, "events/detail.html", context, status=409)


@login_required
@require_http_methods(["GET", "POST"])
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Make one move on the event; a GET (a reload, an old link) opens the event page."""
    if request.method == "GET":
        return redirect(move_url(pk, action))
    return _act(request, pk, action)


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Make one move on the event (``services.perform``); show errors next to the fields."""
    event = _event_for_page(request, pk)
    try:
        # The table's one rule: a move the user's part never allows is refused (403, with the
        # reason on the error page); one not possible now shows the event's new state (409).
        move = WORKFLOW.check(event, action, request.user)
    except MoveForbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except IllegalTransition as exc:
        return _conflict(request, pk, exc)
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
        except MoveForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except IllegalTransition as exc:
            return _conflict(request, pk, exc)
        except ValidationError as exc:
            if getattr(exc, "code", None) != URGED_RECENTLY:
                form.apply_service_errors(exc)
            else:
                # Not a mistake in the form: say so and go back to where the user was.
                messages.warning(
                    request,
                    _("%(number)s %(title)s: %(message)s")
                    % {
                        "number": event.number,
                        "title": event.display_title,
                        "message": exc.message,
                    },
                )
                return redirect(_after_move_url(request, event))
        else:
            messages.success(
                request,
                _("Done: %(action)s — %(number)s %(title)s.")
                % {
                    "action": WORKFLOW.label(action),
                    "number": event.number,
                    "title": event.display_title,
                },
            )
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
