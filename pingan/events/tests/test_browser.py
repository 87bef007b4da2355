"""The event closed loop in a real browser (headless chromium driven by Playwright).

A grid worker reports on a phone-sized screen with a photo and the phone's position, the
transport bureau signs for it and resolves it with a photo, the grid worker verifies it on site,
and the centre's workbench shows it closed. Set ``PINGAN_SCREENSHOTS=1`` to also write
screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in
from pingan.events.models import Event
from pingan.events.tests.conftest import event_in, grid_point, png_bytes

SCREENSHOTS = os.environ.get("PINGAN_SCREENSHOTS") == "1"
SCREENSHOT_DIR = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = BROWSER_TEST_MARKS


def screenshot(page, name: str, *, full_page: bool = False) -> None:
    if SCREENSHOTS:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=full_page)


def open_page(browser, viewport=DESKTOP, **options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: print("page error:", error))
    return context, page


def photo(name: str) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes((64, 48), "orange")}


def act(page, action: str, *, note: str = "", photos: list[dict] | None = None) -> None:
    """Open the move's fold in the action panel, fill it in and send it."""
    fold = page.locator(f"#action-{action}")
    if fold.get_attribute("open") is None:
        fold.locator("summary").click()
    form = page.locator(f"#action-form-{action}")
    if note:
        form.locator("textarea").first.fill(note)
    if photos:
        form.locator("input[type=file]").set_input_files(photos)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_the_retaining_wall_story_from_a_phone_report_to_the_closed_workbench(
    browser, live_server, demo
):
    lng, lat = grid_point()
    # 1. The grid worker reports on the phone, with the phone's position and a photo.
    phone, page = open_page(
        browser,
        PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": lng, "latitude": lat},
        permissions=["geolocation"],
    )
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/events/report/")
    page.fill("#id_description", "南门社区后山挡墙出现裂缝，有垮塌危险，请尽快处置")
    page.set_input_files("#id_photos", [photo("wall.png")])
    page.select_option("#id_category", "0201")
    page.click("#use-location")
    page.wait_for_selector("#use-location[data-done='1']")
    assert page.input_value("input[name=lng]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "events-report-phone.png", full_page=True)
    with page.expect_navigation():
        page.click("#report-submit")
    assert re.search(r"/events/\d+/$", page.url)
    number = page.inner_text("#event-number")
    event = Event.objects.get(number=number)
    assert event.channel == "grid_worker"
    assert event.grid is not None and event.attachments.count() == 1
    assert event.status == Event.Status.DISPATCHED
    assert page.get_attribute("#event-header", "data-status") == "dispatched"
    phone.close()

    # 2. The transport bureau signs for it and resolves it with a note and a photo.
    desk, page = open_page(browser)
    log_in(page, live_server, "dept-transport")
    page.goto(f"{live_server.url}/events/inbox/")
    page.locator(f"[data-sign='{event.pk}']").click()
    page.wait_for_url("**/events/inbox/")
    page.goto(f"{live_server.url}{event.get_absolute_url()}")
    assert page.get_attribute("#event-header", "data-status") == "signed"
    act(page, "resolve", note="已清理危石并设置警示，挡墙加固完成", photos=[photo("fixed.png")])
    assert page.get_attribute("#event-header", "data-status") == "resolved"
    page.wait_for_selector("#event-map[data-ready='1']", state="attached")
    screenshot(page, "events-detail.png")
    desk.close()

    # 3. The grid worker verifies it on site, on the phone.
    phone, page = open_page(browser, PHONE, is_mobile=True, has_touch=True)
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/events/verify/")
    page.locator(f"#event-cards [data-event-id='{event.pk}']").click()
    page.wait_for_selector("#action-verify")
    act(page, "verify", note="现场核查通过")
    assert page.get_attribute("#event-header", "data-status") == "closed"
    phone.close()

    # 4. The centre finds it on the workbench, closed, with every step timed.
    desk, page = open_page(browser)
    log_in(page, live_server, "center")
    page.goto(f"{live_server.url}/events/?tab=all")
    page.fill("#event-filter input[name=q]", number)
    with page.expect_navigation():
        page.click("#event-filter button[type=submit]")
    row = page.locator(f"#event-table tr[data-number='{number}']")
    assert row.locator(".event-status").get_attribute("data-status") == "closed"
    row.locator("a").first.click()
    page.wait_for_selector("#timeline")
    steps = page.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert steps[:5] == ["report", "dispatch", "sign", "resolve", "verify"]
    desk.close()
    event.refresh_from_db()
    assert event.status == Event.Status.CLOSED


def test_the_workbench_and_its_map_for_the_centre(browser, live_server, demo):
    for status in ("reported", "dispatched", "signed", "resolved", "closed"):
        event_in(status)
    context, page = open_page(browser)
    log_in(page, live_server, "center")
    page.goto(f"{live_server.url}/events/?tab=open")
    assert page.locator("#event-table tbody tr").count() == Event.objects.open().count()
    screenshot(page, "events-workbench.png")
    page.click("#view-map")
    page.wait_for_selector("#events-map[data-point-count]", state="attached")
    shown = int(page.get_attribute("#events-map", "data-point-count"))
    assert shown == Event.objects.open().exclude(lng=None).count()
    assert page.locator("path.event-marker").count() == shown
    screenshot(page, "events-workbench-map.png")
    context.close()


def test_the_routing_test_answers_inline(browser, live_server, demo):
    context, page = open_page(browser)
    log_in(page, live_server, "center")
    page.goto(f"{live_server.url}/events/routing/")
    page.select_option("#route-test-form select[name=category]", "0201")
    page.select_option("#route-test-form select[name=village]", "513999001001")
    page.click("#route-test-form button[type=submit]")
    page.wait_for_selector("#route-answer")
    assert page.get_attribute("#route-answer", "data-department") == "513999-transport"
    assert page.url.endswith("/events/routing/")  # answered in place, by htmx
    context.close()


def test_a_phone_fix_outside_the_county_is_questioned_before_sending_and_never_lost(
    browser, live_server, demo
):
    phone, page = open_page(
        browser,
        PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": 90.0, "latitude": 20.0},  # a thousand kilometres off
        permissions=["geolocation"],
    )
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/events/report/")
    assert page.is_hidden("#place-warning")
    page.fill("#id_description", "村口路灯不亮（定位有误）")
    page.click("#use-location")
    page.wait_for_selector("#use-location[data-done='1']")
    assert page.is_visible("#place-warning")
    assert "定位点不在本县范围内" in page.inner_text("#place-warning")
    # Sending asks first: nothing is sent, and the button still works.
    page.click("#report-submit")
    page.wait_for_selector("#place-warning.border-danger")
    assert page.url.endswith("/events/report/") and page.is_enabled("#report-submit")
    assert not Event.objects.filter(description="村口路灯不亮（定位有误）").exists()
    # Choosing the village answers the question; the far point goes along as data.
    page.select_option("#id_village", "513999001001")
    assert page.is_visible("#place-warning-village") and page.is_hidden("#place-confirm-row")
    with page.expect_navigation():
        page.click("#report-submit")
    event = Event.objects.get(description="村口路灯不亮（定位有误）")
    assert event.region.code == "513999001001" and (event.lng, event.lat) == (90.0, 20.0)
    assert "不在本县范围内" in page.inner_text("main .alert-warning")

    # Or the worker confirms the point: the report waits, unlocated, for the county centre.
    page.goto(f"{live_server.url}/events/report/")
    page.fill("#id_description", "山上滑坡（定位有误）")
    page.click("#use-location")
    page.wait_for_selector("#place-warning:not(.d-none)")
    page.check("#place-confirm")
    with page.expect_navigation():
        page.click("#report-submit")
    event = Event.objects.get(description="山上滑坡（定位有误）")
    assert event.located_by == Event.LocatedBy.NONE and event.region.code == "513999"
    assert "县综治中心" in page.inner_text("main .alert-warning")
    phone.close()


def test_the_workbench_map_does_not_zoom_out_to_a_point_outside_the_county(
    browser, live_server, demo
):
    from pingan.events.tests.conftest import GRID02, report

    report("grid01")
    report("grid02", where=GRID02)
    report("grid01", where=(90.0, 20.0))
    context, page = open_page(browser)
    log_in(page, live_server, "center")
    page.goto(f"{live_server.url}/events/?tab=all&view=map")
    page.wait_for_selector("#events-map[data-point-count]", state="attached")
    # The markers drawn inside the map's frame (a marker far off the view is not drawn).
    in_view = page.locator("path.event-marker").evaluate_all(
        """els => {
          const map = document.getElementById("events-map").getBoundingClientRect();
          return els.map(e => e.getBoundingClientRect())
            .filter(b => b.width > 0 && b.left >= map.left && b.right <= map.right
                         && b.top >= map.top && b.bottom <= map.bottom)
            .map(b => [b.x + b.width / 2, b.y + b.height / 2]);
        }"""
    )
    (x1, y1), (x2, y2) = in_view  # the two in the county, not the far one
    # Two townships of one county lie far apart on a map of the county; on a map that fits a
    # point a thousand kilometres away they would be a few pixels apart.
    assert ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 > 100
    assert page.locator("path.event-marker-outside").count() == 1
    assert page.locator("#events-map-outside a").count() == 1
    context.close()
