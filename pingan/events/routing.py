"""Routing: which department handles an event of a category at a place, and why.

Rules are (category, region subtree) → department rows (``RoutingRule``). The most specific
rule wins: a deeper region beats a shallower one, then a minor category beats its major
category, which beats a rule for every category. Two rules equally specific but naming
different departments are a tie; a tie or no rule at all sends the event to the governance
centre that covers the place (village, else township, else county), where a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from pingan.accounts.models import Department
from pingan.core.cache import TableCache
from pingan.events.models import Category, RoutingRule
from pingan.geo.models import Region


@dataclass(frozen=True)
class Route:
    """Where an event goes: a department (or None: the centre's queue) and the reason."""

    department: Department | None
    centre: Department | None
    rule: RoutingRule | None
    reason: str


def _load_centres() -> dict[str, Department]:
    """Return the active governance centres keyed by their region's code (the first by code)."""
    centres: dict[str, Department] = {}
    for dept in (
        Department.objects.filter(kind=Department.Kind.CENTER, is_active=True)
        .select_related("region")
        .order_by("code")
    ):
        centres.setdefault(dept.region.code, dept)
    return centres


def _load_rules() -> dict[int | None, list[RoutingRule]]:
    """Return the active rules keyed by category id (None: rules for every category)."""
    rules: dict[int | None, list[RoutingRule]] = {}
    for rule in RoutingRule.objects.filter(
        is_active=True, department__is_active=True
    ).select_related("category", "region", "department"):
        rules.setdefault(rule.category_id, []).append(rule)
    return rules


# Kept per process and rebuilt on any change (see pingan.core.cache): intake routes in memory.
CENTRES = TableCache("centres", _load_centres).depends_on([Department, Region])
RULES = TableCache("routing-rules", _load_rules).depends_on(
    [RoutingRule, Department, Region, Category]
)


def _codes(path: str) -> list[str]:
    return [c for c in path.strip("/").split("/") if c]


def centre_for(region: Region | None) -> Department | None:
    """Return the governance centre covering ``region``: its own, else the nearest above."""
    if region is None:
        return None
    codes = _codes(region.path)
    centres = CENTRES.get()
    for code in reversed(codes):
        if code in centres:
            return centres[code]
    return None


def _specificity(rule: RoutingRule) -> tuple[int, int]:
    region_depth = rule.region.path.count("/") if rule.region_id else 0
    category_level = rule.category.level if rule.category_id else 0
    return region_depth, category_level


def matching_rules(category: Category | None, region: Region) -> list[RoutingRule]:
    """Return the active rules that cover ``category`` at ``region``, most specific first."""
    if category is None:
        return []
    categories = [category.pk] + ([category.parent_id] if category.parent_id else [])
    codes = set(_codes(region.path))
    by_category = RULES.get()
    rules = [
        rule
        for key in (*categories, None)
        for rule in by_category.get(key, ())
        if rule.region_id is None or rule.region.code in codes
    ]
    return sorted(rules, key=_specificity, reverse=True)


def route(category: Category | None, region: Region) -> Route:
    """Return where an event of ``category`` at ``region`` goes, with the reason in words."""
    centre = centre_for(region)
    if category is None:
        return Route(None, centre, None, _("No category: the centre classifies and dispatches."))
    rules = matching_rules(category, region)
    if not rules:
        return Route(
            None, centre, None, _("No routing rule covers this category here: the centre decides.")
        )
    best = _specificity(rules[0])
    top = [r for r in rules if _specificity(r) == best]
    departments = {r.department_id for r in top}
    if len(departments) > 1:
        names = "、".join(sorted({r.department.name for r in top}))
        return Route(
            None,
            centre,
            None,
            _("Equally specific rules name different departments (%(names)s): the centre decides.")
            % {"names": names},
        )
    rule = top[0]
    where = rule.region.name if rule.region_id else _("everywhere")
    what = str(rule.category) if rule.category_id else _("every category")
    return Route(
        rule.department,
        centre,
        rule,
        _("Rule “%(what)s in %(where)s → %(department)s” is the most specific match.")
        % {"what": what, "where": where, "department": rule.department.name},
    )
