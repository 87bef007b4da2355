"""Personal data at rest (ARCHITECTURE rule 6): encrypt, look up by keyed hash, show masked.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under
``PINGAN_FIELD_KEYS`` (newest first; older keys still decrypt, so keys rotate without
downtime). Exact-match search goes through :func:`keyed_hash`, an HMAC-SHA256 under
``PINGAN_HASH_KEY`` of the normalised value: the database never holds the plain value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code (3–4 digits starting with 0) and a 7–8 digit number, optional extension.
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
SERVICE_RE = re.compile(r"^(1\d{4}|[48]00\d{7})$")  # 12345, 95598, 400/800 numbers


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.PINGAN_FIELD_KEYS))


def encrypt(value: str) -> str:
    """Return ``value`` encrypted with the newest field key ("" stays "")."""
    if not value:
        return ""
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plain value of ``token`` ("" stays ""); raise ValueError if no key opens it."""
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("no configured field key decrypts this value") from exc


def rotate(token: str) -> str:
    """Return ``token`` re-encrypted under the newest key."""
    return fernet().rotate(token.encode()).decode() if token else ""


def keyed_hash(value: str) -> str:
    """Return the HMAC-SHA256 (hex) of the normalised ``value`` for exact-match lookups."""
    if not value:
        return ""
    normal = re.sub(r"[\s-]", "", value).upper()
    key = settings.PINGAN_HASH_KEY.encode()
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()


def normalise_phone(value: str) -> str:
    """Return the phone number without spaces or a +86 prefix ("" for blank)."""
    value = re.sub(r"[\s()（）]", "", value or "")
    digits = value.replace("-", "")
    # A mobile may be written 138-0013-8000; a landline keeps the dash after its area code.
    if re.fullmatch(r"(\+?86|0086)?1\d{10}", digits):
        return digits[-11:]
    return value


def validate_phone(value: str) -> str:
    """Return the normalised phone, or raise ValidationError if it is no mainland number."""
    phone = normalise_phone(value)
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone) or SERVICE_RE.match(phone)):
        raise ValidationError(
            _("Enter a mainland mobile (11 digits starting with 1) or a landline with area code."),
            code="phone",
        )
    return phone


def protect_phone(value: str) -> tuple[str, str, str]:
    """Return (encrypted, keyed hash, masked) of a phone number, all "" for a blank one.

    Raise ValidationError if it is no mainland number. Models store the three columns.
    """
    if not value:
        return "", "", ""
    phone = validate_phone(value)
    return encrypt(phone), keyed_hash(phone), mask_phone(phone)


def mask_phone(value: str) -> str:
    """Return ``138****1234`` for a mobile, the last four digits behind stars otherwise."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if MOBILE_RE.match(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
