"""The site icon at /favicon.ico, where browsers look for it."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_served_as_an_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO file signature
    assert "max-age=" in response["Cache-Control"]


def test_favicon_ico_is_served_before_two_factor_enrolment(client_as, settings):
    settings.PINGAN_REQUIRE_2FA = True

    response = client_as("center").get("/favicon.ico")

    assert response.status_code == 200


def test_pages_name_the_site_icon(client):
    html = client.get("/accounts/login/").content.decode()

    assert re.search(r'<link rel="icon" href="/static/pingan/favicon[^"]*\.svg"', html)
