"""Background jobs of the people app: the resident import and the scoped Excel export."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _

from pingan.core.jobs import JobError, job_function
from pingan.core.models import Job
from pingan.geo.jobs import local_copy
from pingan.people import exports, services
from pingan.people.importers import ImportFileError, ImportResult, import_residents

IMPORT_RESIDENTS = "people.import_residents"
EXPORT_RESIDENTS = "people.export_residents"


def _active_user(user_id: int):
    from pingan.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise JobError(_("The account that started this job no longer exists."))
    return user


@job_function(IMPORT_RESIDENTS)
def import_residents_job(
    job: Job, *, path: str, user_id: int, filename: str = "", language: str = ""
) -> None:
    """Import the uploaded workbook ``path`` (a default_storage name) as ``user_id``."""
    with translation.override(language or settings.LANGUAGE_CODE):
        job.progress(0, _("Reading %(file)s") % {"file": filename or os.path.basename(path)})
        if not default_storage.exists(path):
            raise JobError(_("The uploaded file %(file)s is gone.") % {"file": path})
        try:
            user = _active_user(user_id)
        except JobError:
            default_storage.delete(path)  # it holds plain ID numbers: never keep it
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

        try:
            with local_copy(path) as local_path:
                result = import_residents(local_path, user=user, progress=on_batch)
        except ImportFileError as exc:
            raise JobError(exc.message) from exc
        finally:
            default_storage.delete(path)  # it holds plain ID numbers: never keep it
        job.set_summary(result.summary())
        if result.rejected:
            job.set_result_file(
                f"resident-import-{job.pk}-rejected.xlsx",
                exports.rejection_workbook(result.rejected),
            )
        job.log(
            _(
                "%(created)d residents created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(rejected)d rows rejected."
            )
            % result.summary()
        )
        for rejection in result.rejected[:20]:
            job.log(
                _("Row %(row)d, %(column)s: %(reason)s")
                % {"row": rejection.row, "column": rejection.column, "reason": rejection.reason}
            )
        if len(result.rejected) > 20:
            job.log(_("… and more: see the report file."))


@job_function(EXPORT_RESIDENTS)
def export_residents_job(
    job: Job, *, user_id: int, filters: dict[str, str], language: str = ""
) -> None:
    """Write the residents ``user_id`` may see that match ``filters`` into an .xlsx, masked.

    Scope and filter are applied here, in the worker, with the user's rights of now.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        user = _active_user(user_id)
        residents = exports.filtered_residents(user, filters)
        total = residents.count()
        job.progress(0, _("%(n)d residents to write") % {"n": total})

        def on_row(done: int) -> None:
            if done % 1000 == 0:
                job.progress(95 * done / total if total else 95)

        content, written = exports.write_workbook(
            _("Residents"), exports.columns(), exports.resident_rows(residents), on_row=on_row
        )
        job.set_result_file(exports.export_filename(), content)
        services.log_access(user, None, via="export", query=filters, rows=written)
        job.set_summary({"rows": written})
        job.log(_("%(n)d residents written.") % {"n": written})
