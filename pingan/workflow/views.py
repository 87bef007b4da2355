"""Reminder pages: my reminders with a create form, a detail page, and completing one.

Reads go through ``Reminder.objects.visible_to(user)``: someone else's reminder answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pingan.workflow import services
from pingan.workflow.forms import ReminderForm
from pingan.workflow.models import Deadline, Reminder


def get_reminder_for_user(user, pk: int) -> Reminder:
    """Return reminder ``pk`` if ``user`` may see it, else raise Http404."""
    return get_object_or_404(Reminder.objects.visible_to(user).select_related("owner"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def reminder_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            reminder = services.create_reminder(
                owner=request.user,
                title=form.cleaned_data["title"],
                note=form.cleaned_data["note"],
                due_at=form.cleaned_data["due_at"],
                acting_user=request.user,
            )
            messages.success(request, _("Reminder created."))
            return redirect(reminder)
    else:
        form = ReminderForm()
    reminders = Reminder.objects.visible_to(request.user).filter(owner=request.user)
    return render(
        request,
        "workflow/reminder_list.html",
        {
            "form": form,
            "open_reminders": reminders.filter(status=Reminder.Status.OPEN),
            "done_reminders": reminders.filter(status=Reminder.Status.DONE).order_by(
                "-completed_at"
            )[:20],
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def reminder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = get_reminder_for_user(request.user, pk)
    deadline = (
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(Reminder),
            object_id=reminder.pk,
            kind=services.KIND,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return render(
        request,
        "workflow/reminder_detail.html",
        {"reminder": reminder, "deadline": deadline, "now": timezone.now()},
    )


@login_required
@require_POST
def reminder_complete(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = get_reminder_for_user(request.user, pk)
    try:
        services.complete_reminder(reminder, acting_user=request.user)
    except services.IllegalTransition as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, _("Reminder completed."))
    return redirect(reminder)
