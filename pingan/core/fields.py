"""Model fields shared by the apps."""

from __future__ import annotations

import re

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from pingan.core.text import CleanCharField, clean_line, clean_text

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


class CleanTextMixin:
    """What a line or a text field shares: cleaned on save, its length enforced on save.

    A field's ``max_length`` is otherwise checked only by forms (and, for a CharField, by
    PostgreSQL as a DataError, a 500): here every save (and ``bulk_create``) raises a
    ValidationError naming the field, which the API answers 400 and the pages show.
    """

    multiline = False

    def clean_value(self, value):
        if not isinstance(value, str):
            return value
        return clean_text(value) if self.multiline else clean_line(value)

    def to_python(self, value):
        return self.clean_value(super().to_python(value))

    def pre_save(self, model_instance, add):
        value = self.clean_value(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        if isinstance(value, str) and self.max_length and len(value) > self.max_length:
            raise ValidationError(
                {
                    self.name: validators.MaxLengthValidator.message
                    % {"limit_value": self.max_length, "show_value": len(value)}
                },
                code="max_length",
            )
        return value

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", CleanCharField)
        if issubclass(kwargs["form_class"], CleanCharField):
            kwargs.setdefault("multiline", self.multiline)
        return super().formfield(**kwargs)


class LineField(CleanTextMixin, models.CharField):
    """One line a person types (a name, a title, an address): cleaned by ``clean_line``."""


class NoteField(CleanTextMixin, models.CharField):
    """A short text of lines (a note, a comment, a reason): cleaned by ``clean_text``."""

    multiline = True


class LongTextField(CleanTextMixin, models.TextField):
    """Lines of text with a required ``max_length`` that, unlike a TextField's, always holds."""

    multiline = True
    description = _("Text (up to %(max_length)s)")

    def __init__(self, *args, max_length: int, **kwargs) -> None:
        super().__init__(*args, max_length=max_length, **kwargs)

    @cached_property
    def validators(self):
        return [*super().validators, validators.MaxLengthValidator(self.max_length)]
