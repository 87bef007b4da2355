"""Basic-data records: personal numbers encrypted at rest, masked, revealed only with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from pingan.geo.models import Grid
from pingan.people import idnumber, services
from pingan.people.models import (
    AccessLog,
    Address,
    Household,
    HouseholdMember,
    Organization,
    Resident,
    RevealLog,
)

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
ID_NUMBER = idnumber.generate("513999", dt.date(1956, 3, 14), 123)
PHONE = "13912345678"


def make_resident(grid_code: str = GRID01, number: str = ID_NUMBER, name: str = "王秀兰"):
    grid = Grid.objects.get(code=grid_code)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(number)
    resident.set_phone(PHONE)
    resident.save()
    return resident


def raw_row(resident: Resident) -> str:
    """Return every column of the resident's row as the database holds it, joined."""
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [resident.pk])  # noqa: S608
        return " ".join(str(value) for value in cursor.fetchone())


def test_the_database_never_holds_a_plain_id_or_phone_number():
    resident = make_resident()

    row = raw_row(resident)

    assert ID_NUMBER not in row and ID_NUMBER[6:14] + ID_NUMBER[14:] not in row
    assert PHONE not in row
    assert resident.reveal_id_number() == ID_NUMBER and resident.reveal_phone() == PHONE


def test_numbers_are_shown_masked_and_birth_date_and_sex_come_from_the_id_number():
    resident = make_resident()

    assert resident.id_number_masked == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert resident.phone_masked == "139****5678"
    assert str(resident) == f"王秀兰（{resident.id_number_masked}）"
    assert resident.birth_date == dt.date(1956, 3, 14)
    assert resident.sex == Resident.Sex.MALE  # sequence 123: odd


def test_a_resident_is_found_by_exact_id_number_through_the_keyed_hash():
    resident = make_resident()

    assert Resident.objects.get(id_number_hash=Resident.hash_of(ID_NUMBER.lower())) == resident


def test_a_wrong_id_number_is_refused_with_the_reason():
    resident = Resident(name="李四")
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        resident.set_id_number(bad)
    assert info.value.code == "check_digit"
    with pytest.raises(ValidationError):
        resident.set_phone("123")


def test_the_same_person_cannot_be_entered_twice():
    make_resident()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_resident(name="王秀兰（重复）")


def test_revealing_needs_the_permission_a_reason_and_is_logged(user):
    resident = make_resident()
    center = user("center")

    with pytest.raises(PermissionDenied):
        services.reveal(resident, "id_number", acting_user=center, reason="入户核实身份")
    center.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    center = user("center")  # permissions are cached per user object
    with pytest.raises(ValidationError) as info:
        services.reveal(resident, "id_number", acting_user=center, reason="  ")
    assert "reason" in info.value.message_dict
    assert not RevealLog.objects.exists()

    plain = services.reveal(resident, "id_number", acting_user=center, reason="入户核实身份")

    assert plain == ID_NUMBER
    [entry] = RevealLog.objects.all()
    assert (entry.user, entry.resident, entry.field, entry.reason) == (
        center,
        resident,
        "id_number",
        "入户核实身份",
    )


def test_nobody_reveals_a_resident_outside_their_scope(user):
    resident = make_resident(GRID01)
    grid02 = user("grid02")
    grid02.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    grid02 = user("grid02")

    with pytest.raises(PermissionDenied):
        services.reveal(resident, "phone", acting_user=grid02, reason="核实联系方式")
    assert not RevealLog.objects.exists()


@pytest.mark.parametrize(
    ("username", "sees_grid01", "sees_grid02"),
    [
        ("admin", True, True),
        ("center", True, True),
        ("town01", True, False),
        ("grid01", True, False),
        ("police01", True, False),
        ("grid02", False, True),
        ("leader", False, False),
        ("dept-transport", False, False),
        ("resident01", False, False),
    ],
)
def test_each_role_sees_only_the_people_of_its_own_units(user, username, sees_grid01, sees_grid02):
    one = make_resident(GRID01)
    two = make_resident(GRID02, idnumber.generate("513999", dt.date(1980, 1, 2), 44), "张三")

    visible = set(Resident.objects.visible_to(user(username)))

    assert (one in visible, two in visible) == (sees_grid01, sees_grid02)


def test_a_household_has_one_head_and_each_member_once():
    head = make_resident()
    grid = Grid.objects.get(code=GRID01)
    household = Household.objects.create(grid=grid, region=grid.region)
    HouseholdMember.objects.create(household=household, resident=head, relation="head")

    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdMember.objects.create(household=household, resident=head, relation="spouse")
    assert str(household) == "Household of 王秀兰" or "王秀兰" in str(household)


def test_addresses_are_unique_in_their_normalised_form():
    grid = Grid.objects.get(code=GRID01)
    Address.objects.create(region=grid.region, grid=grid, street="南门路", number="12")

    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(region=grid.region, grid=grid, street=" 南门路 ", number="１２")


def test_an_organisation_credit_code_is_checked():
    grid = Grid.objects.get(code=GRID01)
    good = Organization(name="示范商店", region=grid.region, credit_code="91350100M000100Y43")
    good.full_clean(exclude=["path", "county_code"])
    bad = Organization(name="示范商店二", region=grid.region, credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as info:
        bad.full_clean(exclude=["path", "county_code"])
    assert "credit_code" in info.value.message_dict


def test_views_and_exports_are_logged(user):
    resident = make_resident()

    services.log_access(user("grid01"), resident, via="page", fields=["name", "id_number_masked"])
    services.log_access(user("center"), None, via="export", query={"grid": GRID01}, rows=1)

    assert AccessLog.objects.filter(resident=resident, via="page").count() == 1
    assert AccessLog.objects.get(via="export").rows == 1


def test_verifying_stamps_the_record_with_who_and_when(user):
    resident = make_resident()

    services.verify(resident, acting_user=user("grid01"))

    resident.refresh_from_db()
    assert resident.verified_by == user("grid01") and resident.verified_at is not None


def test_rotating_the_field_key_re_encrypts_everything_and_keeps_it_readable(settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    resident = make_resident()
    old_token = resident.id_number_encrypted
    new_key = Fernet.generate_key().decode()
    settings.PINGAN_FIELD_KEYS = [new_key, *settings.PINGAN_FIELD_KEYS]

    call_command("rotate_field_keys", stdout=__import__("io").StringIO())

    resident.refresh_from_db()
    assert resident.id_number_encrypted != old_token
    settings.PINGAN_FIELD_KEYS = [new_key]  # the old key is gone: the new one alone opens it
    assert resident.reveal_id_number() == ID_NUMBER and resident.reveal_phone() == PHONE
    assert ID_NUMBER not in raw_row(resident)


def test_the_centre_reads_who_looked_at_a_record_and_the_grid_worker_does_not(client_as):
    resident = make_resident()
    client_as("grid01").get(f"/people/{resident.pk}/")

    centre_page = client_as("center").get(f"/people/{resident.pk}/").text
    grid_page = client_as("grid01").get(f"/people/{resident.pk}/").text

    assert 'id="access-log"' in centre_page and "李晓燕" in centre_page  # grid01's look
    assert 'id="access-log"' not in grid_page
