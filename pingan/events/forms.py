"""Forms of the event pages: reports (grid worker, hotline, one-key call), the moves of the
action panel, and routing rules.

The forms check the shape of the input; the rules (which channel, where, which move now) are
the services' (``pingan.events.services``). A ``ValidationError`` the service raises is put
back on the form's fields with :meth:`PinganForm.apply_service_errors`, so the page shows it
next to what the user typed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.accounts.models import Department
from pingan.core.text import CleanCharField
from pingan.core.transitions import Move
from pingan.events import attachments, routing
from pingan.events.models import Category, Event, Priority, RoutingRule
from pingan.geo.models import Region

# Service error keys without a field of their own, and the form field that shows them.
ERROR_FIELDS = {"location": "village", "lng": "village", "lat": "village", "phone": "phone"}


def new_client_key() -> str:
    """Return a fresh idempotency key for a report form (a double submit sends it twice)."""
    return uuid.uuid4().hex


# --- shared pieces ---------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from the camera or the gallery; the service checks their content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        # Checked here, not only by the service, so a missing or bad photo is reported together
        # with every other field's error in one go.
        files = [d for d in (data if isinstance(data, (list, tuple)) else [data]) if d]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        cleaned = [super(MultiplePhotoField, self).clean(d, initial) for d in files]
        try:
            return attachments.validate_uploads(cleaned)
        except ValidationError as exc:
            raise ValidationError(
                [m for messages in exc.message_dict.values() for m in messages]
            ) from exc


def category_choices(*, majors: bool = False, blank: str = "") -> list:
    """Return the active categories grouped by major category, for a <select>."""
    rows = Category.objects.filter(is_active=True).select_related("parent").order_by("code")
    groups: dict[str, list] = {}
    labels: dict[str, str] = {}
    for category in rows:
        if category.parent_id is None:
            labels[category.code] = category.name
            groups.setdefault(category.code, [])
            if majors:
                groups[category.code].append(
                    (category.code, _("%(name)s (whole category)") % {"name": category.name})
                )
        else:
            groups.setdefault(category.parent.code, []).append(
                (category.code, f"{category.code} {category.name}")
            )
    choices: list = [("", blank or _("— choose —"))]
    for code, options in groups.items():
        if options:
            choices.append((labels.get(code, code), options))
    return choices


def village_choices(regions) -> list:
    """Return villages (and townships) grouped by township, for a <select>."""
    groups: list = []
    for region in regions.order_by("path"):
        if region.level == Region.Level.TOWNSHIP or not groups:
            groups.append(
                [region.name if region.level == Region.Level.TOWNSHIP else "", []],
            )
        if region.level == Region.Level.VILLAGE:
            groups[-1][1].append((region.code, region.name))
        else:
            groups[-1][1].append(
                (region.code, _("%(name)s (whole township)") % {"name": region.name})
            )
    return [("", _("— choose —"))] + [(label, options) for label, options in groups if options]


def report_regions(user):
    """Return the villages and townships a user may file a report in (their own area)."""
    regions = Region.objects.visible_to(user).filter(
        level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE]
    )
    return regions.only("code", "name", "level", "path")


class PinganForm(forms.Form):
    """A form that styles its widgets for Bootstrap and takes back the service's errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        names = [field] if field else []
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            names = list(error.error_dict)
        elif isinstance(error, dict):
            names = list(error)
        for name in names:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def apply_service_errors(self, exc: ValidationError) -> None:
        """Show the service's ``ValidationError`` on the fields it names (or above the form)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            name = key if key in self.fields else ERROR_FIELDS.get(key)
            if name not in self.fields:
                name = None
            for message in messages:
                self.add_error(name, message)


# --- reports ---------------------------------------------------------------------------------


class ReportForm(PinganForm):
    """A report from the phone: what, where (GPS or village), photos, and an idempotency key."""

    description = CleanCharField(
        multiline=True,
        label=_("What is the problem?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )
    title = CleanCharField(label=_("Title (optional)"), max_length=100, required=False)
    category = forms.ChoiceField(label=_("Category (optional)"), required=False)
    photos = MultiplePhotoField(label=_("Photos"), required=False)
    # Hidden fields carry labels too: their errors are shown by name above the form.
    lng = forms.FloatField(
        label=_("Longitude"),
        widget=forms.HiddenInput,
        required=False,
        min_value=-180,
        max_value=180,
    )
    lat = forms.FloatField(
        label=_("Latitude"), widget=forms.HiddenInput, required=False, min_value=-90, max_value=90
    )
    village = forms.ChoiceField(label=_("Village / community"), required=False)
    address = CleanCharField(label=_("Address or landmark"), max_length=200, required=False)
    channel = forms.ChoiceField(label=_("Channel"))
    client_key = forms.CharField(
        label=_("Form key"), widget=forms.HiddenInput, max_length=64, required=False
    )

    def __init__(self, *args, user, channels: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Event.Channel.choices)
        self.fields["channel"].choices = [(c, labels.get(c, c)) for c in channels]
        self.fields["category"].choices = category_choices(
            blank=_("Not sure: let the centre decide")
        )
        self.fields["village"].choices = village_choices(report_regions(user))
        self.fields["description"].widget.attrs["placeholder"] = _(
            "e.g. The retaining wall behind building 3 is cracked and leaning."
        )
        if len(channels) == 1:
            self.fields["channel"].widget = forms.HiddenInput()
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())
            self.initial.setdefault("channel", channels[0])

    def clean(self):
        data = super().clean()
        # The service asks for the place as well, but only once the rest is valid: asking here
        # reports a missing place together with a missing description.
        no_point = data.get("lng") is None and data.get("lat") is None
        place_errors = set(self.errors) & {"village", "lng", "lat"}
        if no_point and not data.get("village") and not place_errors:
            self.add_error(
                "village", _("Choose a village or give a point (longitude and latitude).")
            )
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "title": data.get("title") or "",
            "category": data.get("category") or None,
            "photos": data.get("photos") or [],
            "lng": data.get("lng"),
            "lat": data.get("lat"),
            "village": data.get("village") or None,
            "address": data.get("address") or "",
            "channel": data["channel"],
            "client_key": data.get("client_key") or "",
        }


HOTLINE_CHANNELS = (Event.Channel.HOTLINE, Event.Channel.APPEAL_BOX, Event.Channel.CENTRE)


class HotlineForm(ReportForm):
    """A call to the 12345 hotline or a slip from the appeal box, taken by centre staff."""

    reporter_name = CleanCharField(label=_("Caller's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Caller's phone"), max_length=30, required=False)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    priority = forms.ChoiceField(label=_("Priority"), required=False)

    field_order = [
        "channel",
        "reporter_name",
        "reporter_phone",
        "description",
        "title",
        "category",
        "priority",
        "village",
        "address",
        "lng",
        "lat",
        "photos",
    ]

    def __init__(self, *args, user, channels: list[str], **kwargs):
        channels = [c for c in channels if c in HOTLINE_CHANNELS]
        super().__init__(*args, user=user, channels=channels, **kwargs)
        self.fields["description"].label = _("What the caller reports")
        self.fields["category"].label = _("Category")
        self.fields["priority"].choices = [("", _("Category default")), *Priority.choices]
        self.fields["reporter_phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off"}
        )

    def service_fields(self) -> dict[str, Any]:
        fields = super().service_fields()
        fields["reporter_name"] = self.cleaned_data.get("reporter_name") or ""
        fields["reporter_phone"] = self.cleaned_data.get("reporter_phone") or ""
        fields["priority"] = self.cleaned_data.get("priority") or None
        return fields


class OneKeyForm(PinganForm):
    """An elderly one-key call: the terminal's number finds the caller and the place."""

    phone = forms.CharField(
        label=_("Calling number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    note = CleanCharField(
        multiline=True,
        label=_("What the caller said (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_key = forms.CharField(
        label=_("Form key"), widget=forms.HiddenInput, max_length=64, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())


# --- the moves of the action panel -------------------------------------------------------------


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


class RoutingRuleForm(forms.ModelForm):
    """Add or edit a routing rule inside the user's regions."""

    category = forms.ChoiceField(label=_("Category"), required=False)

    class Meta:
        model = RoutingRule
        fields = ["category", "region", "department", "note", "is_active"]

    def __init__(self, *args, regions, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(majors=True, blank=_("Every category"))
        self.fields["category"].help_text = RoutingRule._meta.get_field("category").help_text
        if self.instance.pk and self.instance.category_id and not self.is_bound:
            self.initial["category"] = self.instance.category.code
        self.fields["region"].queryset = regions
        self.fields["region"].empty_label = _("Everywhere")
        self.fields["department"].queryset = departments
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def clean_category(self):
        code = self.cleaned_data.get("category")
        if not code:
            return None
        try:
            return Category.objects.get(code=code)
        except Category.DoesNotExist as exc:
            raise ValidationError(_("Choose a category from the list.")) from exc

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in [field] if field in self.fields else []:
            widget = self.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"


class RouteTestForm(PinganForm):
    """Category and a place (map point or village): which department gets it, and why."""

    category = forms.ChoiceField(label=_("Category"))
    village = forms.ChoiceField(label=_("Village / community"), required=False)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["village"].choices = village_choices(
            Region.objects.visible_to(user).filter(
                level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE]
            )
        )

    def clean(self):
        data = super().clean()
        has_point = data.get("lng") is not None and data.get("lat") is not None
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.add_error("lng", _("Give both longitude and latitude."))
        elif not has_point and not data.get("village") and not self.has_error("village"):
            self.add_error(
                "village", _("Choose a village or give a point (longitude and latitude).")
            )
        return data

    def route(self) -> dict[str, Any]:
        """Return where the test event goes: place, how it was located, department, reason."""
        from pingan.geo.locate import locate

        data = self.cleaned_data
        category = Category.objects.select_related("parent").get(code=data["category"])
        region = None
        located = ""
        grid_name = ""
        if data.get("lng") is not None and data.get("lat") is not None:
            found = locate(data["lng"], data["lat"])
            if found is not None:
                region = Region.objects.get(pk=found.region_id)
                grid_name = found.grid_name
                located = (
                    _("The point lies in grid %(grid)s.") % {"grid": found.grid_name}
                    if found.grid_id
                    else _("The point lies outside every grid; the nearest village is used.")
                )
            else:
                located = _("The point lies outside every county: the county centre decides.")
        if region is None and data.get("village"):
            region = Region.objects.get(code=data["village"])
            located = located or _("The chosen village is used.")
        result = {"category": category, "region": region, "located": located, "grid": grid_name}
        if region is None:
            result.update(department=None, centre=None, rule=None, reason=located)
            return result
        found_route = routing.route(category, region)
        result.update(
            department=found_route.department,
            centre=found_route.centre,
            rule=found_route.rule,
            reason=found_route.reason,
            auto=category.auto_dispatch,
        )
        return result
