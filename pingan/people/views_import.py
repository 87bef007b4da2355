"""Pages of the resident import and export: template download, upload form, export start.

The work itself runs as background jobs (``pingan.people.jobs``); these views start them and
send the user to the job's progress page.
"""

from __future__ import annotations

import os
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingan.core.jobs import start_job
from pingan.geo.models import Grid
from pingan.people import exports
from pingan.people.jobs import EXPORT_RESIDENTS, IMPORT_RESIDENTS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 50 * 1024 * 1024


class ResidentImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        help_text=gettext_lazy("One resident per row, with the headings of the template."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(gettext_lazy("Upload an Excel workbook (.xlsx)."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(gettext_lazy("The file is larger than 50 MB."))
        return upload


def _require_staff(user) -> None:
    """Raise Http404 unless ``user`` is centre staff or grid staff (who keep basic data)."""
    from pingan.events.queries import access_for

    access = access_for(user)
    if not (access.everything or access.centre_paths or access.grid_ids):
        raise Http404


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """Send the import template: Chinese headings and one example row with a synthetic ID."""
    _require_staff(request.user)
    grid = Grid.objects.visible_to(request.user).order_by("code").first()
    code = grid.code if grid is not None and grid.code[:6].isdigit() else "513999001001001"
    response = HttpResponse(exports.template_workbook(code), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="residents-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Show the upload form; on a valid upload start the import job and show its page."""
    _require_staff(request.user)
    form = ResidentImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        filename = os.path.basename(upload.name)
        stored = default_storage.save(
            f"imports/{uuid.uuid4().hex}-{get_valid_filename(filename)}", upload
        )
        job = start_job(
            kind=IMPORT_RESIDENTS,
            title=_("Import residents from %(file)s") % {"file": filename},
            user=request.user,
            func_path=IMPORT_RESIDENTS,
            params={
                "path": stored,
                "filename": filename,
                "user_id": request.user.pk,
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
        )
        messages.info(request, _("The file is being imported; the report appears here."))
        return redirect(job.get_absolute_url())
    return render(request, "people/import.html", {"form": form})


@login_required
@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    """Start the Excel export of the user's residents (numbers masked); show the job's page."""
    _require_staff(request.user)
    job = start_job(
        kind=EXPORT_RESIDENTS,
        title=_("Residents (Excel)"),
        user=request.user,
        func_path=EXPORT_RESIDENTS,
        params={
            "user_id": request.user.pk,
            "filters": exports.filter_params(request.POST),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    messages.info(request, _("The export is being written; the file appears here when done."))
    return redirect(job.get_absolute_url())
