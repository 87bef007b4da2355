"""Forms of the household pages: a household with its members (one phone form), the member
changes of a household (new or existing resident, relation, head).

The forms check what they can see in the request; the services in ``services.py`` check again
under a row lock and have the last word (their errors are put back on these forms' fields).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from pingan.core import crypto
from pingan.core.text import CleanCharField
from pingan.people import idnumber
from pingan.people.forms.base import TEXT, offer_grids
from pingan.people.models import HouseholdMember, Resident

MAX_MEMBERS = 8


class HouseholdForm(forms.Form):
    """The household itself: where it lives."""

    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    number = forms.CharField(
        label=_("Household number"), max_length=30, required=False, widget=forms.TextInput(TEXT)
    )
    registered_address = CleanCharField(
        label=_("Household registration address"), max_length=200, widget=forms.TextInput(TEXT)
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        offer_grids(self.fields["grid"], grids)


class MemberForm(forms.Form):
    """One resident of the household: name, ID number, phone, relation to the head."""

    name = CleanCharField(label=_("Name"), max_length=50, widget=forms.TextInput(TEXT))
    id_number = forms.CharField(
        label=_("ID number"), max_length=20, widget=forms.TextInput({**TEXT, "inputmode": "text"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput({**TEXT, "inputmode": "tel"}),
    )
    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        # An empty first choice: a row the worker did not touch stays empty and is skipped.
        choices=[("", "—"), *HouseholdMember.Relation.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_id_number(self) -> str:
        from pingan.people import duplicates

        number = idnumber.validate(self.cleaned_data["id_number"])
        kept = duplicates.kept_with_number(Resident.hash_of(number))
        # A number kept outside the user's scope passes here: the service sends it to the
        # centre to check, and the answer must not tell that it is kept somewhere.
        if kept is not None and (self.user is None or duplicates.in_scope(kept, self.user)):
            raise ValidationError(duplicates.already_kept_message(kept))
        return number

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        return crypto.validate_phone(value) if value else ""


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        # Every check runs on what the rows got right, even when some rows are wrong, so the
        # worker reads every problem of the household at once (the rows' own errors included).
        rows = [f for f in self.forms if f.has_changed()]
        if not rows:
            raise ValidationError(_("Enter at least one resident."))
        errors = []
        relations = [f.cleaned_data.get("relation") for f in rows]
        heads = relations.count(HouseholdMember.Relation.HEAD)
        if heads > 1 or (heads == 0 and all(relations)):
            errors.append(_("A household has exactly one head."))
        numbers = [f.cleaned_data["id_number"] for f in rows if f.cleaned_data.get("id_number")]
        if len(set(numbers)) != len(numbers):
            errors.append(_("The same ID number is entered twice."))
        if errors:
            raise ValidationError(errors)


MemberFormSet = formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=3, max_num=MAX_MEMBERS, validate_max=True
)


RELATION_CHOICES = [("", "—"), *HouseholdMember.Relation.choices]
NOT_HEAD_CHOICES = [
    (value, label)
    for value, label in HouseholdMember.Relation.choices
    if value != HouseholdMember.Relation.HEAD
]


class NewMemberForm(MemberForm):
    """A new resident joining a kept household: the new-household row plus where they are
    registered (户籍), which the head's registration fills in."""

    registered_address = CleanCharField(
        label=_("Household registration address"), max_length=200, widget=forms.TextInput(TEXT)
    )


class ExistingMemberForm(forms.Form):
    """A resident already kept (and visible to the user) joining a household."""

    resident = forms.ModelChoiceField(
        label=_("Resident"),
        queryset=Resident.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a resident from your grids.")},
    )
    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        choices=RELATION_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents


class RelationForm(forms.Form):
    """A member's relation to the head, changed on the household page."""

    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        choices=HouseholdMember.Relation.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class ChangeHeadForm(forms.Form):
    """Who becomes the head (户主), and what the former head is to them."""

    new_head = forms.ModelChoiceField(
        label=_("New head"),
        queryset=HouseholdMember.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    former_head_relation = forms.ChoiceField(
        label=_("The former head becomes"),
        choices=NOT_HEAD_CHOICES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, members, has_head: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_head"].queryset = members
        self.fields["new_head"].label_from_instance = lambda m: (
            f"{m.resident.name}（{m.get_relation_display()}）"
        )
        if not has_head:
            # Nobody steps down: the field would only confuse.
            del self.fields["former_head_relation"]
