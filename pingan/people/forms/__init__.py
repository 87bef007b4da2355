"""The basic-data forms, one module a topic: ``households`` (a household and its members),
``residents`` (reveal), ``collect`` (houses, organisations, a household's address), ``groups``
(联户); ``base`` holds what they share.

The names of the former ``forms`` module stay importable from here.
"""

from pingan.people.forms.base import TEXT
from pingan.people.forms.households import (
    MAX_MEMBERS,
    NOT_HEAD_CHOICES,
    RELATION_CHOICES,
    BaseMemberFormSet,
    ChangeHeadForm,
    ExistingMemberForm,
    HouseholdForm,
    MemberForm,
    MemberFormSet,
    NewMemberForm,
    RelationForm,
)
from pingan.people.forms.residents import RevealForm

__all__ = [
    "MAX_MEMBERS",
    "NOT_HEAD_CHOICES",
    "RELATION_CHOICES",
    "TEXT",
    "BaseMemberFormSet",
    "ChangeHeadForm",
    "ExistingMemberForm",
    "HouseholdForm",
    "MemberForm",
    "MemberFormSet",
    "NewMemberForm",
    "RelationForm",
    "RevealForm",
]
