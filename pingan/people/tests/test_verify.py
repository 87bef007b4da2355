"""Verifying (核实) every kind of basic-data record, and the list of what is due for a visit."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from pingan.geo.models import Grid
from pingan.people import idnumber
from pingan.people.models import (
    Address,
    House,
    Household,
    HouseholdGroup,
    Organization,
    Resident,
)

pytestmark = pytest.mark.django_db

GRID01 = "513999001001001"
GRID02 = "513999002201001"
KINDS = ["residents", "households", "houses", "organizations", "groups"]
PAGES = {
    "residents": "/people/{pk}/",
    "households": "/people/households/{pk}/",
    "houses": "/people/houses/{pk}/edit/",
    "organizations": "/people/organizations/{pk}/edit/",
    "groups": "/people/groups/{pk}/",
}
_seq = itertools.count(1)


def make(kind: str, grid_code: str = GRID01, *, verified_days_ago: int | None = None, **extra):
    """Make a record of ``kind`` in a grid, verified that many days ago (None: never)."""
    grid = Grid.objects.get(code=grid_code)
    n = next(_seq)
    scoped = {"grid": grid, "region": grid.region}
    if verified_days_ago is not None:
        scoped["verified_at"] = timezone.now() - dt.timedelta(days=verified_days_ago)
    if kind == "residents":
        record = Resident(name=f"居民{n}", registered_address="示范县", **scoped, **extra)
        record.set_id_number(idnumber.generate("513999", dt.date(1980, 1, 1), n))
        record.save()
        return record
    if kind == "households":
        return Household.objects.create(number=f"H-{n}", **scoped, **extra)
    if kind == "houses":
        address = Address.objects.create(
            street="南门路", number=str(n), grid=grid, region=grid.region
        )
        return House.objects.create(address=address, **scoped, **extra)
    if kind == "organizations":
        return Organization.objects.create(name=f"平安商店{n}", **scoped, **extra)
    return HouseholdGroup.objects.create(name=f"第{n}联户", **scoped, **extra)


def counts(html: str) -> dict[str, int]:
    """Return the count badge of each kind tab of the unverified list."""
    found = {}
    for kind in KINDS:
        tab = html.split(f'id="tab-{kind}"')[1].split("</a>")[0]
        found[kind] = int(tab.split('data-count="')[1].split('"')[0])
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_record_is_verified_from_its_page(client_as, user, kind):
    record = make(kind)
    client = client_as("grid01")
    page_url = PAGES[kind].format(pk=record.pk)
    page = client.get(page_url).content.decode()
    action = f"/people/verify/{kind}/{record.pk}/"
    assert f'action="{action}"' in page

    response = client.post(action, {"next": page_url})

    assert response.status_code == 302 and response["Location"] == page_url
    record.refresh_from_db()
    assert record.verified_by == user("grid01")
    assert timezone.now() - record.verified_at < dt.timedelta(minutes=1)
    assert (
        timezone.localtime(record.verified_at).strftime("%Y-%m-%d")
        in client.get(page_url).content.decode()
    )


@pytest.mark.parametrize("kind", KINDS)
def test_grid02_cannot_verify_a_record_of_grid01(client_as, kind):
    record = make(kind)

    response = client_as("grid02").post(f"/people/verify/{kind}/{record.pk}/")

    assert response.status_code == 404
    record.refresh_from_db()
    assert record.verified_at is None


def test_departments_cannot_verify_and_unknown_kinds_are_not_found(client_as):
    group = make("groups")

    assert client_as("dept-transport").post(f"/people/verify/groups/{group.pk}/").status_code in (
        403,
        404,
    )
    assert client_as("grid01").post(f"/people/verify/users/{group.pk}/").status_code == 404
    assert client_as("grid01").get(f"/people/verify/groups/{group.pk}/").status_code == 405
    group.refresh_from_db()
    assert group.verified_at is None


def test_a_next_address_on_another_site_falls_back_to_the_record_page(client_as):
    house = make("houses")

    response = client_as("grid01").post(
        f"/people/verify/houses/{house.pk}/", {"next": "https://evil.example/"}
    )

    assert response["Location"] == f"/people/houses/{house.pk}/edit/"


def test_the_unverified_list_counts_each_kind_in_my_grids(client_as, settings):
    settings.PINGAN_VERIFY_AFTER_DAYS = 180
    for kind in KINDS:
        make(kind)  # never verified: due
        make(kind, verified_days_ago=200)  # verified too long ago: due
        make(kind, verified_days_ago=10)  # verified recently: not due
        make(kind, GRID02)  # another grid: not mine

    html = client_as("grid01").get("/people/unverified/").content.decode()

    assert counts(html) == dict.fromkeys(KINDS, 2)


@pytest.mark.parametrize("kind", KINDS)
def test_a_due_record_is_listed_under_its_kind_and_leaves_once_verified(client_as, kind):
    record = make(kind, verified_days_ago=365)
    fresh = make(kind, verified_days_ago=1)
    client = client_as("grid01")

    listed = client.get("/people/unverified/", {"kind": kind}).content.decode()

    assert f'id="row-{kind}-{record.pk}"' in listed
    assert f'id="row-{kind}-{fresh.pk}"' not in listed
    assert PAGES[kind].format(pk=record.pk) in listed
    swapped = client.post(f"/people/verify/{kind}/{record.pk}/", headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and 'data-verified="1"' in swapped.content.decode()
    after = client.get("/people/unverified/", {"kind": kind}).content.decode()
    assert 'id="empty-state"' in after and counts(after)[kind] == 0


def test_the_number_of_days_comes_from_the_settings(client_as, settings):
    settings.PINGAN_VERIFY_AFTER_DAYS = 30
    due = make("groups", verified_days_ago=40)
    not_due = make("groups", verified_days_ago=20)

    html = client_as("grid01").get("/people/unverified/", {"kind": "groups"}).content.decode()

    assert f'id="row-groups-{due.pk}"' in html and f'id="row-groups-{not_due.pk}"' not in html
    assert "30" in html.split('id="kind-tabs"')[0]


def test_grid02_sees_none_of_grid01s_due_records(client_as):
    records = {kind: make(kind) for kind in KINDS}
    client = client_as("grid02")

    html = client.get("/people/unverified/").content.decode()

    assert counts(html) == dict.fromkeys(KINDS, 0)
    for kind, record in records.items():
        page = client.get("/people/unverified/", {"kind": kind}).content.decode()
        assert f'id="row-{kind}-{record.pk}"' not in page and 'id="empty-state"' in page


def test_the_centre_filters_the_due_records_by_grid(client_as):
    mine, other = make("houses"), make("houses", GRID02)
    client = client_as("center")

    everything = client.get("/people/unverified/", {"kind": "houses"}).content.decode()
    grid02 = client.get("/people/unverified/", {"kind": "houses", "grid": GRID02}).content.decode()

    assert (
        f'id="row-houses-{mine.pk}"' in everything and f'id="row-houses-{other.pk}"' in everything
    )
    assert f'id="row-houses-{mine.pk}"' not in grid02 and f'id="row-houses-{other.pk}"' in grid02
    assert counts(grid02)["houses"] == 1
    assert f"grid={GRID02}" in grid02.split('id="tab-groups"')[1][:200] or (
        f"grid={GRID02}" in grid02.split('id="kind-tabs"')[1].split("</ul>")[0]
    )


def test_the_list_shows_fifty_rows_a_page_never_verified_first(client_as):
    oldest = make("groups", verified_days_ago=999)
    for _ in range(54):
        make("groups")
    client = client_as("grid01")

    first = client.get("/people/unverified/", {"kind": "groups"}).content.decode()
    second = client.get("/people/unverified/", {"kind": "groups", "page": 2}).content.decode()

    assert first.count('class="verify-row"') == 50 and 'id="pager"' in first
    assert second.count('class="verify-row"') == 5
    assert f'id="row-groups-{oldest.pk}"' in second  # the never-verified come first


def test_only_residents_living_here_are_due(client_as):
    living = make("residents")
    moved = make("residents", status=Resident.Status.MOVED_OUT)
    deceased = make("residents", status=Resident.Status.DECEASED)

    html = client_as("grid01").get("/people/unverified/").content.decode()

    assert f'id="row-residents-{living.pk}"' in html
    assert f'id="row-residents-{moved.pk}"' not in html
    assert f'id="row-residents-{deceased.pk}"' not in html
    assert counts(html)["residents"] == 1


def test_the_households_tab_costs_the_same_queries_for_many_rows(
    client_as, django_assert_max_num_queries
):
    for _ in range(20):
        make("households")
    client = client_as("grid01")
    client.get("/people/unverified/", {"kind": "households"})  # warm the session and caches

    with django_assert_max_num_queries(14):
        html = client.get("/people/unverified/", {"kind": "households"}).content.decode()

    assert html.count('class="verify-row"') == 20
