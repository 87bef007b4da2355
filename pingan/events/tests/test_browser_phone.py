"""One-handed phone use at 390×844: every visible button of the phone pages is a thumb's target
(at least 44 px high), and on the verification page the department's resolution photo and the
verify buttons are both on the first screen."""

from __future__ import annotations

from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in
from pingan.events.tests.conftest import event_in
from pingan.events.tests.test_browser import screenshot

pytestmark = BROWSER_TEST_MARKS

PHONE = {"width": 390, "height": 844}
MIN_TARGET = 44


def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def short_buttons(page) -> list[str]:
    """Return the visible buttons of the page's main part lower than 44 px, described."""
    return page.evaluate(
        """min => [...document.querySelectorAll(
                'main .btn:not(.btn-link), main button[type=submit], main summary.btn')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.height < min)
            .map(([el, box]) => `${el.outerHTML.slice(0, 80)} ${box.height}px`)""",
        MIN_TARGET,
    )


def test_the_phone_report_page_has_thumb_sized_buttons(browser, live_server, demo):
    context, page = phone_page(browser)
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/events/report/")
    assert page.locator("#report-submit").bounding_box()["height"] >= MIN_TARGET
    assert short_buttons(page) == []
    context.close()


def test_the_event_page_has_thumb_sized_buttons(browser, live_server, demo):
    event = event_in("signed")
    context, page = phone_page(browser)
    log_in(page, live_server, "dept-transport")
    page.goto(f"{live_server.url}{event.get_absolute_url()}")
    page.wait_for_selector("#action-panel")
    for summary in page.locator("#action-panel summary").all():
        assert summary.bounding_box()["height"] >= MIN_TARGET
    assert short_buttons(page) == []
    context.close()


def test_the_verification_page_shows_the_resolution_photo_beside_the_verify_buttons(
    browser, live_server, demo
):
    event = event_in("resolved")
    context, page = phone_page(browser)
    log_in(page, live_server, "grid01")
    page.goto(f"{live_server.url}/events/verify/")
    assert short_buttons(page) == []
    page.locator(f"#event-cards [data-event-id='{event.pk}']").click()
    page.wait_for_selector("#resolution-evidence img")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#resolution-evidence img')]"
        ".every(img => img.complete && img.naturalHeight > 0)"
    )
    assert page.evaluate("window.scrollY") == 0
    targets = {
        "resolution photo": "#resolution-evidence img",
        "verify button": "#action-form-verify button[type=submit]",
        "rework button": "#action-rework > summary",
    }
    for name, selector in targets.items():
        box = page.locator(selector).first.bounding_box()
        assert box is not None, name
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (name, box)
    for selector in ("#action-form-verify button[type=submit]", "#action-rework > summary"):
        assert page.locator(selector).bounding_box()["height"] >= MIN_TARGET
    assert short_buttons(page) == []
    screenshot(page, "events-verify-phone.png")
    context.close()
