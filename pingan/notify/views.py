"""The inbox: a user's own notifications, marked read one by one or all at once.

Nobody reads another user's inbox, administrators included: every lookup goes through
``Notification.objects.visible_to(request.user)``, and a notification of someone else answers 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from pingan.notify import services
from pingan.notify.models import Notification

PAGE_SIZE = 20
SHOW_CHOICES = ("all", "unread")


def get_notification_for_user(user, pk: int) -> Notification:
    """Return the user's own notification ``pk`` or raise Http404."""
    return get_object_or_404(Notification.objects.visible_to(user), pk=pk)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """List the user's notifications, newest first, optionally only the unread ones."""
    show = request.GET.get("show", "all")
    if show not in SHOW_CHOICES:
        show = "all"
    notifications = Notification.objects.visible_to(request.user).only(
        "pk", "title", "body", "url", "created_at", "read_at", "recipient_id"
    )
    if show == "unread":
        notifications = notifications.unread()
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {"page_obj": page, "notifications": page.object_list, "show": show},
    )


@login_required
@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to what it is about (or back to the inbox)."""
    notification = get_notification_for_user(request.user, pk)
    services.mark_read(notification, request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notify:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; htmx gets the updated row and navbar badge back."""
    notification = get_notification_for_user(request.user, pk)
    services.mark_read(notification, request.user)
    if request.htmx:
        return render(request, "notify/inbox_item.html", {"n": notification, "oob_badge": True})
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark all the user's notifications read."""
    services.mark_all_read(request.user)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _back(request)
        return response
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("notify:inbox")
