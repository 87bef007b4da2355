"""The region and grid pages: scoping, search, filters, pagination, map layers and Excel export."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pingan.accounts.models import Membership
from pingan.geo.models import Grid, GridMember, Region
from pingan.geo.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


def own_grids(user) -> list[Grid]:
    """Return the grids a grid-level demo account is a member of."""
    ids = Membership.objects.filter(user=user, grid__isnull=False).values("grid")
    return list(Grid.objects.filter(pk__in=ids))


def read_xlsx(response) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def test_anonymous_users_are_sent_to_the_login_page(client):
    grid = Grid.objects.first()
    for url in [
        reverse("geo:map"),
        reverse("geo:map_grids"),
        reverse("geo:map_regions"),
        reverse("geo:grid_list"),
        reverse("geo:grid_export"),
        reverse("geo:grid_detail", args=[grid.pk]),
        reverse("geo:region_list"),
        reverse("geo:region_export"),
        reverse("geo:region_detail", args=[grid.region_id]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_center_sees_every_grid_in_the_list(client_as):
    response = client_as("center").get(reverse("geo:grid_list"))
    assert response.status_code == 200
    total = Grid.objects.count()
    assert total > PAGE_SIZE  # the demo county needs a second page
    assert response.context["page_obj"].paginator.count == total
    assert len(response.context["grids"]) == PAGE_SIZE
    second = client_as("center").get(reverse("geo:grid_list"), {"page": 2})
    assert len(second.context["grids"]) == total - PAGE_SIZE


def test_pagination_links_keep_the_filters(client_as):
    response = client_as("center").get(reverse("geo:grid_list"), {"kind": "rural"})
    if response.context["page_obj"].has_next():
        assert "kind=rural&amp;page=2" in response.content.decode()
    response = client_as("center").get(reverse("geo:region_list"), {"level": "village"})
    assert response.context["page_obj"].has_next()
    assert "level=village&amp;page=2" in response.content.decode()


def test_grid_worker_sees_only_their_own_grid(client_as, user):
    mine = own_grids(user("grid01"))
    assert mine
    response = client_as("grid01").get(reverse("geo:grid_list"))
    shown = {g.pk for g in response.context["page_obj"].paginator.object_list}
    assert shown == {g.pk for g in mine}
    for grid in mine:
        assert grid.name in response.content.decode()


def test_grid_worker_cannot_open_another_workers_grid(client_as, user):
    other = own_grids(user("grid01"))[0]
    assert other not in own_grids(user("grid02"))
    response = client_as("grid02").get(reverse("geo:grid_detail", args=[other.pk]))
    assert response.status_code == 404


def test_department_handler_sees_an_empty_grid_list_and_no_grid(client_as):
    client = client_as("dept-transport")
    response = client.get(reverse("geo:grid_list"))
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 0
    assert 'id="empty-state"' in response.content.decode()
    assert 'id="grid-table"' not in response.content.decode()
    for grid in Grid.objects.all()[:5]:
        assert client.get(reverse("geo:grid_detail", args=[grid.pk])).status_code == 404
    assert client.get(reverse("geo:map_grids")).json()["features"] == []
    response = client.get(reverse("geo:region_list"))
    assert response.context["page_obj"].paginator.count == 0
    assert 'id="empty-state"' in response.content.decode()


def test_search_by_name_narrows_the_grid_list(client_as):
    target = Grid.objects.filter(kind=Grid.Kind.DEDICATED).first()
    response = client_as("center").get(reverse("geo:grid_list"), {"q": target.name})
    names = [g.name for g in response.context["page_obj"].paginator.object_list]
    assert target.name in names
    assert 0 < len(names) < Grid.objects.count()
    assert all(target.name in name for name in names)


def test_filter_by_kind_narrows_the_grid_list(client_as):
    response = client_as("center").get(reverse("geo:grid_list"), {"kind": "dedicated"})
    shown = list(response.context["page_obj"].paginator.object_list)
    assert len(shown) == Grid.objects.filter(kind=Grid.Kind.DEDICATED).count() > 0
    assert {g.kind for g in shown} == {"dedicated"}


def test_filter_by_region_keeps_the_grids_under_it(client_as):
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("code").first()
    response = client_as("center").get(reverse("geo:grid_list"), {"region": township.code})
    shown = list(response.context["page_obj"].paginator.object_list)
    assert len(shown) == Grid.objects.in_region(township).count() > 0
    assert all(g.path.startswith(township.path) for g in shown)


def test_filter_by_in_use_finds_the_grids_taken_out_of_use(client_as):
    grid = Grid.objects.filter(kind=Grid.Kind.RURAL).first()
    Grid.objects.filter(pk=grid.pk).update(is_active=False)
    response = client_as("center").get(reverse("geo:grid_list"), {"is_active": "false"})
    assert list(response.context["page_obj"].paginator.object_list) == [grid]
    response = client_as("center").get(reverse("geo:grid_list"), {"is_active": "true"})
    assert response.context["page_obj"].paginator.count == Grid.objects.count() - 1


def test_region_filters_narrow_the_region_list(client_as):
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("code").first()
    response = client_as("center").get(
        reverse("geo:region_list"), {"level": "village", "within": township.code}
    )
    shown = list(response.context["page_obj"].paginator.object_list)
    assert shown == list(township.children.order_by("path"))
    assert shown


def test_a_bad_filter_value_is_a_field_error_not_a_crash(client_as):
    response = client_as("center").get(reverse("geo:grid_list"), {"kind": "castle"})
    assert response.status_code == 200
    assert response.context["filterset"].form.errors["kind"]
    response = client_as("center").get(reverse("geo:map_grids"), {"kind": "castle"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_a_search_without_results_shows_the_empty_state(client_as):
    response = client_as("center").get(reverse("geo:grid_list"), {"q": "没有这个网格"})
    assert response.context["page_obj"].paginator.count == 0
    assert 'id="empty-state"' in response.content.decode()


def test_grid_detail_shows_the_team_members(client_as, user):
    grid = own_grids(user("grid01"))[0]
    members = list(GridMember.objects.filter(grid=grid))
    assert members
    response = client_as("grid01").get(reverse("geo:grid_detail", args=[grid.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert grid.name in html and grid.code in html
    for member in members:
        assert member.name in html
        if member.work_phone:
            assert f'href="tel:{member.work_phone}"' in html


def test_grid_detail_shows_an_empty_team_state(client_as):
    grid = Grid.objects.filter(kind=Grid.Kind.RURAL).first()
    GridMember.objects.filter(grid=grid).delete()
    response = client_as("center").get(reverse("geo:grid_detail", args=[grid.pk]))
    assert 'id="team-empty"' in response.content.decode()


def test_seasonal_grid_detail_shows_its_season(client_as):
    grid = Grid.objects.filter(kind=Grid.Kind.MOBILE).first()
    response = client_as("center").get(reverse("geo:grid_detail", args=[grid.pk]))
    html = response.content.decode()
    assert 'id="grid-season"' in html
    assert grid.active_from.isoformat() in html and grid.active_until.isoformat() in html


def test_map_grids_for_center_holds_every_grid(client_as):
    data = client_as("center").get(reverse("geo:map_grids")).json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == Grid.objects.count()
    feature = data["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    props = feature["properties"]
    for key in ["id", "code", "name", "kind", "kind_display", "households", "url", "team"]:
        assert key in props
    grid = Grid.objects.get(pk=props["id"])
    assert props["url"] == grid.get_absolute_url()
    assert props["team_size"] == grid.members.count() == len(props["team"])


def test_map_grids_for_a_grid_worker_holds_only_their_grids(client_as, user):
    data = client_as("grid01").get(reverse("geo:map_grids")).json()
    ids = {f["properties"]["id"] for f in data["features"]}
    assert ids == {g.pk for g in own_grids(user("grid01"))}


def test_map_grids_take_the_list_filters(client_as):
    data = client_as("center").get(reverse("geo:map_grids"), {"kind": "mobile"}).json()
    assert len(data["features"]) == Grid.objects.filter(kind=Grid.Kind.MOBILE).count() > 0


def test_map_regions_are_scoped_and_filtered_by_level(client_as):
    data = client_as("center").get(reverse("geo:map_regions"), {"level": "township"}).json()
    townships = Region.objects.filter(level=Region.Level.TOWNSHIP, boundary__isnull=False)
    assert len(data["features"]) == townships.count() > 0
    assert {f["properties"]["level"] for f in data["features"]} == {"township"}
    data = client_as("dept-transport").get(reverse("geo:map_regions")).json()
    assert data["features"] == []


def test_map_page_renders_its_configuration(client_as):
    response = client_as("center").get(reverse("geo:map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pingan-map"' in html and 'id="map-config"' in html
    assert reverse("geo:map_grids") in html
    assert "pingan/map.js" in html and "vendor/leaflet/leaflet.js" in html


def test_grid_export_for_a_grid_worker_holds_only_their_grids(client_as, user):
    response = client_as("grid01").get(reverse("geo:grid_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert unquote(response["Content-Disposition"]).endswith(".xlsx")
    rows = read_xlsx(response)
    codes = {row[0] for row in rows[1:]}
    assert codes == {g.code for g in own_grids(user("grid01"))}


def test_grid_export_for_center_holds_every_grid(client_as):
    rows = read_xlsx(client_as("center").get(reverse("geo:grid_export")))
    assert len(rows) - 1 == Grid.objects.count()
    assert {row[0] for row in rows[1:]} == set(Grid.objects.values_list("code", flat=True))


def test_grid_export_follows_the_list_filters(client_as):
    rows = read_xlsx(client_as("center").get(reverse("geo:grid_export"), {"kind": "dedicated"}))
    assert len(rows) - 1 == Grid.objects.filter(kind=Grid.Kind.DEDICATED).count()


def test_region_list_counts_grids_and_households_below_each_region(client_as):
    response = client_as("center").get(reverse("geo:region_list"), {"level": "township"})
    regions = list(response.context["page_obj"].paginator.object_list)
    assert len(regions) == Region.objects.filter(level=Region.Level.TOWNSHIP).count()
    for region in regions:
        below = Grid.objects.in_region(region)
        assert region.grid_count == below.count()
        assert region.household_count == sum(below.values_list("households", flat=True))


def test_region_search_finds_by_name_and_code(client_as):
    village = Region.objects.filter(level=Region.Level.VILLAGE).first()
    for q in (village.name, village.code):
        response = client_as("center").get(reverse("geo:region_list"), {"q": q})
        assert village in response.context["page_obj"].paginator.object_list


def test_region_export_for_town01_holds_only_their_township(client_as):
    rows = read_xlsx(client_as("town01").get(reverse("geo:region_export")))
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("code").first()
    assert {row[0] for row in rows[1:]} == set(
        Region.objects.subtree(township).values_list("code", flat=True)
    )


def test_region_detail_is_scoped(client_as, user):
    grid = own_grids(user("grid01"))[0]
    client = client_as("grid01")
    assert client.get(reverse("geo:region_detail", args=[grid.region_id])).status_code == 200
    county = Region.objects.get(level=Region.Level.COUNTY)
    assert client.get(reverse("geo:region_detail", args=[county.pk])).status_code == 404


def test_region_detail_lists_children_and_grids(client_as):
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("code").first()
    response = client_as("center").get(reverse("geo:region_detail", args=[township.pk]))
    html = response.content.decode()
    for child in township.children.all():
        assert child.name in html
    for grid in Grid.objects.in_region(township)[:5]:
        assert grid.get_absolute_url() in html
    county = Region.objects.get(level=Region.Level.COUNTY)
    assert county.get_absolute_url() in html  # the breadcrumb


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("geo:grid_list", {}),
        ("geo:grid_list", {"page": 2}),
        ("geo:region_list", {}),
        ("geo:map_grids", {}),
        ("geo:map_regions", {}),
        ("geo:grid_export", {}),
        ("geo:region_export", {}),
    ],
)
def test_lists_do_not_query_once_per_row(client_as, django_assert_max_num_queries, name, params):
    client = client_as("center")
    client.get(reverse("geo:map"))  # warm the session
    with django_assert_max_num_queries(10):
        response = client.get(reverse(name), params)
    assert response.status_code == 200


def test_region_detail_does_not_query_once_per_grid(client_as, django_assert_max_num_queries):
    county = Region.objects.get(level=Region.Level.COUNTY)
    client = client_as("center")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("geo:region_detail", args=[county.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("name", "chinese", "fallback"),
    [
        ("geo:grid_export", "网格台账", "grid-ledger"),
        ("geo:region_export", "行政区划台账", "region-ledger"),
    ],
)
def test_the_ledgers_download_under_chinese_names_with_an_ascii_fallback(
    client_as, name, chinese, fallback
):
    header = client_as("center").get(reverse(name))["Content-Disposition"]
    stamped = r"-\d{8}-\d{4}\.xlsx"
    assert re.match(f'attachment; filename="{fallback}{stamped}"; filename\\*=', header), header
    assert re.search(f"UTF-8''{chinese}{stamped}$", unquote(header)), header
