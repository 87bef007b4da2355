"""The OpenAPI schema and the browsable docs: behind a sign-in outside the demo
(PINGAN_PUBLIC_API_DOCS), and a docs page the Content-Security-Policy lets run."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_needs_a_sign_in_outside_the_demo(client, settings):
    settings.PINGAN_PUBLIC_API_DOCS = False

    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 401
    assert "paths" not in response.content.decode()


def test_the_schema_is_served_to_a_token_user(api_as, settings):
    settings.PINGAN_PUBLIC_API_DOCS = False

    response = api_as("grid01").get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/events/" in response.json()["paths"]


def test_the_api_docs_send_an_anonymous_visitor_to_sign_in(client, settings):
    settings.PINGAN_PUBLIC_API_DOCS = False

    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


def test_the_demo_setting_opens_the_schema_and_docs_to_anyone(client, settings):
    settings.PINGAN_PUBLIC_API_DOCS = True

    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_the_api_docs_are_closed_by_default():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pingan import settings; print(settings.PINGAN_PUBLIC_API_DOCS)",
        ],
        env={k: v for k, v in os.environ.items() if k != "PINGAN_PUBLIC_API_DOCS"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_the_api_docs_page_has_no_inline_script_or_style(client_as):
    response = client_as("center").get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<style[\s>]", html)
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html)
    assert script, "the start-up script is a file of its own"
    started = client_as("center").get(script.group(1).replace("&amp;", "&"))
    assert started.status_code == 200
    assert started["Content-Type"].startswith("application/javascript")
