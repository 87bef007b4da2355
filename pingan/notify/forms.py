"""The channel form used by the admin: model validation gives field-level errors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pingan.notify.models import Channel


class ChannelForm(forms.ModelForm):
    """Configure a channel; Channel.clean() says which fields each kind needs."""

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "grid",
            "department",
            "user",
            "webhook_url",
            "secret",
            "email",
            "phone",
            "is_enabled",
        ]
        widgets = {
            "webhook_url": forms.URLInput(
                attrs={
                    "size": 80,
                    "placeholder": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
                }
            ),
            # Shown so an admin can check it, but not autocompleted by the browser.
            "secret": forms.TextInput(attrs={"size": 60, "autocomplete": "off"}),
        }
        help_texts = {
            "grid": _("Set exactly one owner: a grid, a department or a user."),
        }

    def clean_webhook_url(self) -> str:
        return self.cleaned_data["webhook_url"].strip()

    def clean_secret(self) -> str:
        return self.cleaned_data["secret"].strip()
