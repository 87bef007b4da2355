from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "pingan.events"
    verbose_name = _("Events")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pingan.events import queries, supervision
        from pingan.events.models import IntakeSystem

        supervision.register_hooks()
        queries.SYSTEM_USERS.depends_on([IntakeSystem])
