"""Synthetic demo residents: valid and unique ID numbers, never stored in clear, scoped by grid."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from pingan.geo.models import Grid
from pingan.people import idnumber, uscc
from pingan.people.demo import load_demo_people
from pingan.people.models import (
    Address,
    House,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
)

GRID01 = "513999001001001"
COUNT = 300


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """Load a few hundred demo residents once for the module; remove them afterwards."""
    with django_db_blocker.unblock():
        added = load_demo_people(COUNT)
    yield added
    with django_db_blocker.unblock():
        HouseholdGroup.objects.filter(is_demo=True).delete()
        HouseholdMember.objects.filter(household__is_demo=True).delete()
        Household.objects.filter(is_demo=True).delete()
        Organization.objects.filter(is_demo=True).delete()
        Resident.objects.filter(is_demo=True).delete()
        House.objects.filter(is_demo=True).delete()
        Address.objects.filter(is_demo=True).delete()


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people")]


def test_about_the_asked_number_of_residents_are_added_across_every_base_grid(people):
    assert COUNT <= people <= COUNT * 2
    assert Resident.objects.filter(is_demo=True).count() == people
    base = Grid.objects.filter(kind__in=[Grid.Kind.RURAL, Grid.Kind.COMMUNITY])
    used = set(Resident.objects.filter(is_demo=True).values_list("grid_id", flat=True))
    assert used == set(base.values_list("pk", flat=True))


def test_every_id_number_is_valid_unique_and_matches_its_masked_form():
    residents = list(Resident.objects.filter(is_demo=True))
    numbers = set()
    for resident in residents:
        number = resident.reveal_id_number()
        parsed = idnumber.parse(number)
        numbers.add(parsed.number)
        assert parsed.region[:4] in ("5139", "5109", "5009", "5309")
        assert resident.id_number_masked == idnumber.mask(number)
        assert resident.id_number_suffix == number[-4:]
        assert resident.birth_date == parsed.birth_date
        assert resident.sex == parsed.sex
        assert resident.path == resident.region.path
        assert resident.county_code == "513999"
        if resident.phone_encrypted:
            phone = resident.reveal_phone()
            assert phone.startswith("1990")
            assert resident.phone_masked == f"{phone[:3]}****{phone[-4:]}"
    assert len(numbers) == len(residents)


def test_the_database_rows_hold_no_plain_id_or_phone_number():
    residents = list(Resident.objects.filter(is_demo=True)[:50])
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {table} WHERE id IN ({','.join(['%s'] * len(residents))})",  # noqa: S608
            [r.pk for r in residents],
        )
        rows = " ".join(" ".join(str(value) for value in row) for row in cursor.fetchall())
    for resident in residents:
        assert resident.reveal_id_number() not in rows
        if resident.phone_encrypted:
            assert resident.reveal_phone() not in rows


def test_every_household_has_exactly_one_head_and_plausible_ages():
    households = Household.objects.filter(is_demo=True)
    heads = Counter(
        HouseholdMember.objects.filter(household__in=households, relation="head").values_list(
            "household_id", flat=True
        )
    )
    assert set(heads) == set(households.values_list("pk", flat=True))
    assert set(heads.values()) == {1}
    sizes = Counter(
        HouseholdMember.objects.filter(household__in=households).values_list(
            "household_id", flat=True
        )
    )
    assert max(sizes.values()) <= 6
    for member in HouseholdMember.objects.filter(household__in=households).select_related(
        "resident"
    ):
        age = (member.resident.collected_at.date() - member.resident.birth_date).days // 365
        if member.relation == "head":
            assert age >= 17


def test_each_household_has_an_address_and_a_house_in_its_grid():
    for household in Household.objects.filter(is_demo=True).select_related("address__house"):
        assert household.address.grid_id == household.grid_id
        assert household.address.house.use in (House.Use.HOME, House.Use.MIXED)


def test_organisations_have_valid_credit_codes_and_masked_phones():
    organizations = Organization.objects.filter(is_demo=True)
    assert organizations.exists()
    for organization in organizations:
        assert uscc.validate(organization.credit_code) == organization.credit_code
        assert organization.contact_phone_masked.startswith("199****")
        assert organization.contact_phone_encrypted


def test_household_groups_have_a_head_from_their_households():
    groups = HouseholdGroup.objects.filter(is_demo=True).prefetch_related("households")
    assert groups.exists()
    for group in groups:
        households = list(group.households.all())
        assert 1 <= len(households) <= 15
        assert all(h.grid_id == group.grid_id for h in households)
        assert HouseholdMember.objects.filter(
            household__in=households, resident=group.head, relation="head"
        ).exists()


def test_loading_again_adds_nothing(people):
    assert load_demo_people(COUNT) == 0
    assert Resident.objects.filter(is_demo=True).count() == people


def test_grid01_sees_only_the_residents_of_its_grid_and_some_are_unverified(user):
    grid = Grid.objects.get(code=GRID01)
    visible = Resident.objects.visible_to(user("grid01"))
    assert visible.exists()
    assert set(visible.values_list("grid_id", flat=True)) == {grid.pk}
    assert visible.filter(verified_at=None).exists()
    assert Resident.objects.visible_to(user("center")).count() >= visible.count()
