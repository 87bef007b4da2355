"""The phone form of a 联户 group (十户联防 / 十铺 / 十车): name, kind, grid, head, members.

The head, the member households and the shops are chosen by searching (the page's pickers ask
``views.groups.group_pick`` for candidates), so the choices are the records the user may see,
plus those already in the group: a grid worker can keep the members the centre chose from
another grid without being able to add any.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from pingan.core.text import CleanCharField
from pingan.people.forms.base import SELECT, TEXT, offer_grids
from pingan.people.models import Household, HouseholdGroup, Organization, Resident
from pingan.people.services import MAX_VEHICLES, vehicle_lines


def _choices(model, user, kept: Q | None) -> QuerySet:
    """Return the records of ``model`` the user may choose: those they see, and ``kept``."""
    q = Q(pk__in=model.objects.visible_to(user).values("pk"))
    return model.objects.filter(q | kept if kept is not None else q)


class GroupForm(forms.Form):
    """A 联户 group; the pickers of the page send the chosen records' ids."""

    name = CleanCharField(label=_("Name"), max_length=100, widget=forms.TextInput(TEXT))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=HouseholdGroup.Kind.choices,
        initial=HouseholdGroup.Kind.HOUSEHOLDS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, widget=forms.Select(SELECT))
    head = forms.ModelChoiceField(
        label=_("Group head (联户长)"),
        queryset=Resident.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a resident from your grids.")},
    )
    households = forms.ModelMultipleChoiceField(
        label=_("Member households"),
        queryset=Household.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose households from your grids.")},
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Member shops"),
        queryset=Organization.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose shops from your grids.")},
    )
    vehicles = CleanCharField(
        multiline=True,
        label=_("Vehicles"),
        required=False,
        max_length=5000,
        help_text=_("One vehicle per line: plate and owner."),
        widget=forms.Textarea({"class": "form-control", "rows": 3}),
    )

    def __init__(self, *args, user, grids: QuerySet, instance: HouseholdGroup | None = None, **kw):
        self.instance = instance
        if instance is not None and "data" not in kw and not args:
            kw["initial"] = {
                "name": instance.name,
                "kind": instance.kind,
                "grid": instance.grid_id,
                "head": instance.head_id,
                "households": list(instance.households.values_list("pk", flat=True)),
                "organizations": list(instance.organizations.values_list("pk", flat=True)),
                "vehicles": instance.vehicles,
            }
        super().__init__(*args, **kw)
        offer_grids(self.fields["grid"], grids)
        group = instance
        self.fields["head"].queryset = _choices(
            Resident, user, Q(pk=group.head_id) if group and group.head_id else None
        )
        self.fields["households"].queryset = _choices(
            Household, user, Q(pk__in=group.households.values("pk")) if group else None
        )
        self.fields["organizations"].queryset = _choices(
            Organization, user, Q(pk__in=group.organizations.values("pk")) if group else None
        )

    def clean_vehicles(self) -> str:
        lines = vehicle_lines(self.cleaned_data["vehicles"])
        if len(lines) > MAX_VEHICLES:
            raise forms.ValidationError(
                _("At most %(n)s vehicles, one per line."), params={"n": MAX_VEHICLES}
            )
        return "\n".join(lines)
