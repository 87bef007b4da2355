from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "pingan.workflow"
    label = "workflow"
    verbose_name = _("Deadlines and reminders")

    def ready(self) -> None:
        # Register the reminder workflow's deadline hooks, and the periodic sweep task.
        from pingan.workflow import services, tasks  # noqa: F401

        services.register_hooks()
