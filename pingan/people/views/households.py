"""Household pages (户): the new-household phone form, the household with its members, and the
changes a grid worker makes on a phone afterwards: number, address and grid; a new or an
existing resident joining; a member's relation; a new head; a member leaving (the resident's
record stays).

Reads go through ``visible_to`` (outside scope: 404); every change is a ``services`` function
whose errors come back on the form's fields, with what the user typed kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pingan.people import services
from pingan.people.duplicates import SUBMITTED_FOR
from pingan.people.filters import get_household_for_user, grid_choices, resident_search
from pingan.people.forms.collect import HouseholdEditForm
from pingan.people.forms.households import (
    ChangeHeadForm,
    ExistingMemberForm,
    HouseholdForm,
    MemberFormSet,
    NewMemberForm,
    RelationForm,
)
from pingan.people.models import (
    DuplicateSubmission,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Resident,
)
from pingan.people.views.base import _put_errors, _require_collector

HEAD = HouseholdMember.Relation.HEAD
# How many residents the "existing resident" search shows.
SEARCH_LIMIT = 20


def _members(household: Household):
    """Return the members of ``household``, the head first."""
    head_first = Case(
        When(relation=HEAD, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        HouseholdMember.objects.filter(household=household)
        .select_related("resident")
        .order_by(head_first, "id")
    )


def _household_page(request: HttpRequest, household: Household, *, member_forms=None, status=200):
    members = list(_members(household))
    forms = member_forms or {}
    for member in members:
        member.relation_form = forms.get(member.pk) or RelationForm(
            initial={"relation": member.relation}, prefix=f"m{member.pk}"
        )
    context = {
        "household": household,
        "members": members,
        "has_head": any(m.relation == HEAD for m in members),
        "groups": HouseholdGroup.objects.visible_to(request.user)
        .filter(households=household)
        .order_by("name"),
    }
    return render(request, "people/household.html", context, status=status)


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A household with its members and their relation to the head, and what can be changed."""
    return _household_page(request, get_household_for_user(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def household_new(request: HttpRequest) -> HttpResponse:
    """The grid worker's phone form: a household and its residents in one go."""
    _require_collector(request)
    grids = grid_choices(request.user)
    if request.method == "POST":
        form = HouseholdForm(request.POST, grids=grids, prefix="household")
        members = MemberFormSet(request.POST, prefix="member", form_kwargs={"user": request.user})
        # Both validated (no short circuit): the household's and its members' errors at once.
        if all([form.is_valid(), members.is_valid()]):
            data = form.cleaned_data
            try:
                household = services.create_household(
                    grid=data["grid"],
                    number=data["number"],
                    registered_address=data["registered_address"],
                    members=[m.cleaned_data for m in members.forms if m.cleaned_data],
                    acting_user=request.user,
                )
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Household saved with its residents."))
                for submission in household.submissions:
                    messages.info(request, SUBMITTED_FOR % {"name": submission.name})
                return redirect("people:household_detail", pk=household.pk)
        status = 400
    else:
        form = HouseholdForm(grids=grids, prefix="household")
        members = MemberFormSet(prefix="member", initial=[{"relation": HEAD}])
        status = 200
    return render(
        request, "people/household_new.html", {"form": form, "members": members}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a household's number, address and grid."""
    _require_collector(request)
    household = get_household_for_user(request.user, pk)
    grids = grid_choices(request.user)
    if request.method == "POST":
        form = HouseholdEditForm(request.POST, grids=grids, instance=household)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.update_household(
                        household,
                        grid=data["grid"],
                        number=data["household_number"],
                        address=form.household_address(request.user),
                        move_members=data.get("move_members", False),
                        acting_user=request.user,
                    )
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Household saved."))
                return redirect("people:household_detail", pk=household.pk)
        status = 400
    else:
        form = HouseholdEditForm(grids=grids, instance=household)
        status = 200
    context = {"form": form, "household": household}
    return render(request, "people/household_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new resident joins the household (same checks as the new-household form)."""
    _require_collector(request)
    household = get_household_for_user(request.user, pk)
    if request.method == "POST":
        form = NewMemberForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = services.add_new_member(
                    household,
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    registered_address=data["registered_address"],
                    relation=data["relation"],
                    acting_user=request.user,
                )
            except ValidationError as error:
                _put_errors(form, error)
            else:
                if isinstance(member, DuplicateSubmission):
                    messages.info(request, SUBMITTED_FOR % {"name": member.name})
                else:
                    messages.success(
                        request,
                        _("%(name)s joined the household.") % {"name": member.resident.name},
                    )
                return redirect("people:household_detail", pk=household.pk)
        status = 400
    else:
        head = _members(household).filter(relation=HEAD).first()
        form = NewMemberForm(
            initial={"registered_address": head.resident.registered_address if head else ""}
        )
        status = 200
    context = {"form": form, "household": household}
    return render(request, "people/household_member_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident already kept joins the household: search (name, last 4 of ID, whole ID).

    The search is posted, not put in the URL: a whole ID number typed there must not end up in
    server logs or the browser's history.
    """
    _require_collector(request)
    household = get_household_for_user(request.user, pk)
    visible = Resident.objects.visible_to(request.user)
    searching = request.method == "GET" or "search" in request.POST
    form = ExistingMemberForm(None if searching else request.POST, residents=visible)
    if form.is_bound and form.is_valid():
        try:
            member = services.add_existing_member(
                household,
                resident=form.cleaned_data["resident"],
                relation=form.cleaned_data["relation"],
                acting_user=request.user,
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s joined the household.") % {"name": member.resident.name}
            )
            return redirect("people:household_detail", pk=household.pk)
    q = ""
    candidates = visible.none()
    if searching:
        q = (request.POST.get("q") or request.GET.get("q") or "").strip()
        if q:
            candidates = visible.filter(resident_search(q)).exclude(
                memberships__household=household
            )
    else:
        # After a refused choice, show the chosen resident again with the error beside it.
        candidates = visible.filter(pk=form.data.get("resident") or 0)
    results = list(
        candidates.select_related("grid")
        .defer("grid__geometry", "grid__description")
        .prefetch_related(
            Prefetch("memberships", queryset=HouseholdMember.objects.select_related("household"))
        )
        .order_by("name", "pk")[:SEARCH_LIMIT]
    )
    context = {
        "household": household,
        "form": form,
        "q": q,
        "results": results,
        "chosen": str(form.data.get("resident", "")) if form.is_bound else "",
        "limit": SEARCH_LIMIT,
        "relations": HouseholdMember.Relation.choices,
    }
    response = render(
        request,
        "people/household_member_add.html",
        context,
        status=400 if form.is_bound else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


def _member(household: Household, member_pk: int) -> HouseholdMember:
    return get_object_or_404(
        HouseholdMember.objects.select_related("resident", "household"),
        pk=member_pk,
        household=household,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_relation(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Change a member's relation to the head (a second head is refused with a clear error).

    A failed change is shown at this URL; reloading it (a GET) opens the household again.
    """
    _require_collector(request)
    household = get_household_for_user(request.user, pk)
    if request.method == "GET":
        return redirect("people:household_detail", pk=household.pk)
    member = _member(household, member_pk)
    form = RelationForm(request.POST, prefix=f"m{member.pk}")
    if form.is_valid():
        try:
            services.change_member_relation(
                member, relation=form.cleaned_data["relation"], acting_user=request.user
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("Relation saved."))
            return redirect("people:household_detail", pk=household.pk)
    return _household_page(request, household, member_forms={member.pk: form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def household_head(request: HttpRequest, pk: int) -> HttpResponse:
    """Make another member the head (户主); the former head takes the relation chosen here."""
    _require_collector(request)
    household = get_household_for_user(request.user, pk)
    members = _members(household)
    head = members.filter(relation=HEAD).first()
    candidates = members.exclude(relation=HEAD)
    data = request.POST if request.method == "POST" else None
    form = ChangeHeadForm(data, members=candidates, has_head=head is not None)
    if form.is_bound and form.is_valid():
        try:
            new_head = services.change_head(
                household,
                new_head=form.cleaned_data["new_head"],
                former_head_relation=form.cleaned_data.get(
                    "former_head_relation", HouseholdMember.Relation.OTHER
                ),
                acting_user=request.user,
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now the head of the household.") % {"name": new_head.resident.name},
            )
            return redirect("people:household_detail", pk=household.pk)
    context = {"household": household, "form": form, "head": head}
    status = 400 if form.is_bound else 200
    return render(request, "people/household_head.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Ask, then take a member out of the household; the resident's record stays."""
    _require_collector(request)
    household = get_household_for_user(request.user, pk)
    member = _member(household, member_pk)
    error = None
    if request.method == "POST":
        try:
            resident = services.remove_member(member, acting_user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("%(name)s left the household; their record is kept.") % {"name": resident.name},
            )
            return redirect("people:household_detail", pk=household.pk)
    context = {"household": household, "member": member, "error": error}
    return render(
        request, "people/household_member_remove.html", context, status=400 if error else 200
    )
