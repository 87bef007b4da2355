"""Security headers (Content-Security-Policy, Permissions-Policy) and templates and scripts
that keep to the policy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from pingan.settings import csp_source_of

pytestmark = pytest.mark.django_db

PACKAGE = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    """Return the response's Content-Security-Policy as {directive: [sources]}."""
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


# --- Content-Security-Policy ---------------------------------------------------------------------


def test_pages_send_a_strict_content_security_policy(client_as):
    response = client_as("center").get("/")

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/no-such-page/", "/api/v1/grids/"])
def test_every_kind_of_response_carries_the_policy(client, path):
    response = client.get(path)

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "geolocation=(self)" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", ""),
        ("/tiles/{z}/{x}/{y}.png", ""),
        ("https://tiles.example.gov.cn/{z}/{x}/{y}.png", "https://tiles.example.gov.cn"),
        ("http://10.0.0.8:8080/osm/{z}/{x}/{y}.png", "http://10.0.0.8:8080"),
        ("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}", "https://*.tianditu.gov.cn"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ],
)
def test_a_tile_servers_origin_is_the_image_source_it_needs(url, source):
    assert csp_source_of(url) == source


@pytest.mark.parametrize(
    "url", ["ftp://tiles.example/{z}.png", "https://tiles.{s}.example/{z}.png", "javascript:x"]
)
def test_a_tile_url_that_names_no_usable_origin_is_refused(url):
    with pytest.raises(ImproperlyConfigured):
        csp_source_of(url)


def test_a_configured_tile_server_is_allowed_in_img_src_and_nowhere_else():
    code = (
        "from pingan import settings as s; d = s.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
        "print(' '.join(d['img-src'])); print(' '.join(d['default-src'] + d['connect-src']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **_environ(),
            "PINGAN_MAP_TILE_URL": "https://t{s}.tianditu.gov.cn/img_w/wmts?tk=KEY",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    img_src, others = result.stdout.splitlines()

    assert img_src == "'self' data: https://*.tianditu.gov.cn"
    assert "tianditu" not in others


def _environ() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "PINGAN_MAP_TILE_URL"}


# Inline code the policy refuses: <script> with a body, on…= handlers, javascript: links,
# style="…" attributes, <style> elements, and htmx's hx-on (evaluated with Function()).
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")"),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "hx-on": re.compile(r"\shx-on"),
}


def _templates() -> list[Path]:
    return sorted(PACKAGE.glob("**/templates/**/*.html"))


def test_no_template_has_code_or_styles_inline():
    found = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        # Comments may describe what is refused.
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", text, flags=re.S)
        for kind, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(PACKAGE)}:{line}: {kind}")
    assert _templates(), "no templates found"
    assert found == []


def test_no_script_of_ours_writes_inline_styles_into_the_page():
    found = []
    for path in sorted((PACKAGE / "static" / "pingan").glob("*.js")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"style=|setAttribute\(\s*[\"']style|<style|\beval\(|new Function", line):
                found.append(f"{path.name}:{number}")
    assert found == []


# --- Permissions-Policy --------------------------------------------------------------------------


def test_permissions_policy_allows_gps_to_this_site_only_and_turns_the_rest_off(client_as):
    response = client_as("grid01").get("/events/report/")

    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    assert policy.pop("geolocation") == "(self)"
    for feature in ("camera", "microphone", "payment", "usb", "display-capture"):
        assert policy[feature] == "()"
    assert set(policy.values()) == {"()"}
