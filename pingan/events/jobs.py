"""Background jobs of the events app: the Excel ledger (台账) of a filtered event list."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from pingan.core.excel import write_workbook
from pingan.core.jobs import JobError, job_function
from pingan.core.models import Job
from pingan.events import exports

EXPORT = "events.export"


@job_function(EXPORT)
def export_events_job(
    job: Job, *, user_id: int, filters: dict[str, list[str]], language: str = ""
) -> None:
    """Write the events ``user_id`` may see that match ``filters`` into an .xlsx ledger.

    Scope and filter are applied again here, in the worker, with the user's rights of now:
    the job never trusts a list of ids made by the page.
    """
    from pingan.accounts.models import User

    with translation.override(language or settings.LANGUAGE_CODE):
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise JobError(_("The account that asked for this export no longer exists."))
        events = exports.filtered_events(user, filters)
        total = events.count()
        job.progress(0, _("%(n)d events to write") % {"n": total})

        def on_row(done: int) -> None:
            if done % 500 == 0:
                job.progress(95 * done / total if total else 95)

        content, written = write_workbook(
            _("Events"), exports.columns(), exports.event_rows(events), on_row=on_row
        )
        job.set_result_file(exports.ledger_filename(), content)
        job.set_summary({"rows": written})
        job.log(_("%(n)d events written.") % {"n": written})
