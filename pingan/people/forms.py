"""Forms of the basic-data pages: a household with its members (one phone form), reveal, search."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from pingan.core import crypto
from pingan.people import idnumber
from pingan.people.models import HouseholdMember, Resident, RevealLog

MAX_MEMBERS = 8
TEXT = {"class": "form-control", "autocomplete": "off"}


class HouseholdForm(forms.Form):
    """The household itself: where it lives."""

    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    number = forms.CharField(
        label=_("Household number"), max_length=30, required=False, widget=forms.TextInput(TEXT)
    )
    registered_address = forms.CharField(
        label=_("Household registration address"), max_length=200, widget=forms.TextInput(TEXT)
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        first = list(grids[:2])
        if len(first) == 1:
            self.fields["grid"].initial = first[0].pk
            self.fields["grid"].widget = forms.HiddenInput()


class MemberForm(forms.Form):
    """One resident of the household: name, ID number, phone, relation to the head."""

    name = forms.CharField(label=_("Name"), max_length=50, widget=forms.TextInput(TEXT))
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

    def clean_id_number(self) -> str:
        number = idnumber.validate(self.cleaned_data["id_number"])
        if Resident.objects.filter(id_number_hash=Resident.hash_of(number)).exists():
            raise ValidationError(_("A resident with this ID number is already kept."))
        return number

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        return crypto.validate_phone(value) if value else ""


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        members = [f.cleaned_data for f in self.forms if f.cleaned_data]
        if not members:
            raise ValidationError(_("Enter at least one resident."))
        heads = [m for m in members if m["relation"] == HouseholdMember.Relation.HEAD]
        if len(heads) != 1:
            raise ValidationError(_("A household has exactly one head."))
        numbers = [m["id_number"] for m in members]
        if len(set(numbers)) != len(numbers):
            raise ValidationError(_("The same ID number is entered twice."))


MemberFormSet = formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=3, max_num=MAX_MEMBERS, validate_max=True
)


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Number"),
        choices=RevealLog.Field.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False, widget=forms.TextInput(TEXT)
    )
