"""Pages of the basic-data import and export: templates, the upload form, the export start.

Residents, houses, organisations and 联户 groups: the page's ``kind`` picks which (``?kind=``
preselects it). The work itself runs as background jobs (``pingan.people.jobs``); these views
start them and send the user to the job's progress page.
"""

from __future__ import annotations

import os
import uuid

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingan.core.excel import XLSX_CONTENT_TYPE, xlsx_response
from pingan.core.jobs import start_job
from pingan.geo.models import Grid
from pingan.people import exports
from pingan.people.filters import may_collect
from pingan.people.importers import IMPORTERS
from pingan.people.jobs import (
    EXPORT,
    EXPORT_TITLES,
    IMPORT,
    IMPORT_TITLES,
    export_job_kind,
    import_job_kind,
)

MAX_UPLOAD = 50 * 1024 * 1024
# Where each kind's list is, for the page's "back" link.
LIST_URLS = {
    "residents": "people:resident_list",
    "houses": "people:house_list",
    "organizations": "people:organization_list",
    "groups": "people:group_list",
}


class ImportForm(forms.Form):
    """What to import and the workbook."""

    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[(name, spec.label) for name, spec in IMPORTERS.items()],
        initial="residents",
        required=False,  # residents when not given, as the form was before kinds existed
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        help_text=gettext_lazy("One record per row, with the headings of the template."),
        widget=forms.ClearableFileInput(
            {"class": "form-control", "accept": f".xlsx,{XLSX_CONTENT_TYPE}"}
        ),
    )

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or "residents"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(gettext_lazy("Upload an Excel workbook (.xlsx)."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(gettext_lazy("The file is larger than 50 MB."))
        return upload


def _require_staff(user) -> None:
    """Raise Http404 unless ``user`` is centre staff or grid staff (who keep basic data)."""
    if not may_collect(user):
        raise Http404


def _list_url(kind: str) -> str:
    """Return the address of the list of ``kind`` ("" if that page does not exist)."""
    try:
        return reverse(LIST_URLS.get(kind, LIST_URLS["residents"]))
    except NoReverseMatch:
        return ""


def _kind(value: str | None) -> str:
    """Return a known import kind; blank means residents, anything else unknown is a 404."""
    kind = (value or "residents").strip() or "residents"
    if kind not in IMPORTERS:
        raise Http404
    return kind


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """Send the template of ``?kind=`` (residents by default): Chinese headings, one example."""
    _require_staff(request.user)
    kind = _kind(request.GET.get("kind"))
    grid = (
        Grid.objects.visible_to(request.user)
        .select_related("region")
        .defer("description")
        .order_by("code")
        .first()
    )
    return xlsx_response(exports.template_workbook(kind, grid), *exports.template_filename(kind))


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Show the upload form; on a valid upload start the import job and show its page."""
    _require_staff(request.user)
    selected = request.GET.get("kind", "")
    initial = {"kind": selected if selected in IMPORTERS else "residents"}
    form = ImportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        filename = os.path.basename(upload.name)
        stored = default_storage.save(
            f"imports/{uuid.uuid4().hex}-{get_valid_filename(filename)}", upload
        )
        job = start_job(
            kind=import_job_kind(kind),
            title=str(IMPORT_TITLES[kind]) % {"file": filename},
            user=request.user,
            func_path=IMPORT,
            params={
                "kind": kind,
                "path": stored,
                "filename": filename,
                "user_id": request.user.pk,
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
        )
        return redirect(job.get_absolute_url())
    chosen = form["kind"].value() if form.is_bound else initial["kind"]
    kinds = [
        {
            "name": name,
            "label": spec.label,
            "help": spec.help,
            "columns": spec.header_labels(),
            "required": spec.required_labels(),
        }
        for name, spec in IMPORTERS.items()
    ]
    context = {
        "form": form,
        "kinds": kinds,
        "chosen": chosen if chosen in IMPORTERS else "residents",
        "list_url": _list_url(chosen),
    }
    return render(request, "people/import.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    """Start the Excel export of ``kind`` (residents by default) with the list's filter.

    The numbers in it are masked; the job applies the user's scope when it runs.
    """
    _require_staff(request.user)
    kind = exports.export_kind(request.POST)
    job = start_job(
        kind=export_job_kind(kind),
        title=str(EXPORT_TITLES[kind]),
        user=request.user,
        func_path=EXPORT,
        params={
            "kind": kind,
            "user_id": request.user.pk,
            "filters": exports.filter_params(request.POST, kind),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    return redirect(job.get_absolute_url())
