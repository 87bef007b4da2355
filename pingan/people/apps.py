from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "pingan.people"
    verbose_name = _("Basic data (一标三实)")
    default_auto_field = "django.db.models.BigAutoField"
