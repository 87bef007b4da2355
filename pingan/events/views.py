"""Pages of the event closed loop."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from pingan.events.models import Attachment, Event
from pingan.events.queries import get_event_for_user


@login_required
def workbench(request):
    events = Event.objects.visible_to(request.user)[:50]
    return render(request, "events/workbench.html", {"events": events})


@login_required
def detail(request, pk: int):
    event = get_event_for_user(request.user, pk)
    return HttpResponse(event.number)


@login_required
def attachment(request, pk: int, thumbnail: bool = False):
    """Serve an event's file to people who may see the event (never a public URL)."""
    item = get_object_or_404(Attachment.objects.select_related("event"), pk=pk)
    get_event_for_user(request.user, item.event_id)
    field = item.thumbnail if thumbnail and item.thumbnail else item.file
    if not field:
        raise Http404
    return FileResponse(
        field.open("rb"), content_type="image/jpeg" if thumbnail else item.content_type
    )
