"""Routing rules and the routing test."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pingan.events import routing
from pingan.events.forms.common import (
    PinganForm,
    category_choices,
    village_choices,
)
from pingan.events.models import Category, RoutingRule
from pingan.geo.models import Region


class RoutingRuleForm(forms.ModelForm):
    """Add or edit a routing rule inside the user's regions."""

    category = forms.ChoiceField(label=_("Category"), required=False)

    class Meta:
        model = RoutingRule
        fields = ["category", "region", "department", "note", "is_active"]

    def __init__(self, *args, regions, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(majors=True, blank=_("Every category"))
        self.fields["category"].help_text = RoutingRule._meta.get_field("category").help_text
        if self.instance.pk and self.instance.category_id and not self.is_bound:
            self.initial["category"] = self.instance.category.code
        self.fields["region"].queryset = regions
        self.fields["region"].empty_label = _("Everywhere")
        self.fields["department"].queryset = departments
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def clean_category(self):
        code = self.cleaned_data.get("category")
        if not code:
            return None
        try:
            return Category.objects.get(code=code)
        except Category.DoesNotExist as exc:
            raise ValidationError(_("Choose a category from the list.")) from exc

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in [field] if field in self.fields else []:
            widget = self.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"


class RouteTestForm(PinganForm):
    """Category and a place (map point or village): which department gets it, and why."""

    category = forms.ChoiceField(label=_("Category"))
    village = forms.ChoiceField(label=_("Village / community"), required=False)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["village"].choices = village_choices(
            Region.objects.visible_to(user).filter(
                level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE]
            )
        )

    def clean(self):
        data = super().clean()
        has_point = data.get("lng") is not None and data.get("lat") is not None
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.add_error("lng", _("Give both longitude and latitude."))
        elif not has_point and not data.get("village") and not self.has_error("village"):
            self.add_error(
                "village", _("Choose a village or give a point (longitude and latitude).")
            )
        return data

    def route(self) -> dict[str, Any]:
        """Return where the test event goes: place, how it was located, department, reason."""
        from pingan.geo.locate import locate

        data = self.cleaned_data
        category = Category.objects.select_related("parent").get(code=data["category"])
        region = None
        located = ""
        grid_name = ""
        if data.get("lng") is not None and data.get("lat") is not None:
            found = locate(data["lng"], data["lat"])
            if found is not None:
                region = Region.objects.get(pk=found.region_id)
                grid_name = found.grid_name
                located = (
                    _("The point lies in grid %(grid)s.") % {"grid": found.grid_name}
                    if found.grid_id
                    else _("The point lies outside every grid; the nearest village is used.")
                )
            else:
                located = _("The point lies outside every county: the county centre decides.")
        if region is None and data.get("village"):
            region = Region.objects.get(code=data["village"])
            located = located or _("The chosen village is used.")
        result = {"category": category, "region": region, "located": located, "grid": grid_name}
        if region is None:
            result.update(department=None, centre=None, rule=None, reason=located)
            return result
        found_route = routing.route(category, region)
        result.update(
            department=found_route.department,
            centre=found_route.centre,
            rule=found_route.rule,
            reason=found_route.reason,
            auto=category.auto_dispatch,
        )
        return result
