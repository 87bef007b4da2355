"""Model fields shared by the apps."""

from __future__ import annotations

import re

from django.db import models

_DIGITS = re.compile(r"\d+")
# Digit runs are padded to this width, so that numbers up to it compare by value.
_WIDTH = 10


def natural_key(text: str, size: int = 255) -> str:
    """Return ``text`` with its numbers padded, so "第2联户" sorts before "第10联户".

    Full-width digits count as digits. The key is cut at ``size`` characters (names that long
    sort by their beginning).
    """
    key = _DIGITS.sub(lambda m: str(int(m.group())).rjust(_WIDTH, "0"), text or "")
    return key[:size]


class NaturalSortKeyField(models.CharField):
    """A copy of the ``source`` field in which numbers compare by value, for ``order_by``.

    Filled on every save and ``bulk_create`` (both call ``pre_save``), never edited by hand. A
    ``bulk_update`` of the source field must list this field too, after calling ``pre_save``.
    """

    def __init__(self, *args, source: str = "name", **kwargs) -> None:
        self.source = source
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("max_length", 255), ("editable", False), ("default", "")):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = natural_key(getattr(model_instance, self.source), self.max_length)
        setattr(model_instance, self.attname, value)
        return value
