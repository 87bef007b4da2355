"""Forms for signing in, two-factor codes, and the user admin."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from pingan.accounts.models import User


class LoginForm(auth_forms.AuthenticationForm):
    """Username and password; ``authenticate`` gets the request so axes counts failures."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("Incorrect username or password. Both are case-sensitive."),
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {
                "class": "form-control form-control-lg",
                "autocapitalize": "none",
                "autocomplete": "username",
                "spellcheck": "false",
            }
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "current-password"}
        )


class TokenForm(forms.Form):
    """A six-digit code from an authenticator app, checked against one TOTP device."""

    token = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg text-center font-monospace",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, device=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self) -> str:
        # Apps show the code as "123 456"; accept it as typed.
        token = self.cleaned_data["token"].replace(" ", "").strip()
        if not token.isdigit() or len(token) != getattr(self.device, "digits", 6):
            raise forms.ValidationError(_("Enter the 6-digit code shown in your app."))
        if self.device is None:
            raise forms.ValidationError(_("No authenticator is set up for this account."))
        allowed, _detail = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes. Wait a moment, then try the new code in your app."),
                code="throttled",
            )
        if not self.device.verify_token(token):
            raise forms.ValidationError(
                _("The code is not correct or has expired. Try the current code."),
                code="invalid",
            )
        return token


class DisableTwoFactorForm(forms.Form):
    """Confirmation before removing the authenticator from an account."""

    confirm = forms.BooleanField(
        label=_("I understand that signing in will then need only my password."),
        required=True,
    )


class UserCreationForm(auth_forms.AdminUserCreationForm):
    """Django's admin user creation form bound to Pingan's user model."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "full_name")


class UserChangeForm(auth_forms.UserChangeForm):
    """Django's user change form bound to Pingan's user model."""

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = "__all__"
