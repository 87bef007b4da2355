"""The main menu: every page a role works with, and on which screen it is offered.

One table decides the menu of every user, on the desk (wide screens) and on the phone (the
collapsed menu of narrow screens): an entry is listed when its predicate holds for the user's
:class:`~pingan.accounts.scope.Scope`, so a role sees exactly the pages it may open and that
have something for it — a department handler no map of grids it has none of, a grid worker
their verification tasks on the phone. Entries name pages by URL name only; this module
imports nothing from the apps above ``accounts``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pingan.accounts.scope import Scope

Shows = Callable[[Scope], bool]


def anyone(access: Scope) -> bool:
    return True


def nobody(access: Scope) -> bool:
    return False


def supervisor(access: Scope) -> bool:
    """Centre staff and leaders: the workbench and the overdue board are theirs."""
    return access.is_supervisor


def case_worker(access: Scope) -> bool:
    """Anyone who works on cases (centre, leader, grid staff, department)."""
    return access.is_staff_of_anything


def department(access: Scope) -> bool:
    return bool(access.department_ids)


def grid_staff(access: Scope) -> bool:
    return bool(access.staff_grid_ids)


def keeps_basic_data(access: Scope) -> bool:
    """Centre and grid staff keep basic data (一标三实); see ``people.filters.may_collect``."""
    return access.is_centre or bool(access.staff_grid_ids)


def reporter(access: Scope) -> bool:
    """Who files reports of their own: all but those who only handle or lead (their queues)."""
    only_handles_or_leads = (access.department_ids or access.leader_paths) and not (
        access.is_centre or access.grid_ids
    )
    return not only_handles_or_leads


def has_places(access: Scope) -> bool:
    """Whose map and grid list show something: region staff and grid staff, not departments
    (dispatched work has no grids of its own) nor residents."""
    return access.everything or bool(access.region_paths or access.staff_grid_ids)


def has_regions(access: Scope) -> bool:
    """Whose region list (行政区划) is worth a desk entry: those who hold a region."""
    return access.everything or bool(access.region_paths)


def keeps_reminders(access: Scope) -> bool:
    return access.is_staff_of_anything or bool(access.region_paths)


@dataclass(frozen=True)
class Entry:
    """One page of the main menu: shown on the desk and on the phone to whom the tests allow."""

    key: str  # the element id is nav-<key>
    label: Promise
    url_name: str
    desk: Shows
    phone: Shows


MENU: tuple[Entry, ...] = (
    Entry("home", _("Home"), "accounts:home", anyone, anyone),
    Entry("workbench", _("Event workbench"), "events:workbench", case_worker, supervisor),
    Entry("inbox", _("Department inbox"), "events:inbox", department, department),
    Entry("overdue", _("Overdue board"), "events:overdue", supervisor, supervisor),
    Entry("verify", _("Verification tasks"), "events:verify_tasks", grid_staff, grid_staff),
    Entry("mine", _("My reports"), "events:mine", reporter, reporter),
    Entry("people", _("Basic data"), "people:resident_list", keeps_basic_data, keeps_basic_data),
    Entry("map", _("Map"), "geo:map", has_places, has_places),
    Entry("grids", _("Grids"), "geo:grid_list", has_places, has_places),
    Entry("regions", _("Regions"), "geo:region_list", has_regions, nobody),
    Entry("reminders", _("Reminders"), "workflow:reminder_list", keeps_reminders, keeps_reminders),
)


@dataclass(frozen=True)
class Item:
    """An entry as the navigation bar draws it."""

    key: str
    label: Promise
    url: str
    desk: bool
    phone: bool

    @property
    def css(self) -> str:
        """Return the Bootstrap display classes that keep it to its screens (navbar-expand-lg)."""
        if self.desk and not self.phone:
            return "d-none d-lg-block"
        if self.phone and not self.desk:
            return "d-lg-none"
        return ""


def menu_for(access: Scope) -> list[Item]:
    """Return the menu of a user with scope ``access``: each entry shown on desk or phone."""
    if access.user_id is None:
        return []
    items = []
    for entry in MENU:
        desk, phone = entry.desk(access), entry.phone(access)
        if desk or phone:
            items.append(Item(entry.key, entry.label, reverse(entry.url_name), desk, phone))
    return items
