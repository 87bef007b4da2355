"""Copy the front-end libraries from node_modules into pingan/static/vendor/ and compile messages.

Run by `make static` after `npm ci`. Nothing this script writes is committed (see .gitignore).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "pingan" / "static" / "vendor"

FILES = {
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap/bootstrap.min.css.map",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap/bootstrap.bundle.min.js.map",
    "bootstrap-icons/font/bootstrap-icons.min.css": "bootstrap-icons/bootstrap-icons.min.css",
    "bootstrap-icons/font/fonts": "bootstrap-icons/fonts",
    "leaflet/dist/leaflet.js": "leaflet/leaflet.js",
    "leaflet/dist/leaflet.js.map": "leaflet/leaflet.js.map",
    "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images": "leaflet/images",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
}


def copy_vendor() -> None:
    if not NODE.is_dir():
        sys.exit("node_modules is missing: run `npm ci` first (make static does).")
    for src, dst in FILES.items():
        source, target = NODE / src, VENDOR / dst
        if not source.exists():
            sys.exit(f"{source} is missing: is package-lock.json in step with package.json?")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)


def compile_messages() -> None:
    """Compile every .po under pingan/ to .mo with polib (no system gettext needed)."""
    import polib

    for po_path in (ROOT / "pingan").rglob("locale/*/LC_MESSAGES/*.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


if __name__ == "__main__":
    copy_vendor()
    compile_messages()
    print(f"static: vendor files in {VENDOR.relative_to(ROOT)}, messages compiled")
