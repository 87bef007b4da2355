"""What intake stores: the number of the local day, and a caller's phone only encrypted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from pingan.core import crypto
from pingan.events import services

PHONE = "13800138000"


@pytest.mark.django_db
def test_an_events_number_uses_the_day_in_asia_shanghai(user):
    # 17:30 UTC on 14 March is 01:30 on 15 March in Asia/Shanghai.
    reported_at = dt.datetime(2001, 3, 14, 17, 30, tzinfo=dt.UTC)
    event, _created = services.report_event(
        acting_user=user("grid01"),
        description="后山挡墙开裂",
        channel="grid_worker",
        village="513999001001",
        reported_at=reported_at,
    )
    assert event.number == "SJ-20010315-0001"


@pytest.mark.django_db
def test_the_database_never_holds_a_reporters_plain_phone(user):
    event, _created = services.report_event(
        acting_user=user("center"),
        description="来电反映后山挡墙开裂",
        channel="hotline",
        village="513999001001",
        reporter_name="王先生",
        reporter_phone="138 0013 8000",
    )
    table = event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT reporter_phone_encrypted, reporter_phone_hash, reporter_phone_masked "  # noqa: S608 - the table name comes from the model
            f"FROM {table} WHERE id = %s",
            [event.pk],
        )
        encrypted, hashed, masked = cursor.fetchone()
    for column in (encrypted, hashed, masked):
        assert PHONE not in column and "0013" not in column
    assert crypto.decrypt(encrypted) == PHONE
    assert hashed == crypto.keyed_hash(PHONE)
    assert masked == "138****8000"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [event.pk])  # noqa: S608
        row = cursor.fetchone()
    assert not any(PHONE in str(value) for value in row)
