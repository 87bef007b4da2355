"""What every event form shares: the base form that takes back service errors, photo
uploads, and the category and village choices."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pingan.events import attachments
from pingan.events.models import Category
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
