"""Test set-up shared by every app: fast hashing, the demo county, a fresh locate() index."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The demo county loads without its year of demo events: tests make the events they need
    # (pingan/events/tests/test_demo.py loads demo events itself).
    settings.PINGAN_DEMO_EVENTS = 0
    # Nor its 25,000 synthetic residents (pingan/people/tests load what they need).
    settings.PINGAN_DEMO_RESIDENTS = 0
    settings.AXES_ENABLED = True
    # Static files straight from the source folders under their own names: no test depends on
    # a `collectstatic` having run, or on it being newer than the last edit of a CSS file.
    # core/tests/test_static_files.py collects them to test what production serves.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    # Tasks run synchronously in tests (in-memory storage); tests that need the real queue
    # (retries, the consumer, Redis) build their own Huey instance.
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo county once per session; tests run on top of it in transactions."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_locate_index():
    from pingan.geo import locate

    locate._index = None
    yield
    locate._index = None


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from pingan.core.cache import clear_all

    cache.clear()
    # Table caches may hold rows a previous test created and rolled back.
    clear_all()
    yield


@pytest.fixture
def user(db):
    """Return a function that fetches a demo account by username."""
    from pingan.accounts.models import User

    return lambda username: User.objects.get(username=username)


@pytest.fixture
def client_as(client, user):
    """Return a function that logs the test client in as a demo account."""

    def login(username):
        client.force_login(user(username))
        return client

    return login


@pytest.fixture
def api_as(user):
    """Return a function giving a DRF APIClient authenticated by token as a demo account."""
    from django.utils import timezone
    from rest_framework.test import APIClient

    from pingan.accounts.tokens import issue_token

    def make(username):
        token, key = issue_token(user(username))
        # As if just used: the once-a-minute last-use write must not show in query counts.
        type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return make


# --- browser tests (see pingan/core/browser_testing.py) ---------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the whole session: Playwright's sync API allows one loop."""
    from pingan.core.browser_testing import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    """Make sure the demo county is loaded (a previous live-server test flushed it)."""
    from django.core.management import call_command

    from pingan.geo.models import Grid

    if Grid.objects.count() == 0:
        call_command("load_demo", verbosity=0)


@pytest.fixture
def page(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Shown by pytest when a test fails: what the page's JavaScript complained about.
    page.on("pageerror", lambda error: print("page error:", error))
    page.on("console", lambda message: print("console:", message.type, message.text))
    yield page
    context.close()


@pytest.fixture(scope="module")
def demo_restored_after_module(django_db_blocker):
    """Leave the demo county in the database for the tests that run after a browser module.

    Live-server tests run outside a rolled-back transaction and flush the database afterwards.
    """
    yield
    from django.core.management import call_command
    from django.db import connection

    with django_db_blocker.unblock():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            connection.creation.deserialize_db_from_string(contents)
        call_command("load_demo", verbosity=0)
        # Playwright's event loop gives this code its own connection: close it, or PostgreSQL
        # refuses to drop the test database at the end.
        connection.close()
