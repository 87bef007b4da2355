"""Who saw a resident's personal data: the reveal log and the access log."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pingan.core.fields import NoteField
from pingan.people.models.records import (
    Resident,
)


class RevealLog(models.Model):
    """One look at a plain ID or phone number: who, whose, which field, when, and why."""

    class Field(models.TextChoices):
        ID_NUMBER = "id_number", _("ID number")
        PHONE = "phone", _("Phone")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="reveals"
    )
    field = models.CharField(_("field"), max_length=12, choices=Field.choices)
    reason = NoteField(_("reason"), max_length=200)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("reveal log entry")
        verbose_name_plural = _("reveal log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} → {self.resident_id} {self.field} {self.at:%Y-%m-%d %H:%M}"


# Names of what a page or the API showed of a resident where the model's own verbose name
# reads wrong in a log ("名称" for a person) or the field is a relation without one.
SHOWN_FIELD_LABELS = {
    "name": _("full name"),
    "households": pgettext_lazy("resident field", "households"),
}


def shown_field_label(name: str) -> str:
    """Return the Chinese (translated) name of the resident field ``name``, e.g. 出生日期."""
    if name in SHOWN_FIELD_LABELS:
        return str(SHOWN_FIELD_LABELS[name])
    try:
        field = Resident._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


class AccessLog(models.Model):
    """A view of a resident's record (page or API), or an export with its filter and size."""

    class Via(models.TextChoices):
        PAGE = "page", _("Page")
        API = "api", _("API")
        EXPORT = "export", _("Export")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_log",
    )
    via = models.CharField(_("via"), max_length=8, choices=Via.choices)
    fields = models.JSONField(_("fields shown"), default=list, blank=True)
    query = models.JSONField(_("filter"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["resident", "at"], name="accesslog_resident_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_via_display()} {self.at:%Y-%m-%d %H:%M}"

    def field_labels(self) -> list[str]:
        """Return the names of the fields shown, as a person reads them (姓名, 性别, …)."""
        return [shown_field_label(name) for name in self.fields]
