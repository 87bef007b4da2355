"""The timeline of a workflow item: append-only entries of who did what, when, from which status.

A workflow's entry model inherits :class:`TimelineEntry` and adds the foreign key to its item,
naming it in ``item_field``::

    class EventLog(TimelineEntry):
        item_field = "event"
        event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timeline")

Entries are written only through :func:`write_entry` (``Workflow.write_entry``), in the
transaction of the move they record, and never changed afterwards.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimelineEntry(models.Model):
    """One line of an item's timeline: who did what, when, from which status to which."""

    # The name of the concrete model's foreign key to its item.
    item_field = "item"

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=24)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    # The unit the entry is about (the department that signed, returned, was urged…).
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        abstract = True
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        # Shown by the admin above each timeline row: the step as the timeline names it, local time.
        return f"{self.step_label()} · {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    def step_label(self) -> str:
        """Return what this entry's step is called (a workflow's entry overrides this)."""
        return self.action


def write_entry(
    model: type[TimelineEntry],
    item: models.Model,
    action: str,
    actor: Any = None,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    department: Any = None,
    data: dict | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """Append the entry of ``action`` by ``actor`` to ``item``'s timeline and return it."""
    return model.objects.create(
        **{model.item_field: item},
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status or "",
        to_status=to_status or "",
        note=note or "",
        department=department,
        data=data or {},
    )
