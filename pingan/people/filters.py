"""The list filters of basic data, shared by the pages and the API; scope helpers.

Every read of a record goes through ``Model.objects.visible_to(user)``; the ``get_*_for_user``
helpers answer 404 for a record outside the user's scope.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.accounts.scope import scope_for
from pingan.geo.models import Grid
from pingan.people.models import House, Household, HouseholdGroup, Organization, Resident

# The kinds of record a worker verifies (核实), by the name the URLs and the unverified list use.
RECORD_KINDS: dict[str, type[Model]] = {
    "residents": Resident,
    "households": Household,
    "houses": House,
    "organizations": Organization,
    "groups": HouseholdGroup,
}


def grids_in_scope(user) -> QuerySet:
    """Return the grids where ``user`` may collect basic data: their grids, or their regions'."""
    access = scope_for(user)
    if access.everything:
        return Grid.objects.all()
    q = Q(id__in=access.staff_grid_ids) if access.staff_grid_ids else Q()
    for path in access.centre_paths:
        q |= Q(path__startswith=path)
    return Grid.objects.filter(q) if q else Grid.objects.none()


def grid_choices(user) -> QuerySet:
    """Return the grids ``user`` may collect in, light and by code: for forms and filters."""
    return grids_in_scope(user).only("code", "name", "region").order_by("code")


def may_collect(user) -> bool:
    """Return whether ``user`` is centre or grid staff (the people who keep basic data)."""
    access = scope_for(user)
    return access.everything or bool(access.centre_paths) or bool(access.staff_grid_ids)


def get_resident_for_user(user, pk: int) -> Resident:
    """Return the resident ``pk`` if ``user`` may see them; Http404 otherwise."""
    queryset = Resident.objects.visible_to(user).select_related("grid", "address", "region")
    return get_object_or_404(queryset, pk=pk)


def get_record_for_user(user, kind: str, pk: int) -> Model:
    """Return the record of ``kind`` (a RECORD_KINDS key) ``pk`` if ``user`` may see it; 404."""
    model = RECORD_KINDS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model.objects.visible_to(user), pk=pk)


def get_household_for_user(user, pk: int) -> Household:
    """Return the household ``pk`` if ``user`` may see it; Http404 otherwise."""
    queryset = Household.objects.visible_to(user).select_related("grid", "address", "region")
    return get_object_or_404(queryset, pk=pk)


def get_group_for_user(user, pk: int) -> HouseholdGroup:
    """Return the 联户 group ``pk`` if ``user`` may see it; Http404 otherwise."""
    queryset = HouseholdGroup.objects.visible_to(user).select_related("grid", "head", "region")
    return get_object_or_404(queryset, pk=pk)


def resident_search(value: str) -> Q:
    """Return the filter of residents matching a name, the last four of an ID, or a whole ID.

    A whole ID number (15 or 18 characters) is found through its keyed hash: the plain number
    is never stored, so it cannot be matched any other way.
    """
    value = (value or "").strip()
    q = Q(name__icontains=value)
    compact = value.replace(" ", "")
    if len(compact) == 4:
        q |= Q(id_number_suffix__iexact=compact)
    if len(compact) in (15, 18):
        q |= Q(id_number_hash=Resident.hash_of(compact))
    return q


def unverified_before() -> dt.datetime:
    """Return the time before which a verification counts as stale."""
    return timezone.now() - dt.timedelta(days=settings.PINGAN_VERIFY_AFTER_DAYS)


class ResidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search (name, last 4 of ID, address, household)")
    )
    grid = django_filters.CharFilter(field_name="grid__code", label=_("Grid (code)"))
    residence_type = django_filters.ChoiceFilter(
        choices=Resident.ResidenceType.choices, label=_("Residence type"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=Resident.Status.choices, label=_("Status"), empty_label=_("All")
    )
    unverified = django_filters.BooleanFilter(
        method="filter_unverified", label=_("Not verified recently")
    )

    class Meta:
        model = Resident
        fields = ["q", "grid", "residence_type", "status", "unverified"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return queryset
        q = resident_search(value)
        q |= (
            Q(address__street__icontains=value)
            | Q(address__normalised__icontains=value.replace(" ", "").upper())
            | Q(registered_address__icontains=value)
        )
        q |= Q(households__number__icontains=value)
        return queryset.filter(q).distinct()

    def filter_unverified(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        stale = Q(verified_at__isnull=True) | Q(verified_at__lt=unverified_before())
        return queryset.filter(stale) if value else queryset.exclude(stale)


class HouseholdGroupFilter(django_filters.FilterSet):
    """Filter of 联户 groups: search by the name or the head's name, by grid code and kind."""

    q = django_filters.CharFilter(method="search", label=_("Search (group name, head's name)"))
    grid = django_filters.CharFilter(field_name="grid__code", label=_("Grid (code)"))
    kind = django_filters.ChoiceFilter(choices=HouseholdGroup.Kind.choices, label=_("Kind"))

    class Meta:
        model = HouseholdGroup
        fields = ["q", "grid", "kind"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(head__name__icontains=value))
