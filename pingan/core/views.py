"""The health check and the pages of background jobs (list, progress, result file)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularSwaggerSplitView

from pingan import __version__
from pingan.core.excel import ascii_name, content_disposition
from pingan.core.models import Job

logger = logging.getLogger(__name__)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Return the ``next`` parameter if it points into this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _sees_details(request: HttpRequest) -> bool:
    """Return whether the caller is staff; False when even that cannot be told (no database)."""
    try:
        user = request.user
        return bool(user.is_authenticated and (user.is_staff or user.is_superuser))
    except Exception:  # noqa: BLE001 - the session or user lookup needs the database that failed
        return False


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers, 503 when it does not.

    A failure's text (host names, users, paths) is logged and shown to staff only: the probe
    is public, and anyone may call it.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure is "not healthy"
        logger.warning("healthz: the database check failed", exc_info=True)
        body = {"status": "error", "database": "error"}
        if _sees_details(request):
            body["detail"] = str(exc)[:200]
        return JsonResponse(body, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "vendor": connection.vendor,
            "version": __version__,
            "time": timezone.now().isoformat(),
        }
    )


FAVICON = Path(__file__).resolve().parent.parent / "static" / "pingan" / "favicon.ico"


@cache
def _favicon_bytes() -> bytes:
    return FAVICON.read_bytes()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Serve the site icon at /favicon.ico, where browsers look for it whatever the page says.

    Served from the package (not a redirect into /static/): one request instead of two, and it
    does not depend on collected or hashed static file names.
    """
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=7 * 24 * 3600)
    return response


# The split view serves its start-up script as a file of its own: the CSP allows no inline script.
_swagger = SpectacularSwaggerSplitView.as_view(
    url_name="schema", template_name="core/api_docs.html"
)


def api_docs(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Show the browsable API docs; outside the demo only to signed-in users (else: sign in)."""
    if not settings.PINGAN_PUBLIC_API_DOCS and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _swagger(request, *args, **kwargs)


# --- background jobs ------------------------------------------------------------------------------


# Labels for the counts job functions commonly report; other keys are shown as they are.
SUMMARY_LABELS = {
    "created": pgettext_lazy("import count", "Created"),
    "updated": pgettext_lazy("import count", "Updated"),
    "unchanged": pgettext_lazy("import count", "Unchanged"),
    "rejected": pgettext_lazy("import count", "Rejected"),
    "rows": pgettext_lazy("import count", "Rows"),
}


def job_context(job: Job) -> dict:
    """Return the template context of the job page and its progress part."""
    summary = [
        (key, SUMMARY_LABELS.get(key, key), value) for key, value in job.result_summary.items()
    ]
    shown = []
    for message in job.messages[-50:]:
        try:
            at = timezone.localtime(dt.datetime.fromisoformat(message["at"]))
        except (KeyError, TypeError, ValueError):
            at = None
        shown.append({"at": at, "text": message.get("text", "")})
    return {"job": job, "summary": summary, "messages_shown": shown}


def get_job_for_user(user, pk: int) -> Job:
    """Return the job ``pk`` if ``user`` may see it, else raise Http404."""
    return get_object_or_404(Job.objects.visible_to(user).select_related("created_by"), pk=pk)


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """List the jobs the user started, newest first."""
    jobs = Job.objects.visible_to(request.user).select_related("created_by")
    page = Paginator(jobs, 50).get_page(request.GET.get("page"))
    return render(request, "core/job_list.html", {"page_obj": page, "jobs": page.object_list})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one job with a progress bar that refreshes itself until the job ends."""
    job = get_job_for_user(request.user, pk)
    return render(request, "core/job_detail.html", job_context(job))


@login_required
@require_GET
@never_cache
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the progress part of the job page (polled by htmx every second while it runs)."""
    job = get_job_for_user(request.user, pk)
    return render(request, "core/job_detail_progress.html", job_context(job))


@login_required
@require_GET
def job_result(request: HttpRequest, pk: int) -> FileResponse:
    """Send the job's result file to whoever may see the job."""
    job = get_job_for_user(request.user, pk)
    if not job.result_file:
        raise Http404("This job has no result file.")
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The result file is gone.") from exc
    name = os.path.basename(job.result_file.name)
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["Content-Disposition"] = content_disposition(name, ascii_name(name, job.kind))
    return response
