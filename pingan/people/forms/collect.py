"""Phone forms of the collection pages: a house (实有房屋), an organisation (实有单位), and the
edit form of a household (户).

All sit at a standard address, created or reused by its normalised form (a household's address
is optional). The contact phone of
an organisation is write-only: validated and stored through ``Organization.set_contact_phone``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pingan.core import crypto
from pingan.core.text import CleanCharField
from pingan.people import uscc
from pingan.people.forms.base import SELECT, TEXT, offer_grids
from pingan.people.models import Address, House, Household, Organization, normalise_address

ADDRESS_FIELDS = ["street", "number", "building", "unit", "room"]


def _text(label, max_length, required=False, **attrs):
    return CleanCharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput({**TEXT, **attrs}),
    )


class AddressFormMixin(forms.Form):
    """The grid (hidden if the user keeps one) and the parts of the standard address."""

    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, widget=forms.Select(SELECT))
    street = _text(_("Street or road"), 100, required=True)
    number = _text(_("Number"), 20)
    building = _text(_("Building"), 20)
    unit = _text(_("Unit"), 20)
    room = _text(_("Room"), 20)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        offer_grids(self.fields["grid"], grids)

    def find_address(self) -> tuple[Address | None, str]:
        """Return the kept address matching the cleaned data (or None) and its normalised form."""
        data = self.cleaned_data
        grid = data["grid"]
        key = normalise_address(grid.region.code, *(data.get(f, "") for f in ADDRESS_FIELDS))
        return Address.objects.filter(normalised=key).first(), key

    def address_for(self, user) -> Address:
        """Return the kept standard address or create it (call after is_valid)."""
        address, _key = self.find_address()
        if address is not None:
            return address
        data = self.cleaned_data
        grid = data["grid"]
        return Address.objects.create(
            grid=grid,
            region_id=grid.region_id,
            collected_by=user,
            **{f: data.get(f, "").strip() for f in ADDRESS_FIELDS},
        )

    @staticmethod
    def address_initial(address: Address | None) -> dict:
        if address is None:
            return {}
        return {f: getattr(address, f) for f in ADDRESS_FIELDS}


class HouseForm(AddressFormMixin):
    use = forms.ChoiceField(label=_("Use"), choices=House.Use.choices, widget=forms.Select(SELECT))
    owner_name = _text(_("Owner"), 50)
    occupier_name = _text(_("Occupier"), 50)
    is_rented = forms.BooleanField(
        label=_("Rented out"),
        required=False,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )
    safety_notes = CleanCharField(
        multiline=True,
        label=_("Safety notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({"class": "form-control", "rows": 3}),
    )

    def __init__(self, *args, instance: House | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {
                "grid": instance.grid_id,
                "use": instance.use,
                "owner_name": instance.owner_name,
                "occupier_name": instance.occupier_name,
                "is_rented": instance.is_rented,
                "safety_notes": instance.safety_notes,
                **self.address_initial(instance.address),
            }
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        # Checked even when other fields are wrong (all errors at once), as long as the address
        # itself is complete; the error sits on the address, where it can be corrected.
        if not data.get("grid") or set(self.errors) & {"grid", *ADDRESS_FIELDS}:
            return data
        address, _key = self.find_address()
        if address is not None:
            house = House.objects.filter(address=address).first()
            if house is not None and (self.instance is None or house.pk != self.instance.pk):
                self.add_error("street", _("A house is already kept at this address."))
        return data


class OrganizationForm(AddressFormMixin):
    name = _text(_("Name"), 100, required=True)
    credit_code = _text(_("Unified social credit code"), 20)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Organization.Kind.choices, widget=forms.Select(SELECT)
    )
    contact_name = _text(_("Contact"), 50)
    contact_phone = _text(_("Contact phone"), 20, inputmode="tel")

    field_order = ["grid", "name", "credit_code", "kind", *ADDRESS_FIELDS]

    def __init__(self, *args, instance: Organization | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {
                "grid": instance.grid_id,
                "name": instance.name,
                "credit_code": instance.credit_code or "",
                "kind": instance.kind,
                "contact_name": instance.contact_name,
                **self.address_initial(instance.address),
            }
        super().__init__(*args, **kwargs)
        # Write-only: the typed number is never sent back; the page shows only the masked one.
        self.fields["contact_phone"].widget = forms.PasswordInput(
            {**TEXT, "inputmode": "tel"}, render_value=False
        )
        if instance is not None and instance.contact_phone_masked:
            self.fields["contact_phone"].help_text = _(
                "Kept: %(masked)s. Leave empty to keep it."
            ) % {"masked": instance.contact_phone_masked}

    def clean_credit_code(self) -> str | None:
        value = self.cleaned_data["credit_code"]
        if not value.strip():
            return None
        code = uscc.validate(value)
        kept = Organization.objects.filter(credit_code=code)
        if self.instance is not None:
            kept = kept.exclude(pk=self.instance.pk)
        if kept.exists():
            raise ValidationError(_("An organisation with this credit code is already kept."))
        return code

    def clean_contact_phone(self) -> str:
        value = self.cleaned_data["contact_phone"].strip()
        return crypto.validate_phone(value) if value else ""


class HouseholdEditForm(AddressFormMixin):
    """A kept household: its number, grid and (optional) standard address.

    The address's door number is the mixin's ``number``, so the household's own number is
    ``household_number``.
    """

    household_number = _text(_("Household number"), 30)
    move_members = forms.BooleanField(
        label=_("Move the members living in the old grid along with the household"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )

    field_order = ["household_number", "grid", *ADDRESS_FIELDS, "move_members"]

    def __init__(self, *args, instance: Household, **kwargs):
        self.instance = instance
        if "data" not in kwargs and not args:
            kwargs["initial"] = {
                "household_number": instance.number,
                "grid": instance.grid_id,
                "move_members": True,
                **self.address_initial(instance.address),
            }
        super().__init__(*args, **kwargs)
        self.fields["street"].required = False
        self.fields["street"].help_text = _("Leave the address empty if it is not known yet.")
        if self.fields["grid"].widget.is_hidden:
            # One grid to keep: the household cannot move, so there is nothing to ask.
            del self.fields["move_members"]

    def clean(self):
        data = super().clean()
        parts = [data.get(f, "").strip() for f in ADDRESS_FIELDS if f != "street"]
        if any(parts) and not data.get("street", "").strip():
            self.add_error("street", _("Enter the street or road of the address."))
        return data

    def household_address(self, user) -> Address | None:
        """Return the household's standard address (kept or created), or None if left empty."""
        if not self.cleaned_data.get("street", "").strip():
            return None
        return self.address_for(user)
