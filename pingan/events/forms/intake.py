"""Report forms: the grid worker's and resident's report, the hotline call, the one-key call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pingan.core.text import CleanCharField
from pingan.events.forms.common import (
    MultiplePhotoField,
    PinganForm,
    category_choices,
    new_client_key,
    report_regions,
    village_choices,
)
from pingan.events.models import Event, Priority


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
