"""Shared pieces of the browser tests (headless Debian chromium driven by Playwright).

The fixtures (``browser``, ``page``, ``demo_restored_after_module``) live in the root
conftest.py; this module holds the marks and helpers the test modules import.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage"]  # fmt: skip
PASSWORD = "pingan-demo"  # noqa: S105 - the published demo password

# For a browser-test module: `pytestmark = BROWSER_TEST_MARKS`.
BROWSER_TEST_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
    # serialized_rollback brings back the rows the migrations made after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("demo_restored_after_module"),
]


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form as a person would."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
