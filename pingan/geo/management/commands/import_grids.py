"""``manage.py import_grids FILE.geojson``: create or update grids from a GeoJSON file."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pingan.geo.importers import ImportFileError, import_grids
from pingan.geo.management.commands.import_regions import finish


class Command(BaseCommand):
    help = (
        "Import grids (网格) from a GeoJSON FeatureCollection whose features carry region_code, "
        "code, name, kind, subkind, households, active_from, active_until and description. Good "
        "features are saved, bad ones listed; the exit status is 1 if any was rejected."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="GeoJSON FeatureCollection file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every feature but save nothing."
        )

    def handle(self, *args, **options) -> None:
        try:
            report = import_grids(options["file"], dry_run=options["dry_run"])
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        finish(self, _("Grids"), report, options["dry_run"])
