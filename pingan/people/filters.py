"""The resident list filter, shared by the pages and the API; scope helpers of basic data."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.events.queries import access_for
from pingan.geo.models import Grid
from pingan.people.models import Resident


def grids_in_scope(user) -> QuerySet:
    """Return the grids where ``user`` may collect basic data: their grids, or their regions'."""
    access = access_for(user)
    if access.everything:
        return Grid.objects.all()
    q = Q(id__in=access.grid_ids) if access.grid_ids else Q()
    for path in access.centre_paths:
        q |= Q(path__startswith=path)
    return Grid.objects.filter(q) if q else Grid.objects.none()


def may_collect(user) -> bool:
    """Return whether ``user`` is centre or grid staff (the people who keep basic data)."""
    access = access_for(user)
    return access.everything or bool(access.centre_paths) or bool(access.grid_ids)


def get_resident_for_user(user, pk: int) -> Resident:
    """Return the resident ``pk`` if ``user`` may see them; Http404 otherwise."""
    queryset = Resident.objects.visible_to(user).select_related("grid", "address", "region")
    return get_object_or_404(queryset, pk=pk)


def unverified_before() -> dt.datetime:
    """Return the time before which a verification counts as stale."""
    return timezone.now() - dt.timedelta(days=settings.PINGAN_VERIFY_AFTER_DAYS)


class ResidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search (name, last 4 of ID, address, household)")
    )
    grid = django_filters.CharFilter(field_name="grid__code", label=_("Grid (code)"))
    residence_type = django_filters.ChoiceFilter(
        choices=Resident.ResidenceType.choices, label=_("Residence type")
    )
    status = django_filters.ChoiceFilter(choices=Resident.Status.choices, label=_("Status"))
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
        q = Q(name__icontains=value)
        if len(value) == 4:
            q |= Q(id_number_suffix__iexact=value)
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
