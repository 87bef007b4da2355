"""ID numbers to check (待核实身份证号): the centre resolves registrations of numbers kept
elsewhere (see ``pingan.people.duplicates``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pingan.people import duplicates
from pingan.people.models import DuplicateSubmission


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """List the open submissions the user may resolve (centre staff who see both records)."""
    return render(
        request,
        "people/duplicate_list.html",
        {"submissions": list(duplicates.open_submissions(request.user)[:200])},
    )


@login_required
@require_POST
def duplicate_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the kept record to the registering grid, or dismiss the submission."""
    submission = DuplicateSubmission.objects.visible_to(request.user).filter(pk=pk).first()
    if submission is None:
        raise Http404
    try:
        duplicates.resolve_submission(
            submission,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", "")[:500],
            acting_user=request.user,
        )
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Resolved: the registrar is told."))
    return redirect("people:duplicate_list")
