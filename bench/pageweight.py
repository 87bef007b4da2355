"""Bytes a grid worker's phone transfers for a page: on a first load and on a repeat load.

Run from the repository root: ``.venv/bin/python bench/pageweight.py [--later-seconds N]``
(``--details`` lists every request on stderr).

Sets up what ``pingan demo`` does, in a directory of its own (``PINGAN_VAR_DIR``, default
``$TMPDIR/pingan-bench-pageweight``; SQLite, the demo county with a few hundred events):
migrate, collect the static files, serve with gunicorn (``pingan serve``) on a free port.
Then headless chromium (Playwright, Debian's ``/usr/bin/chromium``) with a phone's viewport signs
in as ``grid01`` through the login form and, for each page, empties its cache, opens the page
(first load) and opens it again in the same tab (repeat load: what the cache's headers allow,
as when the grid worker comes back to the page). ``--later-seconds`` then opens the three
pages once with an empty cache, waits that long and opens each once more (later load: a short
max-age has expired by then, and the browser asks again for what it holds). Bytes are
what Chrome's network stack counts as received (CDP ``Network.loadingFinished``
``encodedDataLength``: headers and the body as sent, compressed or not), over every request
until the network is idle (data a page fetches, such as the map's GeoJSON, included).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("DATABASE_URL", None)  # the embedded SQLite default, as the demo runs
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
os.environ.setdefault("PINGAN_SECRET_KEY", "bench-only-not-secret")
VAR_DIR = Path(tempfile.gettempdir()) / "pingan-bench-pageweight"
os.environ.setdefault("PINGAN_VAR_DIR", str(VAR_DIR))
os.environ.setdefault("PINGAN_LOG_LEVEL", "WARNING")
os.environ.setdefault("PINGAN_DEMO_EVENTS", "300")
os.environ.setdefault("PINGAN_DEMO_RESIDENTS", "0")
sys.path.insert(0, str(ROOT))

from bench.common import emit  # noqa: E402 -- after the path is set

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage"]  # fmt: skip
USERNAME, PASSWORD = "grid01", "pingan-demo"  # the published demo account
PAGES = {"report": "events:report", "home": "accounts:home", "map": "geo:map"}
TARGETS = {"report_first_load": 150_000, "report_repeat_load": 15_000}


def prepare() -> None:
    """Migrate, load the demo county if the database is empty, collect the static files."""
    import django

    django.setup()
    from django.core.management import call_command

    from pingan.geo.models import Region

    call_command("migrate", interactive=False, verbosity=0)
    if not Region.objects.exists():
        call_command("load_demo", verbosity=0)
    try:
        from pingan.core.static_files import collected_files_current
    except ImportError:  # a commit from before that check: collect every time
        collected_files_current = bool
    if not collected_files_current():  # as `pingan demo` does
        call_command("collectstatic", interactive=False, verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 -- a fixed argument list, no shell
        [sys.executable, "-m", "pingan.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310 -- our own server
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("the server did not answer /healthz within 60 s")


class Meter:
    """Count the bytes Chrome receives, per request, through the DevTools protocol."""

    def __init__(self, cdp) -> None:
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event) -> None:
        self.sizes[event["requestId"]] = int(event["encodedDataLength"])

    def load(self, page, url: str) -> list[tuple[str, int]]:
        """Open ``url`` and return (url, bytes) of every request it made."""
        page.goto("about:blank")  # so that the next one is a navigation, never a reload
        self.urls.clear()
        self.sizes.clear()
        page.goto(url, wait_until="networkidle")
        return [(self.urls.get(key, "?"), size) for key, size in self.sizes.items()]


def report(name: str, transfers: list[tuple[str, int]], details: bool) -> None:
    total = sum(size for _url, size in transfers)
    static = sum(size for url, size in transfers if "/static/" in url)
    target = TARGETS.get(name)
    extra = {"requests": len(transfers), "static_bytes": static}
    if target:
        extra["target"] = target
        extra["ok"] = total < target
    emit(name, total, "B", **extra)
    if details:
        for url, size in sorted(transfers, key=lambda item: -item[1]):
            print(f"    {size:>9,}  {url}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--later-seconds",
        type=float,
        default=0,
        help="then wait this long and load each page once more (e.g. 65: past a max-age of 60 s)",
    )
    parser.add_argument("--details", action="store_true", help="list every request on stderr")
    args = parser.parse_args()

    prepare()
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            )
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            meter = Meter(cdp)
            for name, view in PAGES.items():
                url = base + reverse(view)
                cdp.send("Network.clearBrowserCache")
                report(f"{name}_first_load", meter.load(page, url), args.details)
                report(f"{name}_repeat_load", meter.load(page, url), args.details)
            if args.later_seconds:
                # Each first load above emptied the cache: fill it with all three pages again.
                cdp.send("Network.clearBrowserCache")
                for view in PAGES.values():
                    meter.load(page, base + reverse(view))
                time.sleep(args.later_seconds)
                for name, view in PAGES.items():
                    transfers = meter.load(page, base + reverse(view))
                    report(f"{name}_later_load", transfers, args.details)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
