"""The admin's login-security sections in Chinese: django-axes' login records, django-otp's devices.

Neither library ships a zh_Hans catalogue. Axes marks its strings for translation, so the
project's own catalogue (LOCALE_PATHS) supplies them. django-otp names its TOTP fields and
help texts in plain English, so this module gives its admin translated column names, filter
titles, form labels and sections instead (the apps' and models' names are set in
``AccountsConfig.ready``). Field verbose names are left alone on purpose:
changing them at run time would make ``makemigrations`` write a migration into the
installed library.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as OtpTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

# Column, filter and form names of a TOTP device's fields.
TOTP_LABELS = {
    "user": _("user"),
    "name": _("device name"),
    "confirmed": _("confirmed"),
    "created_at": _("created"),
    "last_used_at": _("last used"),
    "key": _("secret key"),
    "step": _("time step (seconds)"),
    "t0": _("start time (t0)"),
    "digits": _("digits"),
    "tolerance": _("tolerance (steps)"),
    "drift": _("clock drift (steps)"),
    "last_t": _("last time step"),
    "throttling_failure_timestamp": _("last failed attempt"),
    "throttling_failure_count": _("failed attempts in a row"),
}
TOTP_HELP = {
    "user": _("The user this device belongs to."),
    "name": _("A name to tell this device from the user's others."),
    "confirmed": _("Whether the device is ready for use."),
    "key": _("A hex-encoded secret key of up to 40 bytes."),
    "step": _("The time step in seconds."),
    "t0": _("The Unix time at which to begin counting steps."),
    "digits": _("The number of digits to expect in a token."),
    "tolerance": _("The number of time steps in the past or future to allow."),
    "drift": _("The number of time steps the prover is known to deviate from our clock."),
    "throttling_failure_timestamp": _(
        "The time of the last failed verification attempt; empty if the last one succeeded."
    ),
    "throttling_failure_count": _("Number of successive failed attempts."),
}
TOTP_SECTIONS = {
    "Identity": _("Identity"),
    "Timestamps": _("Times"),
    "Configuration": _("Configuration"),
    "State": _("State"),
    "Throttling": _("Throttling"),
}


def titled(base: type[admin.FieldListFilter], title) -> type[admin.FieldListFilter]:
    """Return ``base`` (a field's list filter) shown under ``title`` instead of the field's name."""

    class Titled(base):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


def column(field: str, *, boolean: bool = False):
    """Return a column (or read-only field) showing ``field`` under its Chinese name, sortable."""

    @admin.display(description=TOTP_LABELS[field], ordering=field, boolean=boolean)
    def show(obj):
        value = getattr(obj, field)
        if isinstance(value, dt.datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return "—" if value is None else value

    show.__name__ = f"{field}_column"
    return show


class TOTPDeviceForm(forms.ModelForm):
    class Meta:
        model = TOTPDevice
        # Every editable field the library's fieldsets show (the admin narrows it per page).
        fields = [
            "user",
            "name",
            "confirmed",
            "key",
            "step",
            "t0",
            "digits",
            "tolerance",
            "drift",
            "throttling_failure_timestamp",
            "throttling_failure_count",
        ]
        labels = TOTP_LABELS
        help_texts = TOTP_HELP


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(OtpTOTPDeviceAdmin):
    form = TOTPDeviceForm
    list_display = [
        column("user"),
        column("name"),
        column("created_at"),
        column("last_used_at"),
        column("confirmed", boolean=True),
    ]
    list_filter = [
        ("created_at", titled(admin.DateFieldListFilter, TOTP_LABELS["created_at"])),
        ("last_used_at", titled(admin.DateFieldListFilter, TOTP_LABELS["last_used_at"])),
        ("confirmed", titled(admin.BooleanFieldListFilter, TOTP_LABELS["confirmed"])),
    ]
    search_help_text = _("Search by the user's username or e-mail address.")

    # The library's read-only fields, shown under Chinese names (see get_fieldsets).
    readonly_fields = ["created_at_shown", "last_used_at_shown", "qr_code"]
    SHOWN = {
        "created_at": "created_at_shown",
        "last_used_at": "last_used_at_shown",
        "qrcode_link": "qr_code",
    }
    created_at_shown = staticmethod(column("created_at"))
    last_used_at_shown = staticmethod(column("last_used_at"))

    def get_fieldsets(self, request, obj=None):
        return [
            (
                TOTP_SECTIONS.get(name, name),
                {**options, "fields": [self.SHOWN.get(f, f) for f in options["fields"]]},
            )
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_list_display(self, request):
        # The library's QR code column is labelled in English; ours says the same in Chinese.
        return [
            self.qr_code if item == "qrcode_link" else item
            for item in super().get_list_display(request)
        ]

    @admin.display(description=_("QR code"))
    def qr_code(self, device):
        if device.pk is None:
            return "—"
        href = reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk})
        return format_html('<a href="{}">{}</a>', href, _("Show the QR code"))
