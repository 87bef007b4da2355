"""Unified social credit codes (统一社会信用代码) per GB 32100-2015.

A code has 18 characters from a 31-character alphabet (the digits and the capital letters
without I, O, S, V and Z):

    A T RRRRRR OOOOOOOOO C
    | | region organisation check

* A: the registering authority (e.g. 9 for market regulation), T: the kind of organisation;
* region: the 6-digit administrative division code;
* organisation: the 9-character organisation code (GB 11714);
* check: 31 - (weighted sum of the first 17 mod 31), mod 31, weights 3^i mod 31.

Only the length, the alphabet and the check character are validated here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {character: index for index, character in enumerate(ALPHABET)}

MESSAGES = {
    "length": _("A unified social credit code has 18 characters."),
    "characters": _(
        "A unified social credit code has only digits and capital letters other than "
        "I, O, S, V and Z."
    ),
    "check": _("The check character (the last character) is wrong."),
}


def normalise(value: str) -> str:
    """Remove spaces (also inside the code) and upper-case it."""
    return "".join(value.split()).upper()


def check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(character not in _VALUES for character in first17):
        raise ValueError(f"expected 17 characters of {ALPHABET}, got {first17!r}")
    pairs = zip(first17, WEIGHTS, strict=True)
    total = sum(_VALUES[character] * weight for character, weight in pairs)
    return ALPHABET[(31 - total % 31) % 31]


def validate(value: str | None) -> str:
    """Return the normalised 18-character code, or raise ValidationError.

    Codes: "length", "characters", "check" (checked in that order). Usable as a form field or
    serializer validator.
    """
    code = normalise("" if value is None else str(value))
    if len(code) != 18:
        raise ValidationError(str(MESSAGES["length"]), code="length")
    if any(character not in _VALUES for character in code):
        raise ValidationError(str(MESSAGES["characters"]), code="characters")
    if check_character(code[:17]) != code[17]:
        raise ValidationError(str(MESSAGES["check"]), code="check")
    return code


def generate(prefix17_without_check: str) -> str:
    """Append the check character to 17 characters (for synthetic demo data and tests).

    Raise ValueError unless the normalised prefix has 17 characters of the alphabet.
    """
    prefix = normalise(prefix17_without_check)
    return prefix + check_character(prefix)
