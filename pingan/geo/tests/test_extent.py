"""The extent of a county or of a user's regions: what maps fit, what counts as outside.

On the demo county 示范县 (513999, about 101.9–102.3 °E × 29.9–30.2 °N).
"""

from __future__ import annotations

import json

import pytest
import shapely
from django.contrib.auth.models import AnonymousUser

from pingan.accounts.models import Membership, Role, User
from pingan.geo import extent, geometry
from pingan.geo.models import Grid, Region

pytestmark = pytest.mark.django_db

COUNTY = "513999"
FAR_AWAY = (90.0, 20.0)  # about a thousand kilometres from the county, in Myanmar


def county() -> Region:
    return Region.objects.get(code=COUNTY)


def county_bounds() -> tuple[float, float, float, float]:
    return geometry.parse_polygon(county().boundary).bounds


def test_the_county_area_holds_every_grid_of_the_county():
    area = extent.county_area(county())
    for geojson in Grid.objects.filter(county_code=COUNTY).values_list("geometry", flat=True):
        point = geometry.parse_polygon(geojson).representative_point()
        assert area.contains(point.x, point.y)


def test_a_fix_a_thousand_kilometres_away_lies_outside_the_county():
    assert not extent.county_area(county()).contains(*FAR_AWAY)


def test_a_fix_just_over_the_border_lies_in_the_county_as_locate_forgives_it(settings):
    settings.PINGAN_LOCATE_FALLBACK_KM = 5.0
    west, south, _east, north = county_bounds()
    area = extent.county_area(county())
    assert area.contains(west - 0.02, (south + north) / 2)  # about 2 km west
    assert not area.contains(west - 0.1, (south + north) / 2)  # about 10 km west


def test_without_the_fallback_distance_the_border_is_the_outline(settings):
    settings.PINGAN_LOCATE_FALLBACK_KM = 0
    west, south, _east, north = county_bounds()
    area = extent.county_area(county())
    assert not area.contains(west - 0.001, (south + north) / 2)
    assert area.contains(west + 0.001, (south + north) / 2)


def test_maps_fit_the_outline_itself_not_the_widened_area():
    assert extent.county_area(county()).bbox() == [round(v, 5) for v in county_bounds()]


def test_a_missing_point_lies_nowhere():
    assert not extent.county_area(county()).contains(None, 30.0)


def test_many_points_are_checked_at_once():
    west, south, east, north = county_bounds()
    middle = ((west + east) / 2, (south + north) / 2)
    area = extent.county_area(county())
    assert area.contains_each([middle[0], FAR_AWAY[0]], [middle[1], FAR_AWAY[1]]) == [True, False]
    assert area.contains_each([], []) == []


def test_a_county_without_a_boundary_is_drawn_from_what_lies_below_it():
    Region.objects.filter(code=COUNTY).update(boundary=None)
    area = extent.county_area(county())
    west, south, east, north = area.bbox()
    assert west < 102.0 < east and south < 30.0 < north
    assert not area.contains(*FAR_AWAY)


def test_a_region_without_any_shape_has_no_area():
    empty = Region.objects.create(code="513998", name="空县", level=Region.Level.COUNTY)
    assert extent.county_area(empty) is None
    assert extent.county_area(None) is None


def test_the_outline_a_page_receives_is_small_and_still_holds_the_county():
    data = extent.county_area(county()).for_page()
    assert len(json.dumps(data)) < 20_000
    outline = shapely.geometry.shape(data["outline"])
    west, south, east, north = county_bounds()
    assert outline.contains(shapely.Point((west + east) / 2, (south + north) / 2))
    assert not outline.contains(shapely.Point(*FAR_AWAY))
    assert data["bbox"] == [round(v, 5) for v in county_bounds()]


def test_the_centres_area_is_the_county():
    area = extent.area_for(User.objects.get(username="center"))
    assert area.bbox() == [round(v, 5) for v in county_bounds()]


def test_a_township_centres_area_is_its_township():
    area = extent.area_for(User.objects.get(username="town01"))
    township = Region.objects.get(code="513999001")
    assert area.bbox() == [round(v, 5) for v in geometry.parse_polygon(township.boundary).bounds]


def test_a_grid_workers_area_is_the_village_of_their_grid():
    worker = User.objects.get(username="grid01")
    grid = Membership.objects.filter(user=worker, role=Role.GRID_WORKER).first().grid
    area = extent.area_for(worker)
    expected = geometry.parse_polygon(grid.region.boundary).bounds
    assert area.bbox() == [round(v, 5) for v in expected]


def test_a_department_handlers_area_is_their_departments_region():
    area = extent.area_for(User.objects.get(username="dept-transport"))
    assert area.bbox() == [round(v, 5) for v in county_bounds()]


def test_a_superusers_area_is_every_county():
    area = extent.area_for(User.objects.get(username="admin"))
    west, south, east, north = area.bbox()
    cw, cs, ce, cn = county_bounds()
    assert west <= cw and south <= cs and east >= ce and north >= cn


def test_someone_without_a_place_has_no_area():
    assert extent.area_for(AnonymousUser()) is None
