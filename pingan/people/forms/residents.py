"""Forms of the resident pages: revealing one plain number, with a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pingan.core.text import CleanCharField
from pingan.people.forms.base import TEXT
from pingan.people.models import RevealLog


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Number"),
        choices=RevealLog.Field.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = CleanCharField(
        label=_("Reason"), max_length=200, required=False, widget=forms.TextInput(TEXT)
    )
