"""Basic data 一标三实: standard addresses, houses, residents, households, 联户 groups and
organisations.

Personal data is protected from the first line (ARCHITECTURE rule 6): ID numbers and phone
numbers are stored only encrypted (``*_encrypted``, Fernet under ``PINGAN_FIELD_KEYS``), found by
exact value through a keyed hash (``*_hash``), and shown masked (``*_masked``). Set them only
through ``set_id_number`` / ``set_phone``. Ethnicity and religion are not stored: no feature
needs them.
"""

from pingan.people.models.base import Collected, PeopleQuerySet, normalise_address
from pingan.people.models.duplicates import DuplicateQuerySet, DuplicateSubmission
from pingan.people.models.logs import SHOWN_FIELD_LABELS, AccessLog, RevealLog, shown_field_label
from pingan.people.models.records import (
    Address,
    House,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
)

__all__ = [
    "AccessLog",
    "Address",
    "Collected",
    "DuplicateQuerySet",
    "DuplicateSubmission",
    "House",
    "Household",
    "HouseholdGroup",
    "HouseholdMember",
    "Organization",
    "PeopleQuerySet",
    "Resident",
    "RevealLog",
    "SHOWN_FIELD_LABELS",
    "normalise_address",
    "shown_field_label",
]
