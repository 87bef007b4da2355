from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pingan.accounts"
    label = "accounts"
    verbose_name = _("Accounts and departments")

    def ready(self) -> None:
        from pingan.accounts import lockout, signals  # noqa: F401 - connect the receivers

        name_third_party_apps()


def name_third_party_apps() -> None:
    """Give the login-security apps and the TOTP device model Chinese names in the admin.

    django-axes and django-otp ship no zh_Hans catalogue and name their apps in English.
    ``_meta.verbose_name`` set here is not one of the model's original options, so migrations
    do not see it. The admin's columns and forms are in ``admin_security``.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    apps.get_app_config("axes").verbose_name = _("Login protection")
    apps.get_app_config("otp_totp").verbose_name = _("Two-factor login")
    TOTPDevice._meta.verbose_name = _("TOTP device")
    TOTPDevice._meta.verbose_name_plural = _("TOTP devices")
