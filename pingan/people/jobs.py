"""Background jobs of the people app: Excel imports and scoped Excel exports of basic data.

One import job and one export job serve every kind (residents, houses, organisations, 联户
groups), chosen by their ``kind`` parameter. Each is registered under a general name and under
the resident name it had first, so jobs queued before kinds existed still run (as residents).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pingan.core.excel import write_workbook
from pingan.core.jobs import JobError, job_function
from pingan.core.models import Job
from pingan.geo.jobs import local_copy
from pingan.people import exports, services
from pingan.people.importers import (
    IMPORTERS,
    KEEP_REJECTIONS,
    ImportFileError,
    ImportResult,
    RejectionReport,
    import_file,
)

IMPORT = "people.import"
EXPORT = "people.export"
# The first names of the two jobs: Job.kind of resident jobs, and the functions of old jobs.
IMPORT_RESIDENTS = "people.import_residents"
EXPORT_RESIDENTS = "people.export_residents"

# The line logged when an import ends, per kind.
DONE_MESSAGES = {
    "residents": gettext_lazy(
        "%(created)d residents created, %(updated)d updated, %(unchanged)d unchanged, "
        "%(rejected)d rows rejected."
    ),
    "houses": gettext_lazy(
        "%(created)d houses created, %(updated)d updated, %(unchanged)d unchanged, "
        "%(rejected)d rows rejected."
    ),
    "organizations": gettext_lazy(
        "%(created)d organisations created, %(updated)d updated, %(unchanged)d unchanged, "
        "%(rejected)d rows rejected."
    ),
    "groups": gettext_lazy(
        "%(created)d rows added a group or a member, %(updated)d changed a group, "
        "%(unchanged)d changed nothing, %(rejected)d rows rejected."
    ),
}
IMPORT_TITLES = {
    "residents": gettext_lazy("Import residents from %(file)s"),
    "houses": gettext_lazy("Import houses from %(file)s"),
    "organizations": gettext_lazy("Import organisations from %(file)s"),
    "groups": gettext_lazy("Import 联户 groups from %(file)s"),
}
EXPORT_TITLES = {
    "residents": gettext_lazy("Residents (Excel)"),
    "houses": gettext_lazy("Houses (Excel)"),
    "organizations": gettext_lazy("Organisations (Excel)"),
    "groups": gettext_lazy("联户 groups (Excel)"),
}
WRITTEN_MESSAGES = {
    "residents": gettext_lazy("%(n)d residents written."),
    "houses": gettext_lazy("%(n)d houses written."),
    "organizations": gettext_lazy("%(n)d organisations written."),
    "groups": gettext_lazy("%(n)d rows of 联户 groups written."),
}


def import_job_kind(kind: str) -> str:
    """Return the Job.kind of an import of ``kind`` (people.import_residents, …_houses…)."""
    return f"people.import_{kind}"


def export_job_kind(kind: str) -> str:
    """Return the Job.kind of an export of ``kind``."""
    return f"people.export_{kind}"


def _active_user(user_id: int):
    from pingan.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise JobError(_("The account that started this job no longer exists."))
    return user


@job_function(IMPORT_RESIDENTS)
@job_function(IMPORT)
def import_job(
    job: Job,
    *,
    path: str,
    user_id: int,
    filename: str = "",
    language: str = "",
    kind: str = "residents",
) -> None:
    """Import the uploaded workbook ``path`` (a default_storage name) of ``kind`` as ``user_id``.

    The upload is deleted whatever happens: it holds plain ID and phone numbers.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        job.progress(0, _("Reading %(file)s") % {"file": filename or os.path.basename(path)})
        if kind not in IMPORTERS:
            default_storage.delete(path)
            raise JobError(_("Unknown kind of import: %(kind)s.") % {"kind": kind})
        if not default_storage.exists(path):
            raise JobError(_("The uploaded file %(file)s is gone.") % {"file": path})
        try:
            user = _active_user(user_id)
        except JobError:
            default_storage.delete(path)
            raise

        def on_batch(rows: int, result: ImportResult) -> None:
            # The row count is unknown while streaming: creep towards 99 %.
            job.progress(
                min(99, rows / (rows + 5000) * 100),
                _("%(rows)d rows read: %(created)d new, %(updated)d changed, %(rejected)d rejected")
                % {
                    "rows": rows,
                    "created": result.created,
                    "updated": result.updated,
                    "rejected": result.rejected_count,
                },
            )

        with RejectionReport() as report:
            try:
                with local_copy(path) as local_path:
                    result = import_file(
                        kind, local_path, user=user, progress=on_batch, report=report
                    )
            except ImportFileError as exc:
                raise JobError(exc.message) from exc
            finally:
                default_storage.delete(path)
            job.set_summary(result.summary())
            if report.count:
                job.set_result_file(exports.rejection_filename(kind), report.content())
        job.log(str(DONE_MESSAGES[kind]) % result.summary())
        for rejection in result.rejected:
            job.log(
                _("Row %(row)d, %(column)s: %(reason)s")
                % {"row": rejection.row, "column": rejection.column, "reason": rejection.reason}
            )
        if result.rejected_count > KEEP_REJECTIONS:
            job.log(_("… and more: see the report file."))


@job_function(EXPORT_RESIDENTS)
@job_function(EXPORT)
def export_job(
    job: Job,
    *,
    user_id: int,
    filters: dict[str, str],
    language: str = "",
    kind: str = "residents",
) -> None:
    """Write the records of ``kind`` that ``user_id`` may see and ``filters`` match, masked.

    Scope and filter are applied here, in the worker, with the user's rights of now; the export
    is logged with its filter and row count.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        spec = exports.EXPORTS.get(kind)
        if spec is None:
            raise JobError(_("Unknown kind of export: %(kind)s.") % {"kind": kind})
        user = _active_user(user_id)
        records = spec.queryset(user, filters)
        total = records.count()
        job.progress(0, _("%(n)d records to write") % {"n": total})

        def on_row(done: int) -> None:
            if done % 1000 == 0:
                job.progress(min(95, 95 * done / total) if total else 95)

        content, written = write_workbook(
            str(spec.title), spec.columns(), spec.rows(records), on_row=on_row
        )
        job.set_result_file(exports.export_filename(kind), content)
        query = dict(filters) if kind == "residents" else {**filters, "export": kind}
        services.log_access(user, None, via="export", query=query, rows=written)
        job.set_summary({"rows": written})
        job.log(str(WRITTEN_MESSAGES[kind]) % {"n": written})
