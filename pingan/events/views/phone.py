"""The grid worker's phone pages and intake: report, my reports, verification tasks, and
the centre's hotline and one-key call entry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pingan.accounts.scope import scope_for
from pingan.events import figures as event_figures
from pingan.events import queries, services
from pingan.events.forms import (
    HotlineForm,
    OneKeyForm,
    ReportForm,
)
from pingan.events.intake_warnings import intake_warnings
from pingan.events.models import (
    Event,
)
from pingan.events.services.inputs import home_county
from pingan.events.views.common import (
    PAGE_SIZE,
    Window,
    float_or_none,
    list_queryset,
    pick_map_config,
    window,
)
from pingan.geo import extent


def _report_response(request, form, template: str, extra: dict | None = None) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "place_check": place_check(request.user), **(extra or {})}
    return render(request, template, context, status=status)


def place_check(user) -> dict | None:
    """Return the county's outline for the report page to warn of a point outside it."""
    area = extent.county_area(home_county(user))
    return area.for_page() if area else None


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
    _warn(request, event)
    return redirect(event.get_absolute_url())


def _warn(request: HttpRequest, event: Event) -> None:
    """Tell the reporter at once what they should know about the report (its place)."""
    for warning in intake_warnings(event, getattr(event, "written", {}).get("timeline")):
        messages.warning(request, warning["message"])


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Report an event from the phone: text, category, photos, GPS or village."""
    channels = queries.intake_channels(request.user)
    if not channels:
        raise PermissionDenied(queries.may_not_report(request.user))
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
    if not scope_for(request.user).is_centre:
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
        {"one_key_form": OneKeyForm(), "tab": "hotline", "map_config": pick_map_config()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def one_key(request: HttpRequest) -> HttpResponse:
    """An elderly one-key call (一键呼): the calling number finds the caller and the place."""
    if not scope_for(request.user).is_centre:
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
            _warn(request, event)
            return redirect(event.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "form": HotlineForm(user=request.user, channels=channels),
        "one_key_form": form,
        "tab": "one_key",
        "map_config": pick_map_config(),
        "place_check": place_check(request.user),
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


@login_required
@require_GET
def verify_tasks(request: HttpRequest) -> HttpResponse:
    """Resolved events in my grids waiting for an on-site check, nearest first if I say where."""
    access = scope_for(request.user)
    if not access.staff_grid_ids:
        raise Http404("Not grid staff")
    events = list_queryset(event_figures.verify_queue(request.user))
    lng, lat = float_or_none(request.GET.get("lng")), float_or_none(request.GET.get("lat"))
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
