"""The demo county 示范县: complete, consistent, and the same after loading it twice."""

from __future__ import annotations

import io
import itertools

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from shapely.ops import unary_union

from pingan.accounts.models import Department, Membership, User
from pingan.geo import demo
from pingan.geo.geometry import parse_polygon
from pingan.geo.models import Grid, GridMember, Region

pytestmark = pytest.mark.django_db

AREA_EPS = 1e-12  # square degrees; about 0.01 m²

DEMO_ROLES = {
    "admin": ("admin", "region"),
    "center": ("center", "region"),
    "leader": ("leader", "region"),
    "town01": ("center", "region"),
    "grid01": ("grid_worker", "grid"),
    "grid02": ("grid_worker", "grid"),
    "police01": ("grid_police", "grid"),
    "dept-transport": ("department_handler", "department"),
    "dept-housing": ("department_handler", "department"),
    "mediator01": ("mediator", "region"),
    "resident01": ("resident", "grid"),
}


def table_counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "grids": Grid.objects.count(),
        "members": GridMember.objects.count(),
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
    }


def membership(username: str) -> Membership:
    return Membership.objects.select_related("region", "grid", "department").get(
        user__username=username
    )


def base_grids_by_village() -> dict[Region, list[Grid]]:
    result: dict[Region, list[Grid]] = {}
    for grid in Grid.objects.filter(kind__in=["rural", "community"]).select_related("region"):
        result.setdefault(grid.region, []).append(grid)
    return result


def test_loading_the_demo_twice_changes_nothing():
    before = table_counts()
    ids = set(GridMember.objects.values_list("id", flat=True))
    counts = demo.load_demo()
    call_command("load_demo", verbosity=0)
    assert table_counts() == before
    assert demo.counts() == counts
    assert set(GridMember.objects.values_list("id", flat=True)) == ids


def test_the_command_prints_a_summary_and_the_accounts():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "示范县" in text
    assert "pingan-demo" in text
    for username in DEMO_ROLES:
        assert username in text


