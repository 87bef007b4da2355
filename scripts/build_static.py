"""Copy the front-end libraries from node_modules into pingan/static/vendor/ and compile messages.

Run by `make static` after `npm ci` (and before `collectstatic`, which hashes and compresses
what it writes). Nothing this script writes is committed (see .gitignore).

Bootstrap Icons is cut down to the icons the project uses: the full font is 130 kB of woff2,
more than the rest of a phone page together; the icons named ``bi-…`` anywhere in the
templates, scripts and Python code of pingan/ come to a few kB (font and CSS).
"""

from __future__ import annotations

import re
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


ICONS_CSS = NODE / "bootstrap-icons/font/bootstrap-icons.min.css"
ICONS_FONT = NODE / "bootstrap-icons/font/fonts/bootstrap-icons.woff2"
ICONS_OUT = VENDOR / "bootstrap-icons"
# One icon's rule in bootstrap-icons.min.css: .bi-alarm-fill::before{content:"\f101"}
ICON_RULE = re.compile(r'\.bi-([a-z0-9-]+)::before\{content:"\\([0-9a-f]+)"\}')
ICON_NAME = re.compile(r"(?<![\w-])bi-([a-z0-9]+(?:-[a-z0-9]+)*)")


def used_icons() -> set[str]:
    """Return the names (without ``bi-``) of the icons named in pingan's sources."""
    names: set[str] = set()
    for pattern in ("*.html", "*.js", "*.py"):
        for path in (ROOT / "pingan").rglob(pattern):
            if VENDOR in path.parents or "tests" in path.parts:
                continue  # a test naming an icon (to check it is left out) must not keep it
            names.update(ICON_NAME.findall(path.read_text(encoding="utf-8")))
    return names


def build_icons() -> int:
    """Write the icon font and CSS with the used icons only; return how many."""
    import logging

    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # notes on the font's tables
    css = ICONS_CSS.read_text(encoding="utf-8")
    codepoints = dict(ICON_RULE.findall(css))
    used = sorted(used_icons() & codepoints.keys())
    if ICONS_OUT.exists():
        shutil.rmtree(ICONS_OUT)  # the full font of an earlier build must not linger
    (ICONS_OUT / "fonts").mkdir(parents=True)
    options = subset.Options()
    options.flavor = "woff2"  # every browser a phone runs today reads woff2; no woff fallback
    options.layout_features = []
    options.name_IDs = ["*"]  # keeps the licence and copyright names
    font = subset.load_font(str(ICONS_FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[int(codepoints[name], 16) for name in used])
    subsetter.subset(font)
    subset.save_font(font, str(ICONS_OUT / "fonts/bootstrap-icons.woff2"), options)
    head = css[: ICON_RULE.search(css).start()]
    head = re.sub(r"src:url\([^)]*\.woff2[^)]*\) format\(\"woff2\"\)[^}]*", "", head)
    face = 'src:url("fonts/bootstrap-icons.woff2") format("woff2")'
    head = head.replace("font-family:bootstrap-icons;", f"font-family:bootstrap-icons;{face}", 1)
    rules = "".join(f'.bi-{name}::before{{content:"\\{codepoints[name]}"}}' for name in used)
    (ICONS_OUT / "bootstrap-icons.min.css").write_text(head + rules + "\n", encoding="utf-8")
    return len(used)


def compile_messages() -> None:
    """Compile every .po under pingan/ to .mo with polib (no system gettext needed)."""
    import polib

    for po_path in (ROOT / "pingan").rglob("locale/*/LC_MESSAGES/*.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


if __name__ == "__main__":
    copy_vendor()
    icons = build_icons()
    compile_messages()
    print(f"static: vendor files in {VENDOR.relative_to(ROOT)} ({icons} icons), messages compiled")
