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
