"""Human case numbers (一案一码): one counter per prefix and local day, no gaps from rollbacks."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from pingan.core.models import NumberSequence
from pingan.core.numbering import next_number

# A day long before any demo data, so its counters start empty.
DAY = dt.date(2001, 3, 14)
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.django_db
def test_numbers_count_up_per_prefix_and_day():
    assert next_number("SJ", DAY) == "SJ-20010314-0001"
    assert next_number("SJ", DAY) == "SJ-20010314-0002"
    assert next_number("SJ", DAY + dt.timedelta(days=1)) == "SJ-20010315-0001"
    assert next_number("MD", DAY) == "MD-20010314-0001"
    assert next_number("SJ", DAY) == "SJ-20010314-0003"


@pytest.mark.django_db
def test_numbers_count_up_without_update_returning(monkeypatch):
    # SQLite before 3.35 has no UPDATE … RETURNING: the counter is then read back.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    assert next_number("SJ", DAY) == "SJ-20010314-0001"
    assert next_number("SJ", DAY) == "SJ-20010314-0002"


@pytest.mark.django_db
def test_numbers_have_the_documented_format():
    assert re.fullmatch(r"SJ-\d{8}-\d{4}", next_number("SJ"))
    assert next_number("SJ", DAY, width=6) == "SJ-20010314-000001"


@pytest.mark.django_db
def test_a_busy_day_goes_past_four_digits_instead_of_repeating():
    NumberSequence.objects.create(key="SJ-20010314", last=9999)
    assert next_number("SJ", DAY) == "SJ-20010314-10000"


@pytest.mark.django_db
def test_many_numbers_of_one_day_are_all_distinct():
    numbers = [next_number("SJ", DAY) for _ in range(200)]
    assert len(set(numbers)) == 200
    assert numbers[-1] == "SJ-20010314-0200"


@pytest.mark.django_db
def test_a_rolled_back_transaction_gives_its_number_back():
    assert next_number("SJ", DAY) == "SJ-20010314-0001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("SJ", DAY) == "SJ-20010314-0002"
        raise RuntimeError("the intake failed after taking a number")
    assert next_number("SJ", DAY) == "SJ-20010314-0002"


@pytest.mark.django_db
def test_the_first_number_of_a_day_rolled_back_is_given_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("SJ", DAY)
        raise RuntimeError("rolled back")
    assert not NumberSequence.objects.filter(key="SJ-20010314").exists()
    assert next_number("SJ", DAY) == "SJ-20010314-0001"


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks across connections need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_intakes_on_two_connections_never_share_a_number(demo_restored_after_module):
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def take(count: int) -> None:
        try:
            start.wait()
            for _ in range(count):
                with transaction.atomic():
                    numbers.append(next_number("SJ", DAY))
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"SJ-20010314-{n:04d}" for n in range(1, 101)]
