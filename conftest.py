"""Test set-up shared by every app: fast hashing, the demo county, a fresh locate() index."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = True
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

    cache.clear()
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
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(username):
        token, _ = Token.objects.get_or_create(user=user(username))
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return make
