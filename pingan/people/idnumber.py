"""Citizen ID numbers (公民身份号码) per GB 11643-1999.

An 18-character number reads:

    RRRRRR YYYYMMDD SSS C
    region birth    seq check

* region: the 6-digit administrative division code where the number was first issued; its first
  two digits are the province;
* birth: the birth date;
* seq: a sequence number; its last digit (the 17th character) is odd for men, even for women;
* check: MOD 11-2 over the first 17 digits, "X" standing for 10.

Old 15-digit numbers (issued before 1999) have a 2-digit year (19YY), no check digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MALE = "male"
FEMALE = "female"

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_DIGITS = "10X98765432"  # indexed by (weighted sum mod 11)

# First two digits of a region code: the provinces, autonomous regions and municipalities,
# Taiwan (71), Hong Kong (81), Macao (82), residence permits for Taiwan residents (83) and
# permanent residence for foreigners (91).
PROVINCES = frozenset(
    [f"{code}" for code in range(11, 16)]
    + [f"{code}" for code in range(21, 24)]
    + [f"{code}" for code in range(31, 38)]
    + [f"{code}" for code in range(41, 47)]
    + [f"{code}" for code in range(50, 55)]
    + [f"{code}" for code in range(61, 66)]
    + ["71", "81", "82", "83", "91"]
)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")
_FIFTEEN = re.compile(r"[0-9]{15}")
_SEVENTEEN = re.compile(r"[0-9]{17}")

MESSAGES = {
    "length": _("An ID number has 18 characters (or 15 for an old one)."),
    "characters": _("An ID number has only digits, with X allowed only as its 18th character."),
    "region": _("The first two digits of the ID number are not a province code."),
    "birth_date": _("The birth date in the ID number (digits 7 to 14) is not a real date."),
    "birth_date_early": _("The birth date in the ID number is before 1900."),
    "birth_date_future": _("The birth date in the ID number is in the future."),
    "check_digit": _("The check digit (the last character) is wrong."),
}


@dataclass(frozen=True)
class IdNumber:
    """A valid citizen ID number and what it says about its holder."""

    number: str  # 18 characters, normalised
    region: str  # 6 digits
    birth_date: date
    sex: str  # MALE or FEMALE


def normalise(value: str) -> str:
    """Remove spaces (also inside the number) and upper-case a trailing x."""
    value = "".join(value.split())
    if value.endswith("x"):
        value = value[:-1] + "X"
    return value


def check_digit(first17: str) -> str:
    """Return the MOD 11-2 check character ("0"–"9" or "X") for 17 digits."""
    if not _SEVENTEEN.fullmatch(first17):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_DIGITS[total % 11]


def convert_15_to_18(value: str) -> str:
    """Convert an old 15-digit number to 18: insert the century "19", append the check digit.

    Raise ValueError unless the normalised value has exactly 15 digits; the birth date and region
    are not checked here (parse() does that).
    """
    value = normalise(value)
    if not _FIFTEEN.fullmatch(value):
        raise ValueError(f"expected 15 digits, got {value!r}")
    first17 = value[:6] + "19" + value[6:]
    return first17 + check_digit(first17)


def _error(key: str, code: str | None = None) -> ValidationError:
    # Rendered now, in the language active where the error is raised.
    return ValidationError(str(MESSAGES[key]), code=code or key)


def _birth_date(digits: str, today: date) -> date:
    """Return the date of 8 digits YYYYMMDD, or raise ValidationError."""
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise _error("birth_date") from None
    if born < EARLIEST_BIRTH_DATE:
        raise _error("birth_date_early", "birth_date")
    if born > today:
        raise _error("birth_date_future", "birth_date")
    return born


def parse(value: str, *, today: date | None = None) -> IdNumber:
    """Check an 18- or 15-character ID number and return what it encodes.

    Raise ValidationError (code "length", "characters", "region", "birth_date" or "check_digit")
    at the first problem found, in that order. `today` defaults to the local date of TIME_ZONE;
    birth dates after it are refused.
    """
    number = normalise(value)
    if len(number) not in (15, 18):
        raise _error("length")
    pattern = _FIFTEEN if len(number) == 15 else _EIGHTEEN
    if not pattern.fullmatch(number):
        raise _error("characters")
    if number[:2] not in PROVINCES:
        raise _error("region")
    if today is None:
        today = timezone.localdate()
    if len(number) == 15:
        birth_date = _birth_date("19" + number[6:12], today)
        number = convert_15_to_18(number)
    else:
        birth_date = _birth_date(number[6:14], today)
        if check_digit(number[:17]) != number[17]:
            raise _error("check_digit")
    return IdNumber(
        number=number,
        region=number[:6],
        birth_date=birth_date,
        sex=MALE if int(number[16]) % 2 else FEMALE,
    )


def validate(value: str | None) -> str:
    """Return the normalised 18-character number, or raise ValidationError.

    Usable as a form field or serializer validator; old 15-digit numbers come back converted.
    """
    return parse("" if value is None else str(value)).number


def mask(value: str | None) -> str:
    """Keep the first 3 and last 4 characters, star the rest: 510***********1234.

    Values of 7 characters or fewer are starred completely; an empty value stays empty.
    """
    value = normalise(value or "")
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def generate(region: str, birth_date: date, sequence: int) -> str:
    """Build a valid 18-character number (for synthetic demo data and tests).

    The sequence (0–999) becomes digits 15–17; its parity sets the sex (odd: male). Raise
    ValueError for a region that is not 6 digits starting with a province code, a sequence out
    of range or a birth date before 1900.
    """
    if not re.fullmatch(r"[0-9]{6}", region) or region[:2] not in PROVINCES:
        raise ValueError(f"not a region code: {region!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence out of range 0–999: {sequence!r}")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValueError(f"birth date before 1900: {birth_date!r}")
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
