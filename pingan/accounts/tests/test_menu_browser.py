"""The main menu on a real phone-sized and desk-sized screen: what a person can actually see."""

from __future__ import annotations

from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in

pytestmark = BROWSER_TEST_MARKS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def visible_entries(browser, live_server, username: str, viewport: dict) -> list[str]:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, username)
        toggler = page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            page.wait_for_selector("#nav-main.show")
        links = page.locator("#nav-main .navbar-nav.me-auto .nav-link")
        return [
            links.nth(i).inner_text().strip()
            for i in range(links.count())
            if links.nth(i).is_visible()
        ]
    finally:
        context.close()


def test_a_grid_workers_phone_menu_has_the_verification_tasks_and_no_desk_pages(
    browser, live_server, demo
):
    phone = visible_entries(browser, live_server, "grid01", PHONE)
    desk = visible_entries(browser, live_server, "grid01", DESKTOP)

    assert "核查任务" in phone and "行政区划" not in phone and "事件工作台" not in phone
    assert "核查任务" in desk and "事件工作台" in desk


def test_a_department_handler_is_offered_no_map_grids_or_regions(browser, live_server, demo):
    for viewport in (PHONE, DESKTOP):
        entries = visible_entries(browser, live_server, "dept-transport", viewport)
        assert "部门待办" in entries
        assert not {"地图", "网格", "行政区划"} & set(entries), entries
