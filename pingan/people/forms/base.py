"""What the basic-data forms share: the widgets' attributes and the grid a record is kept in."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

TEXT = {"class": "form-control", "autocomplete": "off"}
SELECT = {"class": "form-select"}


def offer_grids(field: forms.ModelChoiceField, grids: QuerySet) -> None:
    """Let ``field`` choose among ``grids``; with only one, choose it and hide the field."""
    field.queryset = grids
    first = list(grids[:2])
    if len(first) == 1:
        field.initial = first[0].pk
        field.widget = forms.HiddenInput()
