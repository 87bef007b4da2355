"""locate(lng, lat), grid validation and the subtree queries, on a small county built here.

The test county 510999 lies far from the demo county (lng 110, lat 35), so the demo's grids and
villages never interfere:

    township 510999001 (110.0–110.2 × 35.0–35.1)
      village A 510999001001 (west half)   rural grid 510999001001001 covers it
      village B 510999001002 (east half)   rural grid 510999001002001 covers it
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.geo import locate as locate_module
from pingan.geo.geometry import to_geojson
from pingan.geo.locate import GridIndex, locate
from pingan.geo.models import Grid, Region

WEST, SOUTH, MIDDLE, EAST, NORTH = 110.0, 35.0, 110.1, 110.2, 35.1


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_region(code: str, name: str, level: str, parent=None, boundary=None) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent, boundary=boundary)
    region.full_clean()
    region.save()
    return region


def make_grid(code: str, region: Region, geometry: dict, kind: str = "rural", **extra) -> Grid:
    grid = Grid(code=code, name=f"grid {code}", region=region, geometry=geometry, kind=kind)
    for name, value in extra.items():
        setattr(grid, name, value)
    grid.full_clean()
    grid.save()
    return grid


@pytest.fixture
def county(db) -> SimpleNamespace:
    county = make_region("510999", "测试县", "county")
    town = make_region("510999001", "测试镇", "township", county, box(WEST, SOUTH, EAST, NORTH))
    west_half, east_half = box(WEST, SOUTH, MIDDLE, NORTH), box(MIDDLE, SOUTH, EAST, NORTH)
    village_a = make_region("510999001001", "甲村", "village", town, west_half)
    village_b = make_region("510999001002", "乙村", "village", town, east_half)
    rural_a = make_grid("510999001001001", village_a, village_a.boundary)
    rural_b = make_grid("510999001002001", village_b, village_b.boundary)
    return SimpleNamespace(
        county=county,
        town=town,
        village_a=village_a,
        village_b=village_b,
        rural_a=rural_a,
        rural_b=rural_b,
    )


def today() -> dt.date:
    return timezone.localdate()


# --- locate --------------------------------------------------------------------------------------


def test_a_point_inside_a_rural_grid_is_located_in_that_grid(county):
    found = locate(110.05, 35.05)
    assert found is not None
    assert found.method == "grid"
    assert found.grid_id == county.rural_a.pk
    assert found.grid_code == county.rural_a.code
    assert found.grid_name == county.rural_a.name
    assert found.region_id == county.village_a.pk
    assert found.distance_km == 0


def test_locate_accepts_coordinates_given_as_strings(county):
    assert locate("110.15", "35.05").grid_id == county.rural_b.pk


def test_a_dedicated_grid_lying_on_a_rural_grid_wins(county):
    school = make_grid(
        "510999001001002",
        county.village_a,
        box(110.02, 35.02, 110.03, 35.03),
        kind="dedicated",
        subkind="school",
    )
    assert locate(110.025, 35.025).grid_id == school.pk
    assert locate(110.035, 35.025).grid_id == county.rural_a.pk


def test_a_seasonal_grid_in_season_wins_over_the_rural_grid(county):
    pasture = make_grid(
        "510999001001003",
        county.village_a,
        box(110.05, 35.05, 110.08, 35.08),
        kind="mobile",
        active_from=today() - dt.timedelta(days=10),
        active_until=today() + dt.timedelta(days=10),
    )
    assert locate(110.06, 35.06).grid_id == pasture.pk


def test_a_seasonal_grid_whose_season_is_over_gives_way_to_the_rural_grid(county):
    make_grid(
        "510999001001003",
        county.village_a,
        box(110.05, 35.05, 110.08, 35.08),
        kind="mobile",
        active_from=today() - dt.timedelta(days=100),
        active_until=today() - dt.timedelta(days=1),
    )
    assert locate(110.06, 35.06).grid_id == county.rural_a.pk


def test_a_seasonal_grid_stops_winning_when_the_day_passes_its_season(county, monkeypatch):
    start = dt.date(2030, 6, 1)
    pasture = make_grid(
        "510999001001003",
        county.village_a,
        box(110.05, 35.05, 110.08, 35.08),
        kind="mobile",
        active_from=start,
        active_until=dt.date(2030, 9, 30),
    )
    monkeypatch.setattr(locate_module.timezone, "localdate", lambda *args: dt.date(2030, 7, 1))
    locate_module._index = None
    assert locate(110.06, 35.06).grid_id == pasture.pk
    monkeypatch.setattr(locate_module.timezone, "localdate", lambda *args: dt.date(2030, 10, 1))
    locate_module._checked_at = 0.0  # the index notices the new day at its next check
    assert locate(110.06, 35.06).grid_id == county.rural_a.pk
    monkeypatch.setattr(locate_module.timezone, "localdate", lambda *args: dt.date(2030, 5, 31))
    locate_module._checked_at = 0.0
    assert locate(110.06, 35.06).grid_id == county.rural_a.pk


def test_of_two_overlapping_overlay_grids_the_smaller_wins(county):
    market = make_grid(
        "510999001001004",
        county.village_a,
        box(110.04, 35.04, 110.08, 35.08),
        kind="dedicated",
        subkind="market",
    )
    school = make_grid(
        "510999001001005",
        county.village_a,
        box(110.05, 35.05, 110.06, 35.06),
        kind="dedicated",
        subkind="school",
    )
    assert locate(110.055, 35.055).grid_id == school.pk
    assert locate(110.07, 35.07).grid_id == market.pk


def test_a_point_on_the_border_of_two_rural_grids_always_gets_the_same_one(county):
    answers = set()
    for _ in range(3):
        locate_module._index = None  # rebuilt from the database each time
        found = locate(MIDDLE, 35.05)
        assert found is not None
        assert found.method == "grid"
        answers.add(found.grid_id)
    assert len(answers) == 1
    assert answers <= {county.rural_a.pk, county.rural_b.pk}
    # The shared corner of both grids with the township's edge is found too.
    assert locate(MIDDLE, SOUTH).grid_id in {county.rural_a.pk, county.rural_b.pk}


def test_a_point_in_no_grid_but_near_a_village_falls_back_to_that_village(county):
    found = locate(EAST + 0.01, 35.05)  # about 0.9 km east of village B
    assert found is not None
    assert found.method == "nearest_village"
    assert found.grid_id is None
    assert found.grid_code == ""
    assert found.region_id == county.village_b.pk
    assert 0.8 < found.distance_km < 1.0


def test_a_point_farther_than_the_fallback_distance_is_not_located(county, settings):
    assert locate(120.0, 40.0) is None
    settings.PINGAN_LOCATE_FALLBACK_KM = 0.5
    assert locate(EAST + 0.01, 35.05) is None


def test_creating_changing_and_deleting_a_grid_is_seen_by_the_next_locate(county):
    point = (110.025, 35.025)
    assert locate(*point).grid_id == county.rural_a.pk
    school = make_grid(
        "510999001001002",
        county.village_a,
        box(110.02, 35.02, 110.03, 35.03),
        kind="dedicated",
        subkind="school",
    )
    assert locate(*point).grid_id == school.pk
    school.geometry = box(110.04, 35.02, 110.05, 35.03)
    school.full_clean()
    school.save()
    assert locate(*point).grid_id == county.rural_a.pk
    assert locate(110.045, 35.025).grid_id == school.pk
    school.delete()
    assert locate(110.045, 35.025).grid_id == county.rural_a.pk


def test_a_grid_not_in_use_is_never_returned(county):
    county.rural_a.is_active = False
    county.rural_a.save(update_fields=["is_active"])
    found = locate(110.05, 35.05)
    assert found is not None
    assert found.grid_id is None
    assert found.method == "nearest_village"
    assert found.region_id == county.village_a.pk
    assert found.distance_km == 0


def test_deactivating_an_overlay_grid_hands_its_points_back_to_the_rural_grid(county):
    school = make_grid(
        "510999001001002",
        county.village_a,
        box(110.02, 35.02, 110.03, 35.03),
        kind="dedicated",
        subkind="school",
    )
    assert locate(110.025, 35.025).grid_id == school.pk
    school.is_active = False
    school.save(update_fields=["is_active"])
    assert locate(110.025, 35.025).grid_id == county.rural_a.pk


def test_the_nearest_village_is_measured_in_kilometres_not_degrees(county):
    # At latitude 60° a degree of longitude is half a degree of latitude on the ground.
    town = make_region("510999002", "北镇", "township", county.county)
    east = make_region("510999002001", "东村", "village", town, box(110.006, 59.99, 110.02, 60.01))
    make_region("510999002002", "北村", "village", town, box(109.99, 60.004, 110.0, 60.02))
    found = locate(110.0 - 0.0001, 60.0 - 0.0001)  # 0.34 km from 东村, 0.46 km from 北村
    assert found.method == "nearest_village"
    assert found.region_id == east.pk
    assert found.distance_km == pytest.approx(0.34, abs=0.02)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_point_that_is_not_a_number_is_not_located(county, value):
    assert locate(value, 35.05) is None
    assert locate(110.05, value) is None


def test_a_grid_stored_with_a_broken_polygon_does_not_stop_the_others(county, caplog):
    # Written around full_clean(), as a careless script might; locate() must carry on.
    Grid.objects.filter(pk=county.rural_b.pk).update(geometry={"type": "Point"})
    assert locate(110.05, 35.05).grid_id == county.rural_a.pk
    assert locate(110.15, 35.05).method == "nearest_village"
    assert "510999001002001" in caplog.text


# --- property: a rectangle tiled into strips ---------------------------------------------------


def strips(west: float, south: float, width: float, height: float, n: int) -> list:
    """Return n strips tiling the rectangle; neighbours share their edge values exactly."""
    edges = [west + width * i / n for i in range(n)] + [west + width]
    return [shapely.box(edges[i], south, edges[i + 1], south + height) for i in range(n)]


@settings(max_examples=300, deadline=None)
@given(
    west=st.floats(-170, 160),
    south=st.floats(-80, 70),
    width=st.floats(1e-4, 5),
    height=st.floats(1e-4, 5),
    n=st.integers(1, 20),
    u=st.floats(0, 1),
    v=st.floats(0, 1),
)
def test_locate_returns_the_strip_that_shapely_says_contains_the_point(
    west, south, width, height, n, u, v
):
    tiles = strips(west, south, width, height, n)
    rows = [
        (i + 1, f"{i + 1:015d}", f"strip {i}", 1, geom, False, geom.area, None, None)
        for i, geom in enumerate(tiles)
    ]
    index = GridIndex(rows, [])
    lng, lat = west + u * width, south + v * height
    point = shapely.Point(lng, lat)
    expected = {i + 1 for i, geom in enumerate(tiles) if geom.covers(point)}
    found = index.locate(lng, lat)
    assert found is not None
    assert found.grid_id in expected
    if len(expected) == 1:
        assert {found.grid_id} == expected


def test_locate_agrees_with_shapely_for_grids_stored_in_the_database(county):
    # A village without a boundary of its own, tiled into 7 strips north of the township.
    village = make_region("510999001003", "丙村", "village", county.town)
    geoms = {}
    for i, tile in enumerate(strips(110.0, 36.0, 0.1, 0.05, 7), start=1):
        grid = make_grid(f"510999001003{i:03d}", village, to_geojson(tile))
        geoms[grid.pk] = tile

    @settings(max_examples=150, deadline=None)
    @given(u=st.floats(0, 1), v=st.floats(0, 1))
    def check(u, v):
        lng, lat = 110.0 + u * 0.1, 36.0 + v * 0.05
        point = shapely.Point(lng, lat)
        expected = {pk for pk, geom in geoms.items() if geom.covers(point)}
        found = locate(lng, lat)
        assert found is not None
        assert found.grid_id in expected

    check()


# --- validation of grids -----------------------------------------------------------------------


def grid_errors(county, **fields) -> dict[str, list[str]]:
    values = {
        "code": "510999001001009",
        "name": "test",
        "region": county.village_a,
        "geometry": box(110.01, 35.01, 110.02, 35.02),
        "kind": "rural",
        **fields,
    }
    with pytest.raises(ValidationError) as caught:
        Grid(**values).full_clean()
    return caught.value.message_dict


def test_an_unclosed_ring_is_refused_on_the_geometry_field(county):
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[110.01, 35.01], [110.02, 35.01], [110.02, 35.02], [110.01, 35.02]]],
    }
    errors = grid_errors(county, geometry=open_ring)
    assert list(errors) == ["geometry"]
    assert "not closed" in errors["geometry"][0]


def test_a_self_intersecting_bow_tie_is_refused_on_the_geometry_field(county):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[110.01, 35.01], [110.02, 35.02], [110.02, 35.01], [110.01, 35.02], [110.01, 35.01]]
        ],
    }
    errors = grid_errors(county, geometry=bow_tie)
    assert list(errors) == ["geometry"]
    assert "not valid" in errors["geometry"][0]
    assert "Self-intersection" in errors["geometry"][0]


def test_a_grid_outside_its_villages_boundary_is_refused_on_the_geometry_field(county):
    errors = grid_errors(county, geometry=box(110.09, 35.01, 110.11, 35.02))
    assert list(errors) == ["geometry"]
    assert "inside the boundary of 甲村" in errors["geometry"][0]


def test_a_grid_code_of_the_wrong_length_is_refused_on_the_code_field(county):
    errors = grid_errors(county, code="51099900100101")
    assert list(errors) == ["code"]
    assert "15 digits" in " ".join(errors["code"])


def test_a_grid_code_not_starting_with_the_village_code_is_refused_on_the_code_field(county):
    errors = grid_errors(county, code="510999001002009")
    assert list(errors) == ["code"]
    assert "must start with its region's code 510999001001" in errors["code"][0]


def test_a_valid_grid_passes_and_gets_its_area_and_path(county):
    grid = make_grid("510999001001009", county.village_a, box(110.01, 35.01, 110.02, 35.02))
    assert grid.path == county.village_a.path
    assert grid.county_code == "510999"
    # 0.01° x 0.01° at latitude 35° is about 1.11 km x 0.91 km.
    assert grid.area_km2 == pytest.approx(1.01, rel=0.02)


# --- subtree queries and the stored path -------------------------------------------------------


def test_region_subtree_is_the_region_and_everything_under_it(county):
    codes = set(Region.objects.subtree(county.town).values_list("code", flat=True))
    assert codes == {"510999001", "510999001001", "510999001002"}
    assert set(Region.objects.subtree(county.village_b).values_list("code", flat=True)) == {
        "510999001002"
    }
    everything = set(Region.objects.subtree(county.county).values_list("code", flat=True))
    assert everything == {"510999", *codes}


def test_grids_in_region_are_those_under_it_and_no_others(county):
    school = make_grid(
        "510999001001002",
        county.village_a,
        box(110.02, 35.02, 110.03, 35.03),
        kind="dedicated",
        subkind="school",
    )
    in_a = set(Grid.objects.in_region(county.village_a))
    assert in_a == {county.rural_a, school}
    assert set(Grid.objects.in_region(county.county)) == {county.rural_a, county.rural_b, school}


def test_saving_a_region_maintains_its_path_depth_and_county_code(county):
    assert (county.county.path, county.county.depth, county.county.county_code) == (
        "/510999/",
        0,
        "510999",
    )
    assert (county.town.path, county.town.depth, county.town.county_code) == (
        "/510999/510999001/",
        1,
        "510999",
    )
    village = county.village_a
    assert (village.path, village.depth, village.county_code) == (
        "/510999/510999001/510999001001/",
        2,
        "510999",
    )
    assert Region.objects.get(code="510999001001").path == village.path


def test_moving_a_new_region_under_another_parent_recomputes_its_path(db):
    lone = make_region("510998", "另一县", "county")
    assert lone.path == "/510998/"
    city = make_region("510900", "测试市", "city")
    assert (city.path, city.county_code) == ("/510900/", "")
    lone.parent = city
    lone.full_clean()
    lone.save()
    lone.refresh_from_db()
    assert (lone.path, lone.depth, lone.county_code) == ("/510900/510998/", 1, "510998")
    town = make_region("510998001", "新镇", "township", lone)
    assert (town.path, town.depth, town.county_code) == ("/510900/510998/510998001/", 2, "510998")
