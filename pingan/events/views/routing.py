"""Routing rules: the list in the user's scope, adding, editing, deleting, and testing a rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pingan.accounts.models import Department
from pingan.accounts.scope import Scope, scope_for
from pingan.events.forms import (
    RouteTestForm,
    RoutingRuleForm,
    category_choices,
)
from pingan.events.models import (
    RoutingRule,
)
from pingan.events.views.common import (
    int_or_none,
    pick_map_config,
    window,
)
from pingan.geo.models import Region


def _routing_access(request: HttpRequest) -> Scope:
    access = scope_for(request.user)
    if not access.is_centre:
        raise Http404
    return access


def rules_in_scope(access: Scope) -> QuerySet[RoutingRule]:
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


def may_edit_rule(request: HttpRequest, access: Scope, rule: RoutingRule | None) -> bool:
    """Whether the user may change ``rule`` (None: add one): the permission and the region."""
    perm = "events.add_routingrule" if rule is None else "events.change_routingrule"
    if not request.user.has_perm(perm):
        return False
    if rule is None or access.everything:
        return True
    return rule.region_id is not None and access.covers(rule.region.path, access.centre_paths)


def _rule_form_choices(request: HttpRequest, access: Scope) -> dict[str, Any]:
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
    department_id = int_or_none(request.GET.get("department"))
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
            "map_config": pick_map_config(),
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
