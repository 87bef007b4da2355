"""The department inbox and record, and the overdue board."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from pingan.accounts.models import Department, User
from pingan.accounts.scope import scope_for
from pingan.events import figures as event_figures
from pingan.events.models import (
    Assignment,
    Event,
)
from pingan.events.queries import ASSISTING, DEPARTMENT
from pingan.events.transitions import WORKFLOW
from pingan.events.views.common import (
    int_or_none,
    list_queryset,
    window,
)
from pingan.geo.models import Region
from pingan.workflow.links import attach_item_urls
from pingan.workflow.models import AccountabilityRecord

INBOX_STATES = {
    "to_sign": gettext_lazy("To sign for"),
    "in_hand": gettext_lazy("In hand"),
    "done": gettext_lazy("Resolved"),
    "overdue": gettext_lazy("Overdue"),
}


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """A department's events (lead or assisting) by state, overdue first, signing inline."""
    access = scope_for(request.user)
    if not access.department_ids:
        raise Http404("Not a department handler")
    ids = sorted(access.department_ids)
    state = request.GET.get("state", "to_sign")
    if state not in INBOX_STATES:
        state = "to_sign"
    # The tabs' counts and the list come from the same definitions (events.figures).
    counts = event_figures.inbox_counts(request.user)
    events = (
        list_queryset(event_figures.inbox_queue(request.user, state))
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
            lead = part.role == Assignment.Role.LEAD
            action = "sign" if lead else "assist_sign"
            # The button only where the table allows the move for our part (not while paused).
            move = WORKFLOW.table.get(event.status, {}).get(action)
            if move is not None and (DEPARTMENT if lead else ASSISTING) in move.roles:
                event.sign_action = action
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
        .order_by("-recorded_at", "-id")
    )
    figures = event_figures.department_record(
        item, events=Event.objects.visible_to(request.user), records=records
    )
    page = window(request, records, total=figures["records"])
    attach_item_urls(page.object_list, request.user)
    # "Overdue now" links to the list it counts: the overdue board for those who supervise,
    # the department's own inbox for its handlers.
    access = scope_for(request.user)
    overdue_url = ""
    if access.is_supervisor:
        overdue_url = f"{reverse('events:overdue')}?department={item.pk}"
    elif item.pk in access.department_ids and len(access.department_ids) == 1:
        overdue_url = f"{reverse('events:inbox')}?state=overdue"
    return render(
        request,
        "events/department.html",
        {
            "department": item,
            "figures": figures,
            "page_obj": page,
            "records": page.object_list,
            "overdue_url": overdue_url,
        },
    )


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
    access = scope_for(request.user)
    if not access.is_supervisor:
        raise Http404
    late = event_figures.overdue_now(Event.objects.visible_to(request.user))
    rows = event_figures.overdue_board(late)
    by_department: dict[int | None, Group] = {}
    by_township: dict[int | None, Group] = {}
    total = Group(None)
    department_id = int_or_none(request.GET.get("department"))
    township_id = int_or_none(request.GET.get("township"))
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
    listed = list_queryset(listed).prefetch_related(
        Prefetch("followers", queryset=User.objects.only("id"))
    )
    page = window(request, listed.order_by("overdue_since", "id"), total=selected)
    for event in page.object_list:
        # The urge button only where the table lets this user urge (one rule: pages, API).
        event.may_urge = WORKFLOW.may(event, "urge", request.user)
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
