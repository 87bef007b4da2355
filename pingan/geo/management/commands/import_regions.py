"""``manage.py import_regions FILE``: create or update regions from a CSV or .xlsx file."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pingan.geo.importers import ImportFileError, ImportReport, import_regions


class Command(BaseCommand):
    help = (
        "Import regions (行政区划) from a CSV (UTF-8) or .xlsx file with the columns code, name, "
        "level, parent_code (or 代码, 名称, 级别, 上级代码). Good rows are saved, bad rows listed; "
        "the exit status is 1 if any row was rejected."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row but save nothing."
        )

    def handle(self, *args, **options) -> None:
        try:
            report = import_regions(options["file"], dry_run=options["dry_run"])
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        finish(self, _("Regions"), report, options["dry_run"])


def finish(command: BaseCommand, what: str, report: ImportReport, dry_run: bool) -> None:
    """Print the summary and every rejection; fail with status 1 if anything was rejected."""
    line = _("%(what)s: %(summary)s") % {"what": what, "summary": report.summary()}
    if dry_run:
        line += " " + _("(dry run: nothing was saved)")
    style = command.style.SUCCESS if report.ok else command.style.WARNING
    command.stdout.write(style(line))
    for error in report.error_lines():
        command.stdout.write("  " + error)
    if not report.ok:
        raise CommandError(
            _("%(count)d rejected; fix them and import the file again (good ones are kept).")
            % {"count": len(report.errors)},
            returncode=1,
        )
