"""One FilterSet per list, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pingan.geo.models import Grid, Region


class RegionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search (name or code)"))
    level = django_filters.ChoiceFilter(choices=Region.Level.choices, label=_("Level"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent code"))
    within = django_filters.CharFilter(method="filter_within", label=_("Under region (code)"))

    class Meta:
        model = Region
        fields = ["q", "level", "parent", "within"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))

    def filter_within(self, queryset, name, value):
        return queryset.filter(path__contains=f"/{value.strip()}/")


class GridFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search (name or code)"))
    kind = django_filters.ChoiceFilter(choices=Grid.Kind.choices, label=_("Kind"))
    subkind = django_filters.ChoiceFilter(
        choices=[c for c in Grid.SubKind.choices if c[0]], label=_("Sub-kind")
    )
    region = django_filters.CharFilter(method="filter_region", label=_("Region (code)"))
    is_active = django_filters.BooleanFilter(label=_("In use"))

    class Meta:
        model = Grid
        fields = ["q", "kind", "subkind", "region", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(code__startswith=value) | Q(region__name__icontains=value)
        )

    def filter_region(self, queryset, name, value):
        """Grids in the region with this code or anywhere under it."""
        return queryset.filter(path__contains=f"/{value.strip()}/")
