"""A test helper: POST data that gets every field of a form wrong at once.

The pages promise to report all of a form's errors together; the tests of each app fill a form
with :func:`bad_values` and check that every field it names carries an error.
"""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile


def not_a_photo(name: str = "scan.png") -> SimpleUploadedFile:
    """Return an upload that claims to be a PNG and is not one."""
    return SimpleUploadedFile(name, b"not an image at all", content_type="image/png")


def bad_values(form: forms.BaseForm) -> tuple[dict, set[str]]:
    """Return POST data with every field of ``form`` wrong or empty, and the fields that must
    then carry an error: each required one and each one given a malformed value."""
    data: dict = {}
    expected: set[str] = set()
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(field, forms.FileField):
            data[key] = [not_a_photo()]
            expected.add(name)
        elif isinstance(field, forms.BooleanField):
            if field.required:
                expected.add(name)
        elif isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
            data[key] = ["no-such-choice"]
            expected.add(name)
        elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            data[key] = "no-such-choice"
            expected.add(name)
        elif isinstance(field, forms.DateTimeField | forms.DateField | forms.FloatField):
            data[key] = "not a value"
            expected.add(name)
        elif isinstance(field, forms.IntegerField):
            data[key] = "not a number"
            expected.add(name)
        elif isinstance(field, forms.CharField) and field.max_length:
            data[key] = "长" * (field.max_length + 1)
            expected.add(name)
        else:
            data[key] = ""
            if field.required:
                expected.add(name)
    return data, expected
