from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "pingan.geo"
    label = "geo"
    verbose_name = _("Jurisdictions and grids")

    def ready(self) -> None:
        from pingan.geo import signals  # noqa: F401  (connects the locate-index invalidation)
