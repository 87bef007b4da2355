"""Background jobs of the geo app: the grid import started from the admin."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from pingan.core.excel import write_workbook
from pingan.core.jobs import JobError, job_function
from pingan.core.models import Job
from pingan.geo.importers import ImportFileError, ImportReport, import_grids

IMPORT_GRIDS = "geo.import_grids"


@contextmanager
def local_copy(name: str) -> Iterator[str]:
    """Yield a filesystem path for the stored file ``name`` (a temporary copy if need be)."""
    try:
        local = default_storage.path(name)
    except NotImplementedError:
        local = None  # a remote storage: copy the file next to us first
    if local is not None:
        yield local
        return
    suffix = os.path.splitext(name)[1]
    with (
        default_storage.open(name, "rb") as source,
        tempfile.NamedTemporaryFile(suffix=suffix) as copy,
    ):
        shutil.copyfileobj(source, copy)
        copy.flush()
        yield copy.name


def rejection_report(report: ImportReport) -> bytes:
    """Return the rejected features as a workbook (codes from the file stay text, see core.excel).

    Not CSV: a code such as ``=cmd|…`` from the uploaded file would be a live formula there.
    """
    heading = [(_("feature"), 10), (_("grid code"), 20), (_("reason"), 60)]
    rows = ([e.row, e.code, e.reason] for e in sorted(report.errors, key=lambda e: e.row))
    content, _count = write_workbook(_("Rejected features"), heading, rows)
    return content


@job_function(IMPORT_GRIDS)
def import_grids_job(job: Job, *, path: str, filename: str = "") -> None:
    """Import the uploaded GeoJSON file ``path`` (a default_storage name) as grids."""
    job.progress(0, _("Reading %(file)s") % {"file": filename or os.path.basename(path)})
    if not default_storage.exists(path):
        raise JobError(_("The uploaded file %(file)s is gone.") % {"file": path})

    def on_feature(done: int, total: int) -> None:
        # Keep the last percent for "finished", written by the job runner.
        job.progress(99 * done / total if total else 99)

    try:
        with local_copy(path) as local_path:
            report = import_grids(local_path, progress=on_feature)
    except ImportFileError as exc:
        raise JobError(exc.message) from exc
    summary = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.errors),
    }
    job.set_summary(summary)
    job.set_result_file(f"grid-import-{job.pk}-rejected.xlsx", rejection_report(report))
    job.log(report.summary())
    for line in report.error_lines()[:20]:
        job.log(line)
    if len(report.errors) > 20:
        job.log(
            _("… and %(n)d more rejected features: see the report file.")
            % {"n": len(report.errors) - 20}
        )
