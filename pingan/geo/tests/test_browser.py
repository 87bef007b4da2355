"""The map and the grid pages in a real browser (headless chromium driven by Playwright).

Set ``PINGAN_SCREENSHOTS=1`` to also write screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

from pingan.accounts.models import Membership, User
from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in
from pingan.geo.models import Grid

SCREENSHOTS = os.environ.get("PINGAN_SCREENSHOTS") == "1"
SCREENSHOT_DIR = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

pytestmark = BROWSER_TEST_MARKS


def open_map(page, live_server, query: str = "") -> int:
    page.goto(f"{live_server.url}/map/{query}")
    page.wait_for_selector("#pingan-map[data-grid-count]", state="attached")
    return int(page.get_attribute("#pingan-map", "data-grid-count"))


def visible_grids(username: str):
    return Grid.objects.visible_to(User.objects.get(username=username))


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name))


def test_center_sees_every_grid_on_the_map(page, live_server):
    log_in(page, live_server, "center")
    drawn = open_map(page, live_server)
    total = Grid.objects.count()
    assert drawn == total
    assert page.locator("path.pingan-grid").count() == total
    # The township boundaries and the legend with a count per kind are drawn too.
    assert page.locator("#map-legend [data-kind-count]").count() == len(Grid.Kind.values)
    dedicated = Grid.objects.filter(kind=Grid.Kind.DEDICATED).count()
    assert page.inner_text("#map-legend [data-kind-count=dedicated]") == str(dedicated)
    assert page.locator("#map-empty").is_hidden()
    page.wait_for_timeout(300)  # let the fit-bounds animation settle for the picture
    screenshot(page, "map-center.png")


def test_the_map_kind_filter_redraws_only_that_kind(page, live_server):
    log_in(page, live_server, "center")
    open_map(page, live_server)
    page.select_option("#map-filter select[name=kind]", "dedicated")
    dedicated = Grid.objects.filter(kind=Grid.Kind.DEDICATED).count()
    page.wait_for_selector(f"#pingan-map[data-grid-count='{dedicated}']", state="attached")
    assert page.locator("path.pingan-grid").count() == dedicated
    assert page.locator("path.pingan-grid-rural").count() == 0


def test_grid_worker_sees_only_their_grids_on_the_map(page, live_server):
    log_in(page, live_server, "grid01")
    expected = visible_grids("grid01").count()
    assert 0 < expected < Grid.objects.count()
    assert open_map(page, live_server) == expected
    assert page.locator("path.pingan-grid").count() == expected


def test_department_handler_sees_the_empty_map(page, live_server):
    log_in(page, live_server, "dept-transport")
    assert open_map(page, live_server) == 0
    assert page.locator("path.pingan-grid").count() == 0
    assert page.locator("#map-empty").is_visible()


def test_clicking_a_grid_opens_its_card_with_a_link_to_its_page(page, live_server):
    log_in(page, live_server, "grid01")
    grid = visible_grids("grid01").first()
    open_map(page, live_server)
    page.locator(f"path.pingan-grid[data-grid-id='{grid.pk}']").click()
    popup = page.locator(".leaflet-popup-content .grid-popup")
    popup.wait_for()
    assert grid.name in popup.inner_text()
    assert grid.code in popup.inner_text()
    for member in grid.members.all():
        assert member.name in popup.inner_text()
    link = popup.locator("a.grid-popup-link")
    assert link.get_attribute("href") == grid.get_absolute_url()
    link.click()
    page.wait_for_url(f"**{grid.get_absolute_url()}")
    assert page.inner_text("#grid-name") == grid.name
    page.wait_for_selector("#grid-map[data-grid-count='1']", state="attached")
    assert page.locator("#grid-map path.pingan-grid").count() == 1


def test_grid_list_search_works_in_the_browser(page, live_server):
    log_in(page, live_server, "center")
    page.goto(f"{live_server.url}/grids/")
    total = Grid.objects.count()
    assert page.get_attribute("#result-count", "data-count") == str(total)
    screenshot(page, "grid-list.png")
    target = Grid.objects.filter(kind=Grid.Kind.DEDICATED).order_by("code").first()
    page.fill("#grid-filter input[name=q]", target.name)
    page.click("#grid-filter button[type=submit]")
    page.wait_for_url("**/grids/?*")
    matches = Grid.objects.filter(name__icontains=target.name).count()
    assert page.get_attribute("#result-count", "data-count") == str(matches)
    rows = page.locator("#grid-table tbody tr")
    assert rows.count() == matches
    assert target.name in rows.first.inner_text()
    rows.first.locator("a").first.click()
    page.wait_for_selector("#grid-team")
    page.wait_for_selector("#grid-map[data-grid-count]", state="attached")


def test_grid_detail_screenshot(page, live_server):
    """Show a grid with its team and map (writes a screenshot when asked to)."""
    log_in(page, live_server, "grid01")
    grid_id = Membership.objects.filter(user__username="grid01", grid__isnull=False)[0].grid_id
    grid = Grid.objects.get(pk=grid_id)
    page.goto(f"{live_server.url}{grid.get_absolute_url()}")
    page.wait_for_selector("#grid-map[data-grid-count='1']", state="attached")
    assert page.locator("#team-table tbody tr").count() == grid.members.count()
    page.wait_for_timeout(300)
    screenshot(page, "grid-detail.png")
