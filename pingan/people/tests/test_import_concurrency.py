"""Two imports of overlapping ledgers at once: the batch that loses the race is written again.

Runs on PostgreSQL only: the other import commits on its own connection between this batch's
look-up and its insert, which then fails on the unique ID hash and is rolled back whole.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from pingan.accounts.models import User
from pingan.people.importers import import_residents
from pingan.people.importers import residents as module
from pingan.people.models import HouseholdMember, Resident
from pingan.people.tests.test_import import GRID01, good_rows, ident, workbook, write

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real connections"),
    # Committed data, so that the other connection sees it; the demo county is restored after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("demo", "demo_restored_after_module"),
]


def store_elsewhere(like: Resident, id_number: str) -> None:
    """Save a resident with ``id_number`` on another connection, committed."""

    def run():
        try:
            rival = Resident(
                name="别人录入",
                registered_address="别处",
                grid_id=like.grid_id,
                region_id=like.region_id,
                path=like.path,
                county_code=like.county_code,
            )
            rival.set_id_number(id_number)
            rival.save()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


def test_a_resident_another_import_stored_meanwhile_is_updated_not_a_failure(tmp_path, monkeypatch):
    real_copy_create = module.copy_create
    calls = []

    def other_import_first(objs):
        calls.append([getattr(o, "name", None) or o.number for o in objs])
        if len(calls) == 1:  # between this batch's look-up and its insert
            store_elsewhere(objs[0], ident(2))
        real_copy_create(objs)

    monkeypatch.setattr(module, "copy_create", other_import_first)
    rows = good_rows() + [["", ident(9), "", "地址", GRID01, "户籍", "在住", "", ""]]

    result = import_residents(
        write(tmp_path, workbook(rows)), user=User.objects.get(username="center")
    )

    assert calls[:2] == [["王秀兰", "李建国", "赵六"], ["王秀兰", "赵六"]]
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert result.rejected_count == 1 and len(result.rejected) == 1  # reported once
    resident = Resident.objects.get(id_number_hash=Resident.hash_of(ident(2)))
    assert (resident.name, resident.registered_address) == ("李建国", "示范县一村")
    assert HouseholdMember.objects.filter(household__number="H1").count() == 2
