from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pingan.accounts"
    label = "accounts"
    verbose_name = _("Accounts and departments")

    def ready(self) -> None:
        from pingan.accounts import lockout, signals  # noqa: F401 - connect the receivers
