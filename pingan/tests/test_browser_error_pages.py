"""Error pages and security headers in a real browser (headless chromium, Chinese locale).

A signed-in user meets the 404 and 403 pages in Chinese, inside the layout, and finds the way
back; and no page the users open breaks a rule of the Content-Security-Policy (chromium reports
every refused script, style or image on the console, and every feature name of the
Permissions-Policy it does not know).
"""

from __future__ import annotations

from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in

pytestmark = BROWSER_TEST_MARKS

BASIC_DATA_REASON = "基础数据由综治中心和网格工作人员维护。"


def test_a_signed_in_grid_worker_meets_the_404_page_in_chinese_and_goes_back(page, live_server):
    log_in(page, live_server, "grid01")
    home = f"{live_server.url}/"

    response = page.goto(f"{live_server.url}/events/987654321/", referer=home)

    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.title().startswith("页面不存在")
    assert page.locator("#error-heading").inner_text().strip() == "页面不存在"
    assert page.locator("#notify-bell").is_visible()  # the signed-in layout, menus and all
    page.locator("#error-back").click()
    page.wait_for_url(home)

    page.goto(f"{live_server.url}/no-such-page/")
    assert page.locator("#error-back").count() == 0  # typed by hand: nowhere to go back to
    page.locator("#error-home").click()
    page.wait_for_url(home)


def test_the_leader_is_told_on_a_chinese_403_why_basic_data_is_closed(page, live_server):
    log_in(page, live_server, "leader")

    response = page.goto(f"{live_server.url}/people/", referer=f"{live_server.url}/")

    assert response.status == 403
    assert page.locator("#error-heading").inner_text().strip() == "您无权打开此页面"
    assert page.locator("#error-reason").inner_text().strip() == BASIC_DATA_REASON
    page.locator("#error-back").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_form_refused_for_a_lost_cookie_is_explained_and_the_retry_signs_in(
    browser, live_server, demo
):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    context.clear_cookies()  # as a browser that blocks cookies, or a page left open for days

    page.fill("input[name=username]", "grid01")
    page.fill("input[name=password]", "pingan-demo")
    page.click("#login-form button[type=submit]")

    assert page.locator("#error-heading").inner_text().strip() == "表单未能提交"
    page.locator("#csrf-retry").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "grid01")
    page.fill("input[name=password]", "pingan-demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#notify-bell").is_visible()
    context.close()


def test_the_language_menu_still_switches_without_inline_script(page, live_server):
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/no-such-page/")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")

    assert page.locator("#error-heading").inner_text().strip() == "Page not found"
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("#error-heading").inner_text().strip() == "页面不存在"


def test_the_report_page_may_ask_for_gps_but_not_for_the_camera_or_microphone(page, live_server):
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/events/report/")

    allowed = page.evaluate(
        "['geolocation', 'camera', 'microphone', 'payment'].map("
        "f => document.featurePolicy ? document.featurePolicy.allowsFeature(f) : null)"
    )

    assert allowed == [True, False, False, False]


def test_no_page_breaks_the_content_security_policy(browser, live_server, demo):
    from pingan.core.models import Job
    from pingan.events.tests.conftest import report
    from pingan.geo.models import Grid, Region

    event = report("grid01")
    grid = Grid.objects.get(code="513999001001001")
    region = Region.objects.get(code="513999001")
    job = Job.objects.create(
        kind="export",
        title="演示导出",
        func_path="pingan.core.jobs.noop",
        status=Job.Status.RUNNING,
        percent=40,
        created_by=_user("grid01"),
    )
    pages = {
        "center": [
            "/",
            "/map/",
            f"/grids/{grid.pk}/",
            f"/regions/{region.pk}/",
            "/grids/",
            "/events/",
            "/events/?mode=map",
            f"/events/{event.pk}/",
            "/events/hotline/",
            "/events/overdue/",
            "/events/routing/",
            "/people/",
            "/people/groups/new/",
            "/notifications/",
            "/reminders/",
            "/accounts/2fa/",
            "/api/docs/",
            "/no-such-page/",
        ],
        "grid01": ["/", "/events/report/", "/events/mine/", f"/jobs/{job.pk}/"],
        "admin": ["/admin/", "/admin/events/event/"],
    }
    refused = []
    for username, paths in pages.items():
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda message, where=page: (
                ("Content Security Policy" in message.text or "Permissions-Policy" in message.text)
                and refused.append(f"{where.url}: {message.text}")
            ),
        )
        log_in(page, live_server, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
        if username == "grid01":
            page.goto(f"{live_server.url}/jobs/{job.pk}/")
            width = page.locator("#job-progress-bar .progress-bar").evaluate("el => el.style.width")
            assert width == "40%"
            # The watch works: an inline style put into the page is reported.
            seen = len(refused)
            page.evaluate(
                "document.body.insertAdjacentHTML('beforeend', '<b style=\"color:red\">x</b>')"
            )
            page.wait_for_timeout(200)
            assert len(refused) == seen + 1
            refused.pop()
        context.close()

    assert refused == []


def _user(username: str):
    from pingan.accounts.models import User

    return User.objects.get(username=username)
