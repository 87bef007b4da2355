from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "pingan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Connects the signal that keeps failed tasks and registers the job-runner task, in the
        # web process (which enqueues) as well as in the worker (which runs).
        from pingan.core import tasks  # noqa: F401
