"""The event list filter, shared by the workbench, the inbox, the Excel export and the API."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.core.ids import IdFilter
from pingan.events.models import Event

NUMBER_RE = re.compile(r"^[A-Za-z]{1,4}-\d{8}-\d{1,6}$")  # a whole number, SJ-20260314-0007
TABS = {
    "dispatch": _("To dispatch"),
    "overdue": _("Overdue"),
    "escalated": _("Escalated / supervised"),
    "verify": _("Awaiting verification"),
    "open": _("All open"),
    "all": _("All"),
}


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search (number, title, description, address)")
    )
    tab = django_filters.ChoiceFilter(
        choices=list(TABS.items()), method="filter_tab", label=_("Queue"), empty_label=None
    )
    status = django_filters.MultipleChoiceFilter(choices=Event.Status.choices, label=_("Status"))
    category = django_filters.CharFilter(method="filter_category", label=_("Category (code)"))
    township = django_filters.CharFilter(method="filter_region", label=_("Township (code)"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region (code)"))
    grid = django_filters.CharFilter(field_name="grid__code", label=_("Grid (code)"))
    department = IdFilter(field_name="department_id", label=_("Department"))
    channel = django_filters.ChoiceFilter(choices=Event.Channel.choices, label=_("Channel"))
    supervision = django_filters.ChoiceFilter(
        choices=[c for c in Event.Supervision.choices if c[0]], label=_("Supervision")
    )
    priority = django_filters.ChoiceFilter(
        choices=Event._meta.get_field("priority").choices, label=_("Priority")
    )
    # Days are local (Asia/Shanghai); compared as a time range so the reported_at index serves.
    reported_after = django_filters.DateFilter(method="filter_reported", label=_("Reported from"))
    reported_before = django_filters.DateFilter(method="filter_reported", label=_("Reported until"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = Event
        fields = [
            "q",
            "tab",
            "status",
            "category",
            "township",
            "region",
            "grid",
            "department",
            "channel",
            "supervision",
            "priority",
            "reported_after",
            "reported_before",
            "overdue",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if NUMBER_RE.match(value):
            # A whole case number: the unique index answers at once, whatever the table size.
            return queryset.filter(number=value.upper())
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(address__icontains=value)
        )

    def filter_tab(self, queryset, name, value):
        from pingan.events import figures

        return figures.workbench_queue(queryset, value)

    def filter_category(self, queryset, name, value):
        """The category with this code, or any minor category of a major one."""
        value = value.strip()
        return queryset.filter(category__code__startswith=value) if value else queryset

    def filter_region(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(path__contains=f"/{value}/") if value else queryset

    def filter_reported(self, queryset, name, value):
        if value is None:
            return queryset
        # The day's start (after) or the next day's (until), as UTC: the query converts it, and
        # at the calendar's ends (0001-01-01, 9999-12-31) that overflows. There is no bound.
        try:
            day = value if name == "reported_after" else value + dt.timedelta(days=1)
            bound = timezone.make_aware(dt.datetime.combine(day, dt.time.min)).astimezone(dt.UTC)
        except OverflowError:
            return queryset
        if name == "reported_after":
            return queryset.filter(reported_at__gte=bound)
        return queryset.filter(reported_at__lt=bound)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        from pingan.events.figures import OVERDUE

        return queryset.filter(OVERDUE) if value else queryset.exclude(OVERDUE)