def test_the_command_prints_nothing_when_quiet():
    out = io.StringIO()
    call_command("load_demo", "--quiet", stdout=out)
    call_command("load_demo", verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_the_county_has_eight_townships_and_about_sixty_villages():
    county = Region.objects.get(code="513999")
    assert county.name == "示范县"
    assert county.parent is None
    assert county.is_demo
    townships = Region.objects.filter(parent=county).order_by("code")
    assert [t.code for t in townships] == [f"513999{i:03d}" for i in range(1, 9)]
    assert townships[0].name == "城关街道"
    villages = Region.objects.filter(level="village", path__startswith=county.path)
    assert 55 <= villages.count() <= 65
    assert all(v.name.endswith("社区") for v in villages.filter(parent=townships[0]))
    assert all(v.name.endswith("村") for v in villages.exclude(parent=townships[0]))
    assert not Region.objects.filter(is_demo=False, path__startswith=county.path).exists()


def test_every_region_and_grid_passes_full_clean():
    for region in Region.objects.select_related("parent"):
        region.full_clean()
    for grid in Grid.objects.select_related("region"):
        grid.full_clean()
        assert len(grid.code) == 15
        assert grid.code.startswith(grid.region.code)


def test_base_grids_of_a_village_do_not_overlap():
    for village, grids in base_grids_by_village().items():
        for a, b in itertools.combinations(grids, 2):
            overlap = parse_polygon(a.geometry).intersection(parse_polygon(b.geometry)).area
            assert overlap < AREA_EPS, (village.name, a.name, b.name)


def test_base_grids_of_a_village_cover_it_exactly():
    by_village = base_grids_by_village()
    villages = Region.objects.filter(level="village", is_demo=True)
    assert set(by_village) == set(villages)
    for village, grids in by_village.items():
        union = unary_union([parse_polygon(g.geometry) for g in grids])
        gap = union.symmetric_difference(parse_polygon(village.boundary)).area
        assert gap < AREA_EPS, village.name


def test_there_are_about_eighty_grids_of_every_kind():
    grids = Grid.objects.filter(is_demo=True)
    assert 70 <= grids.count() <= 90
    for kind in ("rural", "community", "dedicated", "mobile"):
        assert grids.filter(kind=kind).exists(), kind
    dedicated = set(grids.filter(kind="dedicated").values_list("subkind", flat=True))
    assert {"school", "hospital", "market", "scenic", "enterprise"} <= dedicated


def test_community_grids_hold_about_two_hundred_households():
    for grid in Grid.objects.filter(kind="community"):
        assert 150 <= grid.households <= 250, grid.name
    for grid in Grid.objects.filter(kind="rural"):
        assert 60 <= grid.households <= 300, grid.name


def test_dedicated_grids_lie_inside_their_village():
    for grid in Grid.objects.filter(kind="dedicated").select_related("region"):
        assert grid.region.level == "village"
        shape = parse_polygon(grid.geometry)
        assert shape.within(parse_polygon(grid.region.boundary)), grid.name
        assert grid.households <= 20


def test_the_mountain_grid_is_seasonal_and_spans_several_villages():
    grid = Grid.objects.get(kind="mobile")
    assert grid.region.level == "township"
    assert (grid.active_from.month, grid.active_from.day) == (5, 1)
    assert (grid.active_until.month, grid.active_until.day) == (8, 31)
    assert grid.active_from.year == grid.active_until.year
    shape = parse_polygon(grid.geometry)
    touched = [
        v
        for v in Region.objects.filter(parent=grid.region)
        if shape.intersection(parse_polygon(v.boundary)).area > AREA_EPS
    ]
    assert len(touched) >= 2


def test_every_grid_has_a_team_with_a_chief_and_a_police_officer():
    for grid in Grid.objects.prefetch_related("members"):
        roles = [m.role for m in grid.members.all()]
        assert "grid_chief" in roles, grid.name
        assert "grid_police" in roles, grid.name
        for member in grid.members.all():
            assert member.work_phone.startswith("1390000"), member
            assert len(member.work_phone) == 11


def test_each_demo_account_holds_its_role():
    for username, (role, unit) in DEMO_ROLES.items():
        account = User.objects.get(username=username)
        assert account.is_demo
        assert account.full_name
        assert check_password("pingan-demo", account.password)
        held = membership(username)
        assert held.role == role
        assert getattr(held, f"{unit}_id") is not None
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="center").is_staff
    assert membership("center").region.code == "513999"
    assert membership("leader").region.code == "513999"
    assert membership("town01").region.code == "513999001"
    assert membership("mediator01").region.code == "513999001"
    assert membership("dept-transport").department.code == "513999-transport"
    assert membership("dept-housing").department.code == "513999-housing"


def test_grid01_police01_and_resident01_share_a_grid_in_the_first_township():
    grid = membership("grid01").grid
    assert grid.code.startswith("513999001")
    assert grid.kind == "community"
    assert membership("police01").grid == grid
    assert membership("resident01").grid == grid
    team = {m.user.username: m.role for m in grid.members.filter(user__isnull=False)}
    assert team == {"grid01": "grid_worker", "police01": "grid_police"}


def test_grid02_works_in_another_township():
    grid = membership("grid02").grid
    assert grid.kind == "rural"
    assert not grid.code.startswith("513999001")
    assert grid.members.filter(user__username="grid02", role="grid_worker").exists()


def test_the_departments_include_centres_bureaus_and_township_branches():
    depts = Department.objects.filter(is_demo=True)
    assert depts.get(code="513999-center").kind == "center"
    assert depts.get(code="513999-transport").name == "示范县交通运输局"
    for short in ("住建局", "自然资源局", "水利局", "应急管理局", "市场监管局", "公安局"):
        assert depts.filter(short_name=short).exists(), short
    for township in Region.objects.filter(level="township", is_demo=True):
        here = depts.filter(region=township)
        assert here.filter(kind="center").count() == 1, township.name
        assert here.get(kind="police").parent.code == "513999-police"
        assert here.filter(kind="judicial", parent__code="513999-justice").count() == 1
    assert depts.filter(parent__code="513999-court").exists()
    assert depts.get(name="城关派出所")
    assert depts.filter(kind="enterprise").count() >= 2


def test_loading_the_demo_leaves_a_real_account_alone():
    User.objects.filter(username="leader").delete()
    real = User.objects.create_user("leader", password="a-real-secret")
    demo.load_demo()
    real.refresh_from_db()
    assert not real.is_demo
    assert real.check_password("a-real-secret")
    assert not real.memberships.exists()
