"""Static files as production serves them: hashed names, a year's caching, gzip and brotli.

The rest of the suite uses the plain storage (conftest.py); these tests collect a small source
folder with the production storage into a temporary STATIC_ROOT and ask WhiteNoise for it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from pingan.core.static_files import collected_files_current

pytestmark = pytest.mark.django_db

A_YEAR = "max-age=31536000, public, immutable"
PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_the_settings_serve_static_files_hashed_and_compressed():
    # conftest.py swaps the storage for the suite; the module itself names the production one.
    from pingan import settings as module

    assert module.STORAGES["staticfiles"]["BACKEND"] == PRODUCTION_STORAGE
    assert "django.middleware.gzip.GZipMiddleware" in module.MIDDLEWARE


@pytest.fixture
def collected(settings, tmp_path):
    """Collect a stylesheet naming a font as production does; return the storage."""
    source = tmp_path / "source"
    (source / "site" / "fonts").mkdir(parents=True)
    rules = "".join(f".rule-{n} {{ margin: {n}px; padding: {n}px; }}\n" for n in range(100))
    (source / "site" / "site.css").write_text(
        '@font-face { font-family: x; src: url("fonts/x.woff2") format("woff2"); }\n' + rules
    )
    (source / "site" / "fonts" / "x.woff2").write_bytes(os.urandom(2000))
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.staticfiles.storage import staticfiles_storage

    return staticfiles_storage


def test_a_hashed_static_file_is_cached_a_year_and_sent_compressed_as_asked(collected):
    url = collected.url("site/site.css")
    assert re.fullmatch(r"/static/site/site\.[0-9a-f]{12}\.css", url)
    client = Client()  # a new client: WhiteNoise reads the collected files when it starts

    brotli = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    gzip = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    plain = client.get(url)

    assert brotli.status_code == gzip.status_code == plain.status_code == 200
    assert brotli["Content-Encoding"] == "br"
    assert gzip["Content-Encoding"] == "gzip"
    assert not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]
    for response in (brotli, gzip, plain):
        assert response["Cache-Control"] == A_YEAR
    size = int(plain["Content-Length"])
    assert int(brotli["Content-Length"]) < int(gzip["Content-Length"]) < size / 4


def test_a_stylesheet_names_its_font_by_the_hashed_name(collected):
    css = b"".join(Client().get(collected.url("site/site.css")).streaming_content).decode()
    font = re.search(r'url\("([^"]+)"\)', css).group(1)

    assert re.fullmatch(r"fonts/x\.[0-9a-f]{12}\.woff2", font)
    response = Client().get(f"/static/site/{font}")
    assert response.status_code == 200
    assert response["Cache-Control"] == A_YEAR


def test_an_unhashed_static_name_is_only_cached_briefly(collected):
    response = Client().get("/static/site/site.css")

    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]


def test_the_demo_collects_again_only_when_a_source_file_changed(collected, settings):
    assert collected_files_current()

    later = os.path.getmtime(collected.path(collected.manifest_name)) + 10
    source = settings.STATICFILES_DIRS[0] / "site" / "site.css"
    os.utime(source, (later, later))

    assert not collected_files_current()


def test_serve_refuses_to_start_without_collected_static_files(tmp_path):
    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PINGAN_", "DJANGO_"))}
    env |= {
        "PINGAN_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pingan.cli", "serve", "--port", "8999"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "collectstatic" in result.stderr
    assert "staticfiles.json" in result.stderr


def test_pages_are_sent_gzipped_when_the_browser_asks(client_as):
    response = client_as("grid01").get(reverse("events:report"), HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("view", ["events:report", "accounts:home", "events:mine"])
def test_a_grid_workers_phone_pages_load_no_map_or_chart_library(client_as, view):
    html = client_as("grid01").get(reverse(view)).content.decode()

    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html)
    assert scripts, "the page names its static files"
    assert not [url for url in scripts if re.search(r"leaflet|echarts|map\.js", url)]


def test_the_icon_font_holds_only_the_icons_the_project_uses():
    # Built by scripts/build_static.py (make static); the full font is 130 kB.
    css = django_settings.BASE_DIR / "pingan/static/vendor/bootstrap-icons/bootstrap-icons.min.css"
    if not css.exists():
        pytest.skip("the static files are not built (make static)")
    font = css.parent / "fonts" / "bootstrap-icons.woff2"

    assert font.stat().st_size < 20_000
    assert "bi-shield-check::before" in css.read_text()  # the brand icon of every page
    assert "bi-airplane::before" not in css.read_text()
    assert not (css.parent / "fonts" / "bootstrap-icons.woff").exists()
