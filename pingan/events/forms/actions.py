"""The action panel's form: one form whose fields follow the move chosen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.accounts.models import Department
from pingan.core.text import CleanCharField
from pingan.core.transitions import Move
from pingan.events.forms.common import (
    MultiplePhotoField,
    PinganForm,
    category_choices,
)
from pingan.events.models import Event, Priority


def handling_departments(event: Event):
    """Return the active departments of the event's county (the ones it can go to)."""
    qs = Department.objects.filter(is_active=True).select_related("region")
    if event.county_code:
        qs = qs.filter(Q(region__county_code=event.county_code) | Q(region__code=event.county_code))
    return qs.order_by("region__path", "kind", "code")


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.region.name}）"


class DepartmentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.region.name}）"


class ActionForm(PinganForm):
    """The fields one move needs (its ``Move.fields`` required, ``Move.optional`` not)."""

    def __init__(
        self,
        *args,
        action: str,
        move: Move,
        event: Event,
        departments=None,
        suggestion: Department | None = None,
        categories: list | None = None,
        villages: list | None = None,
        **kwargs,
    ):
        kwargs.setdefault("prefix", action)
        super_fields: dict[str, forms.Field] = {}
        required = set(move.fields)
        for name in (*move.fields, *move.optional):
            field = self._field(name, move, event, departments, suggestion, categories, villages)
            if field is None:
                continue
            field.required = name in required and name not in move.blank
            super_fields[name] = field
        if move.confirm:
            super_fields["confirm"] = forms.BooleanField(
                label=_("I am sure: this cannot be undone."), required=True
            )
        self.base_fields = super_fields
        self.action = action
        self.move = move
        super().__init__(*args, **kwargs)
        if "department" in self.fields and suggestion is not None and not self.is_bound:
            self.initial["department"] = suggestion.pk
        if "category" in self.fields and event.category_id and not self.is_bound:
            self.initial["category"] = event.category.code
        if "grade" in self.fields and not self.is_bound:
            self.initial["grade"] = event.supervision

    @property
    def label(self) -> str:
        return str(self.move.label or self.action)

    @property
    def icon(self) -> str:
        return self.move.icon or "bi-arrow-right"

    @property
    def style(self) -> str:
        return self.move.style

    @property
    def destructive(self) -> bool:
        return self.move.confirm

    @property
    def has_files(self) -> bool:
        return "photos" in self.fields

    @property
    def is_simple(self) -> bool:
        """Whether the move is one button with at most an optional note."""
        return all(not f.required for f in self.fields.values()) and set(self.fields) <= {"note"}

    @staticmethod
    def _field(name, move, event, departments, suggestion, categories, villages):
        if name == "note":
            return CleanCharField(
                multiline=True,
                label=move.note_label or _("Note"),
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if name == "department":
            return DepartmentChoiceField(
                label=_("Department"),
                queryset=departments if departments is not None else handling_departments(event),
                empty_label=_("— choose —"),
                help_text=_("Suggested by the routing rules: %(name)s") % {"name": suggestion.name}
                if suggestion
                else "",
            )
        if name == "departments":
            qs = departments if departments is not None else handling_departments(event)
            if event.department_id:
                qs = qs.exclude(pk=event.department_id)
            return DepartmentMultipleChoiceField(
                label=_("Departments to summon"),
                queryset=qs,
                widget=forms.SelectMultiple(attrs={"size": 6}),
                help_text=_("They assist the lead department and each signs for its part."),
            )
        if name == "due_at":
            return forms.DateTimeField(
                label=_("New deadline"),
                widget=forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                ),
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            )
        if name == "grade":
            return forms.ChoiceField(
                label=_("Supervision grade"), choices=Event.Supervision.choices
            )
        if name == "rating":
            return forms.ChoiceField(
                label=_("Are you satisfied?"),
                choices=Event.Rating.choices,
                widget=forms.RadioSelect,
            )
        if name == "photos":
            return MultiplePhotoField(label=_("Photos"))
        if name == "category":
            return forms.ChoiceField(
                label=_("Category"),
                choices=categories if categories is not None else category_choices(),
            )
        if name == "village":
            return forms.ChoiceField(
                label=_("Village / community"),
                choices=villages or [("", _("— choose —"))],
            )
        if name in ("lng", "lat"):
            label = _("Longitude") if name == "lng" else _("Latitude")
            limit = 180 if name == "lng" else 90
            return forms.FloatField(label=label, min_value=-limit, max_value=limit)
        if name == "title":
            return CleanCharField(label=_("Title"), max_length=100)
        if name == "priority":
            return forms.ChoiceField(
                label=_("Priority"), choices=[("", _("Unchanged")), *Priority.choices]
            )
        if name == "into":
            return forms.CharField(
                label=_("Number of the event to merge into"),
                max_length=24,
                widget=forms.TextInput(attrs={"placeholder": "SJ-20260314-0007"}),
            )
        if name == "level":
            return forms.ChoiceField(
                label=_("Centre to take command"),
                choices=[
                    ("", _("The next level up")),
                    ("township", _("Township centre")),
                    ("county", _("County centre")),
                ],
            )
        if name == "internal":
            return forms.BooleanField(label=_("Internal: hidden from the reporter"), required=False)
        return None

    def clean_due_at(self):
        value = self.cleaned_data.get("due_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def service_fields(self) -> dict[str, Any]:
        """Return the cleaned values as ``services.perform`` takes them."""
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name == "confirm":
                continue
            if name == "departments":
                value = list(value or [])
            elif name in ("category", "village", "priority", "title", "level") and not value:
                continue
            elif name in ("lng", "lat") and value is None:
                continue
            elif name == "grade":
                value = value or ""
            out[name] = value
        return out


# --- routing rules ---------------------------------------------------------------------------
