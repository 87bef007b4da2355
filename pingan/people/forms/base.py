"""What the basic-data forms share: the widgets' attributes."""

from __future__ import annotations

TEXT = {"class": "form-control", "autocomplete": "off"}
