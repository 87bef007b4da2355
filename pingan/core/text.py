"""Text typed by people, cleaned of what no one can see: one rule for names, titles and notes.

Control characters (``\\x01``, ``\\x0b``…), bidirectional overrides and isolates (U+202A–202E,
U+2066–2069, which make "txt.exe" read "exe.txt") and zero-width characters (U+200B–200D,
U+2060, U+FEFF) are *stripped*, not refused: they are invisible, so a grid worker who pasted a
name from a chat message could neither see nor remove what an error complained of, and what
is left is exactly the text they saw. A line (a name, a title, an address) also loses line
breaks and tabs; a note or a description keeps them.

The model fields of :mod:`pingan.core.fields` clean on every save, so no path (a form, the
API, an import, the admin) stores such characters; :class:`CleanCharField` does the same for
plain forms, and the API's serializers clean through their model's save.
"""

from __future__ import annotations

import re

from django import forms

# C0 and C1 controls except tab, line feed and carriage return; DEL.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidirectional embeddings, overrides and isolates; the invisible marks LRM, RLM, ALM.
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Zero-width space, non-joiner, joiner; word joiner; byte-order mark (zero-width no-break).
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
INVISIBLE_RE = re.compile(f"[{_CONTROLS}{_BIDI}{_ZERO_WIDTH}]")
_LINE_BREAKS_RE = re.compile(r"[\t\r\n\u2028\u2029]+")


def clean_line(value: str) -> str:
    """Return ``value`` as one clean line: no invisible characters, breaks as one space, trimmed."""
    if not value:
        return value
    value = _LINE_BREAKS_RE.sub(" ", str(value))
    return INVISIBLE_RE.sub("", value).strip()


def clean_text(value: str) -> str:
    """Return ``value`` (lines of text) without invisible characters; "\\r\\n" becomes "\\n"."""
    if not value:
        return value
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return INVISIBLE_RE.sub("", value).strip()


class CleanCharField(forms.CharField):
    """A form field for a line (or, with ``multiline=True``, lines) of text, cleaned as above.

    Cleaning comes before the checks, so a name of zero-width spaces is "required", and a
    length counts only the characters kept.
    """

    def __init__(self, *, multiline: bool = False, **kwargs) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return clean_text(value) if self.multiline else clean_line(value)
