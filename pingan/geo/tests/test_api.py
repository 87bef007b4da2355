"""The regions and grids API: scoping, filters, GeoJSON layers, locate() and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from shapely.geometry import Point, shape

from pingan.geo.locate import locate
from pingan.geo.models import Grid, Region

pytestmark = pytest.mark.django_db

COUNTY = "513999"
FIRST_TOWNSHIP = "513999001"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def everything(api, url: str, **params) -> list[dict]:
    """Fetch every row of a list in one page."""
    response = api.get(url, {"page_size": 500, **params})
    body = response.json()
    assert response.status_code == 200, body
    assert body["next"] is None
    return body["results"]


def own_grids(user) -> set[int]:
    return set(Grid.objects.filter(memberships__user=user).values_list("pk", flat=True))


def point_only_in(grid: Grid) -> tuple[float, float]:
    """Return a point inside ``grid`` that no other grid covers."""
    others = [shape(g) for g in Grid.objects.exclude(pk=grid.pk).values_list("geometry", flat=True)]
    inside = shape(grid.geometry)
    candidates = [inside.representative_point(), inside.centroid]
    # Try a small lattice too, so a school in the middle of the grid does not spoil it.
    west, south, east, north = inside.bounds
    candidates += [
        Point(west + (east - west) * i / 8, south + (north - south) * j / 8)
        for i in range(1, 8)
        for j in range(1, 8)
    ]
    for point in candidates:
        if inside.contains(point) and not any(o.intersects(point) for o in others):
            return point.x, point.y
    raise AssertionError(f"no point lies only in {grid.code}")


# --- authentication ------------------------------------------------------------------------


def test_anonymous_caller_gets_401_from_every_list():
    api = APIClient()
    for url in (
        "/api/v1/regions/",
        "/api/v1/grids/",
        "/api/v1/grids/geojson/",
        "/api/v1/regions/geojson/",
        "/api/v1/grids/locate/?lng=102.1&lat=30.05",
    ):
        assert api.get(url).status_code == 401, url


def test_a_bad_token_gets_401(api_as):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/grids/").status_code == 401


def test_session_login_works_for_the_api(client_as):
    response = client_as("center").get("/api/v1/grids/")
    assert response.status_code == 200
    assert response.json()["count"] == Grid.objects.count()


# --- regions -------------------------------------------------------------------------------


def test_center_sees_every_region_of_the_demo_county(api_as):
    rows = everything(api_as("center"), "/api/v1/regions/")
    codes = {row["code"] for row in rows}
    assert codes == set(
        Region.objects.filter(path__contains=f"/{COUNTY}/").values_list("code", flat=True)
    )
    assert len(codes) > 60
    township = next(row for row in rows if row["code"] == FIRST_TOWNSHIP)
    assert township["parent"] == COUNTY
    assert township["level"] == "township"
    assert township["level_display"]
    assert "boundary" not in township


def test_grid_worker_sees_only_the_village_of_their_grid(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    rows = everything(api_as("grid01"), "/api/v1/regions/")
    assert [row["code"] for row in rows] == [grid.region.code]


def test_department_handler_sees_no_regions(api_as):
    assert everything(api_as("dept-transport"), "/api/v1/regions/") == []


def test_township_centre_sees_only_its_township(api_as):
    rows = everything(api_as("town01"), "/api/v1/regions/")
    assert rows
    assert all(row["code"].startswith(FIRST_TOWNSHIP) for row in rows)
    assert COUNTY not in {row["code"] for row in rows}


def test_region_detail_has_the_boundary(api_as):
    township = Region.objects.get(code=FIRST_TOWNSHIP)
    response = api_as("center").get(f"/api/v1/regions/{township.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == FIRST_TOWNSHIP
    assert body["boundary"]["type"] in ("Polygon", "MultiPolygon")


def test_grid_worker_cannot_see_a_township_region(api_as):
    township = Region.objects.get(code=FIRST_TOWNSHIP)
    assert api_as("grid01").get(f"/api/v1/regions/{township.pk}/").status_code == 404


def test_region_filters_by_level_and_parent(api_as):
    api = api_as("center")
    townships = everything(api, "/api/v1/regions/", level="township")
    assert len(townships) == Region.objects.filter(level="township", path__contains=COUNTY).count()
    assert {row["level"] for row in townships} == {"township"}
    villages = everything(api, "/api/v1/regions/", parent=FIRST_TOWNSHIP)
    assert villages
    assert {row["parent"] for row in villages} == {FIRST_TOWNSHIP}


def test_region_filter_with_an_unknown_level_is_a_400(api_as):
    response = api_as("center").get("/api/v1/regions/", {"level": "galaxy"})
    assert response.status_code == 400
    assert "level" in response.json()


def test_region_geojson_draws_visible_boundaries_by_level(api_as):
    response = api_as("center").get("/api/v1/regions/geojson/", {"level": "township"})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    expected = Region.objects.filter(level="township", boundary__isnull=False)
    assert len(body["features"]) == expected.count() > 0
    for feature in body["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["properties"]["level"] == "township"


def test_region_geojson_is_empty_for_a_department_handler(api_as):
    response = api_as("dept-transport").get("/api/v1/regions/geojson/")
    assert response.json() == {"type": "FeatureCollection", "features": []}


# --- grids ---------------------------------------------------------------------------------


def test_center_sees_every_demo_grid(api_as):
    rows = everything(api_as("center"), "/api/v1/grids/")
    assert len(rows) == Grid.objects.count()
    assert Grid.objects.count() >= 60


def test_grid_worker_sees_exactly_their_grids(api_as, user):
    rows = everything(api_as("grid01"), "/api/v1/grids/")
    assert {row["id"] for row in rows} == own_grids(user("grid01"))
    assert len(rows) >= 1


def test_resident_sees_the_grid_they_live_in(api_as, user):
    rows = everything(api_as("resident01"), "/api/v1/grids/")
    assert {row["id"] for row in rows} == own_grids(user("resident01"))
    assert own_grids(user("resident01")) == own_grids(user("grid01"))


def test_department_handler_sees_no_grids(api_as):
    assert everything(api_as("dept-transport"), "/api/v1/grids/") == []


def test_grid_list_row_has_region_and_team_size(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    (row,) = everything(api_as("grid01"), "/api/v1/grids/")
    assert row["code"] == grid.code
    assert row["region"] == {
        "id": grid.region_id,
        "code": grid.region.code,
        "name": grid.region.name,
    }
    assert row["team_size"] == grid.members.count()
    assert row["kind_display"]
    assert "geometry" not in row


def test_grid_worker_cannot_get_another_workers_grid(api_as, user):
    other = Grid.objects.get(pk__in=own_grids(user("grid01")))
    assert api_as("grid02").get(f"/api/v1/grids/{other.pk}/").status_code == 404
    assert api_as("dept-transport").get(f"/api/v1/grids/{other.pk}/").status_code == 404


def test_grid_detail_has_geometry_and_team(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    response = api_as("grid01").get(f"/api/v1/grids/{grid.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    names = [member["name"] for member in body["team"]]
    assert names == list(grid.members.order_by("sort_order", "id").values_list("name", flat=True))
    assert body["team_size"] == len(names) > 0
    assert {"name", "role", "role_display", "work_phone"} <= set(body["team"][0])


def test_grid_detail_of_a_missing_id_is_a_404(api_as):
    assert api_as("center").get("/api/v1/grids/999999999/").status_code == 404
    assert api_as("center").get("/api/v1/grids/abc/").status_code == 404


def test_grid_filter_by_kind(api_as):
    rows = everything(api_as("center"), "/api/v1/grids/", kind="dedicated")
    assert len(rows) == Grid.objects.filter(kind="dedicated").count() > 0
    assert {row["kind"] for row in rows} == {"dedicated"}
    assert all(row["subkind"] for row in rows)


def test_grid_filter_by_search_text(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    rows = everything(api_as("center"), "/api/v1/grids/", q=grid.code)
    assert [row["id"] for row in rows] == [grid.pk]
    rows = everything(api_as("center"), "/api/v1/grids/", q=grid.region.name)
    assert grid.pk in {row["id"] for row in rows}


def test_grid_filter_by_region_code_includes_sub_regions(api_as):
    rows = everything(api_as("center"), "/api/v1/grids/", region=FIRST_TOWNSHIP)
    assert len(rows) == Grid.objects.filter(code__startswith=FIRST_TOWNSHIP).count() > 0
    assert all(row["code"].startswith(FIRST_TOWNSHIP) for row in rows)


def test_filters_never_widen_the_scope(api_as, user):
    other_township = "513999002"
    assert everything(api_as("grid01"), "/api/v1/grids/", region=other_township) == []


def test_grid_filter_with_an_unknown_kind_is_a_400(api_as):
    response = api_as("center").get("/api/v1/grids/", {"kind": "spaceship"})
    assert response.status_code == 400
    assert "kind" in response.json()


# --- grids as GeoJSON ----------------------------------------------------------------------


def test_grid_geojson_has_one_polygon_feature_per_visible_grid(api_as):
    response = api_as("center").get("/api/v1/grids/geojson/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == Grid.objects.count()
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        props = feature["properties"]
        assert props["url"].endswith(f"/{props['id']}/")
        assert props["code"].startswith(props["village"])
        assert isinstance(props["active_now"], bool)
        assert isinstance(props["team_size"], int)


def test_grid_geojson_is_scoped_and_filtered(api_as, user):
    body = api_as("grid01").get("/api/v1/grids/geojson/").json()
    assert {f["id"] for f in body["features"]} == own_grids(user("grid01"))
    body = api_as("center").get("/api/v1/grids/geojson/", {"kind": "mobile"}).json()
    assert len(body["features"]) == Grid.objects.filter(kind="mobile").count() > 0
    body = api_as("dept-transport").get("/api/v1/grids/geojson/").json()
    assert body["features"] == []


def test_grid_geojson_shows_a_seasonal_grid_out_of_season_as_not_active_now(api_as):
    grid = Grid.objects.filter(kind="mobile").first()
    Grid.objects.filter(pk=grid.pk).update(active_from="2000-01-01", active_until="2000-02-01")
    body = api_as("center").get("/api/v1/grids/geojson/", {"kind": "mobile"}).json()
    props = next(f["properties"] for f in body["features"] if f["id"] == grid.pk)
    assert props["is_active"] is True
    assert props["active_now"] is False


def test_grid_geojson_answers_geo_json_when_asked(api_as):
    api = api_as("center")
    response = api.get("/api/v1/grids/geojson/", HTTP_ACCEPT="application/geo+json")
    assert response["Content-Type"].startswith("application/geo+json")
    assert response.json()["type"] == "FeatureCollection"
    plain = api.get("/api/v1/grids/geojson/")
    assert plain["Content-Type"].startswith("application/json")


# --- locate --------------------------------------------------------------------------------


def test_locate_finds_the_grid_containing_a_point(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    lng, lat = point_only_in(grid)
    response = api_as("center").get("/api/v1/grids/locate/", {"lng": lng, "lat": lat})
    assert response.status_code == 200
    body = response.json()
    assert body["located"] is True
    assert body["method"] == "grid"
    assert body["grid"] == {"id": grid.pk, "code": grid.code, "name": grid.name, "kind": grid.kind}
    assert body["region"]["code"] == grid.region.code
    assert body["lng"] == pytest.approx(lng)


def test_locate_agrees_with_the_locate_service_for_an_overlay_grid(api_as):
    school = Grid.objects.filter(kind="dedicated").first()
    point = shape(school.geometry).representative_point()
    expected = locate(point.x, point.y)
    body = api_as("center").get("/api/v1/grids/locate/", {"lng": point.x, "lat": point.y}).json()
    assert body["grid"]["id"] == expected.grid_id == school.pk


def test_locate_far_away_is_not_located(api_as):
    body = api_as("center").get("/api/v1/grids/locate/", {"lng": 0, "lat": 0}).json()
    assert body == {
        "lng": 0.0,
        "lat": 0.0,
        "located": False,
        "method": None,
        "distance_km": None,
        "grid": None,
        "region": None,
    }


def test_locate_answers_a_point_in_a_grid_outside_the_callers_scope_as_not_located(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    lng, lat = point_only_in(grid)
    body = api_as("grid02").get("/api/v1/grids/locate/", {"lng": lng, "lat": lat}).json()
    far = api_as("grid02").get("/api/v1/grids/locate/", {"lng": 0, "lat": 0}).json()
    assert {k: v for k, v in body.items() if k not in ("lng", "lat")} == {
        k: v for k, v in far.items() if k not in ("lng", "lat")
    }
    assert body["located"] is False


def test_locate_still_finds_the_callers_own_grid(api_as, user):
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    lng, lat = point_only_in(grid)
    body = api_as("grid01").get("/api/v1/grids/locate/", {"lng": lng, "lat": lat}).json()
    assert body["located"] is True
    assert body["grid"]["id"] == grid.pk


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"lng": "abc", "lat": "30"}, {"lng"}),
        ({"lng": "102", "lat": "95"}, {"lat"}),
        ({"lng": "181", "lat": "30"}, {"lng"}),
        ({"lng": "nan", "lat": "30"}, {"lng"}),
        ({"lng": "102", "lat": "-inf"}, {"lat"}),
        ({}, {"lng", "lat"}),
        ({"lng": "102"}, {"lat"}),
    ],
)
def test_locate_with_bad_coordinates_is_a_400_with_field_errors(api_as, params, bad):
    response = api_as("center").get("/api/v1/grids/locate/", params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == bad
    assert all(isinstance(body[key], list) and body[key] for key in bad)


# --- query counts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/v1/grids/", "/api/v1/regions/"],
)
def test_list_query_count_does_not_grow_with_the_page_size(api_as, url):
    api = api_as("center")
    counts = []
    for size in (2, 200):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) >= min(size, 2)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_busy_endpoints_stay_within_a_few_queries(api_as, user, django_assert_max_num_queries):
    api = api_as("center")
    grid = Grid.objects.get(pk__in=own_grids(user("grid01")))
    # token + scope + count + page; token + scope + rows; token + scope + grid + team.
    with django_assert_max_num_queries(4):
        api.get("/api/v1/grids/", {"page_size": 500})
    with django_assert_max_num_queries(4):  # session/token, scope, grids, their teams
        api.get("/api/v1/grids/geojson/")
    with django_assert_max_num_queries(3):
        api.get("/api/v1/regions/geojson/")
    with django_assert_max_num_queries(4):
        api.get(f"/api/v1/grids/{grid.pk}/")
