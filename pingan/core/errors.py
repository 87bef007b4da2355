"""The error pages (400, 403, 404, 500, CSRF failure) and their JSON twins under /api/.

Pages extend the layout, speak the user's language and offer a way back (the page the user
came from, when it is on this site, and the home page). They say nothing of internals: a 403
shows the message its ``PermissionDenied`` carries, which by this project's convention is
written for the user and translated (e.g. "基础数据由综治中心和网格工作人员维护。"); a 404 never
says more than "not found", since an object outside the user's scope answers 404 too.

The 500 page is rendered without the request's context processors (menus, scope, unread
count all need the database, which may be what failed), and falls back to a page built in
code if even its template cannot be rendered.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template import loader
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# A PermissionDenied message longer than this is not one written for a person.
MAX_REASON_CHARS = 300


def is_api(request: HttpRequest) -> bool:
    """Return whether the request is for the API, which answers errors in JSON."""
    return request.path.startswith(API_PREFIX)


def came_from(request: HttpRequest) -> str:
    """Return the page the user came from (the Referer) if it is on this site, else ''."""
    referer = request.headers.get("referer", "")
    if not referer:
        return ""
    try:
        allowed = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    except Exception:  # noqa: BLE001 - a bad Host header is itself why some error pages show
        return ""
    return referer if allowed else ""


def back_url(request: HttpRequest) -> str:
    """Return the page the user came from if it is on this site and not this page, else ''."""
    referer = came_from(request)
    if referer and referer == request.build_absolute_uri():
        return ""
    return referer


def reason_of(exception: BaseException | None) -> str:
    """Return the message a PermissionDenied carries for the user, '' when it has none."""
    if exception is None or not exception.args:
        return ""
    message = exception.args[0]
    if not isinstance(message, str | Promise):
        return ""
    text = str(message).strip()
    return "" if len(text) > MAX_REASON_CHARS else text


def _json(detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    context.setdefault("back_url", back_url(request))
    return render(request, template, context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Answer 400: the request could not be understood (never says which check failed)."""
    if is_api(request):
        return _json(_("The request could not be understood."), 400)
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Answer 403 with the reason the refusing code gave, if it gave one."""
    reason = reason_of(exception)
    if is_api(request):
        return _json(reason or _("You do not have permission to do this."), 403)
    return _page(request, "403.html", 403, reason=reason)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Answer 404 without saying whether the thing exists (out of scope answers 404 too)."""
    if is_api(request):
        return _json(_("Not found."), 404)
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer 500 without touching the database: no request context, no menus."""
    if is_api(request):
        return _json(_("Something went wrong on the server. Please try again later."), 500)
    try:
        body = loader.get_template("500.html").render({"back_url": back_url(request)})
    except Exception:  # a broken template or static manifest must not turn a 500 into nothing
        logger.exception("The 500 page could not be rendered; answering with the plain one")
        body = _plain_500()
    return HttpResponse(body, status=500)


def _plain_500() -> str:
    title = escape(_("Something went wrong"))
    text = escape(_("Something went wrong on the server. Please try again later."))
    home = escape(_("Home"))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><h1>{title}</h1><p>{text}</p><p><a href="/">{home}</a></p></body></html>'
    )


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Answer a failed CSRF check (CSRF_FAILURE_VIEW): say why it usually happens, offer a retry.

    Django's ``reason`` is for the log (the middleware logs it), not for the page; it only
    tells whether the cookie was missing, which points at blocked cookies.
    """
    if is_api(request):
        return _json(
            _("The security check of this request failed: reload the page and try again."), 403
        )
    # The form's own page, usually the very URL the form was sent to: opened again, it carries
    # a fresh token.
    retry = came_from(request)
    if not retry and request.method in ("GET", "HEAD"):
        retry = request.get_full_path()
    return _page(
        request,
        "403_csrf.html",
        403,
        no_cookie=reason == REASON_NO_CSRF_COOKIE,
        retry_url=retry,
        back_url="",
    )
