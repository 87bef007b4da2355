"""copy_create: COPY on PostgreSQL (bulk_create elsewhere) gives what bulk_create would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pingan.core.bulk import copy_create
from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.models import Household, HouseholdGroup, Resident

pytestmark = pytest.mark.django_db


def _resident(grid: Grid, seq: int, **extra) -> Resident:
    resident = Resident(
        name=extra.pop("name", f"居民{seq}"),
        registered_address="示范县一村",
        grid=grid,
        region_id=grid.region_id,
        path=grid.region.path,
        county_code=grid.region.county_code,
        **extra,
    )
    resident.set_id_number(idnumber.generate("513999", dt.date(1903, 3, 3), seq))
    return resident


@pytest.fixture
def grid(db):
    return Grid.objects.select_related("region").order_by("code").first()


def test_rows_come_back_as_written_with_their_ids_set(grid, user):
    collector = user("center")
    verified = timezone.now().replace(microsecond=123456)
    residents = [
        _resident(grid, 1, name="王\t秀兰\\\n", verified_at=verified, collected_by=collector),
        _resident(grid, 2, status=Resident.Status.MOVED_OUT, is_demo=True),
    ]
    residents[1].set_phone("13912345678")

    copy_create(residents)

    assert all(r.pk and not r._state.adding for r in residents)
    first, second = (Resident.objects.get(pk=r.pk) for r in residents)
    # A name is one line (core.text): tab and line break become a space; the backslash stays.
    assert first.name == "王 秀兰\\"
    assert first.verified_at == verified
    assert first.collected_by_id == collector.pk
    assert first.birth_date == residents[0].birth_date
    assert first.reveal_id_number() == residents[0].reveal_id_number()
    assert second.phone_masked == "139****5678" and second.reveal_phone() == "13912345678"
    assert (second.status, second.is_demo, second.verified_at) == ("moved_out", True, None)


def test_later_inserts_do_not_collide_with_the_ids_it_took(grid):
    households = [
        Household(number=f"H{i}", region=grid.region, grid=grid, path=grid.region.path)
        for i in range(3)
    ]
    copy_create(households)
    later = Household(number="H9", region=grid.region, grid=grid)
    later.save()

    assert later.pk > max(h.pk for h in households)
    assert Household.objects.filter(number__in=["H0", "H1", "H2", "H9"]).count() == 4


def test_fields_computed_on_save_get_their_values(grid):
    groups = [HouseholdGroup(name="第12联户", grid=grid, region=grid.region, path="x")]

    copy_create(groups)

    assert HouseholdGroup.objects.get(pk=groups[0].pk).name_key == "第0000000012联户"


def test_a_duplicate_aborts_the_whole_copy(grid):
    twins = [_resident(grid, 5), _resident(grid, 6), _resident(grid, 5)]

    with pytest.raises(IntegrityError), transaction.atomic():
        copy_create(twins)

    assert not Resident.objects.filter(name__in=["居民5", "居民6"]).exists()


def test_nothing_to_write_runs_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        copy_create([])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_on_postgresql_it_is_one_copy_and_one_id_query(grid, django_assert_max_num_queries):
    residents = [_resident(grid, seq) for seq in range(10, 60)]
    with django_assert_max_num_queries(1):  # the id query; COPY runs beside Django's wrapper
        copy_create(residents)
    assert Resident.objects.filter(pk__in=[r.pk for r in residents]).count() == 50
