"""The reminder form: a title and either a due moment or "in N minutes"."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_MINUTES = 366 * 24 * 60


class ReminderForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_at = forms.DateTimeField(
        label=_("due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    in_minutes = forms.IntegerField(
        label=_("or in … minutes"), required=False, min_value=1, max_value=MAX_MINUTES
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean(self) -> dict:
        data = super().clean()
        due_at, minutes = data.get("due_at"), data.get("in_minutes")
        if self.has_error("due_at") or self.has_error("in_minutes"):
            return data
        if (due_at is None) == (minutes is None):
            # On the field, not above the form, and whatever else is wrong (all errors at once).
            self.add_error("due_at", _("Give either a due time or a number of minutes."))
            return data
        now = timezone.now()
        if minutes is not None:
            data["due_at"] = now + dt.timedelta(minutes=minutes)
        elif due_at <= now:
            self.add_error("due_at", _("The due time must lie in the future."))
        elif due_at > now + dt.timedelta(minutes=MAX_MINUTES):
            self.add_error("due_at", _("The due time must lie within a year."))
        return data
