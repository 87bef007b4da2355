"""The ``pingan`` command: run the demo, serve, import data, or pass through to Django's manage.

``pingan demo`` is what ``make demo`` runs: migrate, collect static files, load the demo county
if the database has no regions yet, print the demo accounts, then serve with a background worker
(``pingan worker``) running beside the web server, stopped with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SETTINGS_MODULE = "pingan.settings"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_WORKERS = 2


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django
    from django.apps import apps

    # Called in-process (tests, another command) Django is already set up; setting it up again
    # would reconfigure logging under the caller's feet.
    if not apps.ready:
        django.setup()


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        sys.exit(f"pingan: {name}={value!r} is not a whole number")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(
        prog="pingan",
        description="Pingan 平安: grid-based community governance (网格化基层治理).",
        epilog="Run `pingan COMMAND --help` for the options of a command.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="Set up and serve the demo county 示范县 (migrate, static files, demo data, serve).",
        description="Migrate, collect static files, load the demo county if the database is "
        "empty, print the demo accounts and serve on http://127.0.0.1:PORT.",
    )
    _add_serve_options(demo)
    _add_events_option(demo)

    serve = commands.add_parser(
        "serve",
        help="Serve the web application (gunicorn) without changing the database.",
        description="Serve with gunicorn (or Django's runserver where gunicorn cannot run). "
        "Defaults come from PINGAN_HOST, PINGAN_PORT and PINGAN_WORKERS.",
    )
    _add_serve_options(serve)

    commands.add_parser(
        "worker",
        help="Run the background worker (task queue consumer, periodic tasks included).",
        description="Run Huey's consumer (Django's run_huey); options such as -w/--workers "
        "are passed through: see `pingan worker --help`.",
        add_help=False,
    )
    load = commands.add_parser(
        "load-demo",
        help="Migrate the database and load (or refresh) the demo county 示范县.",
    )
    _add_events_option(load)
    regions = commands.add_parser(
        "import-regions",
        help="Import regions 行政区划 from CSV/.xlsx (code, name, level, parent_code).",
    )
    regions.add_argument("file", help="CSV (UTF-8) or .xlsx file")
    regions.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
    grids = commands.add_parser(
        "import-grids",
        help="Import grids 网格 from a GeoJSON FeatureCollection.",
    )
    grids.add_argument("file", help="GeoJSON FeatureCollection file")
    grids.add_argument("--dry-run", action="store_true", help="check every feature, save nothing")
    commands.add_parser(
        "manage",
        help="Run a Django management command (pingan manage migrate, createsuperuser, …).",
        add_help=False,
    )
    return parser


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=os.environ.get("PINGAN_HOST", DEFAULT_HOST),
        help="address to listen on (PINGAN_HOST, default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=_env_int("PINGAN_PORT", DEFAULT_PORT),
        help="port (PINGAN_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=_env_int("PINGAN_WORKERS", DEFAULT_WORKERS),
        help="gunicorn worker processes (PINGAN_WORKERS, default %(default)s)",
    )


def _add_events_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        metavar="N",
        help="demo events to add over the last twelve months if there are none yet "
        "(PINGAN_DEMO_EVENTS, default 3000; 0 adds none)",
    )


def _set_demo_events(count: int | None) -> None:
    """Make ``count`` the number of demo events the demo loader adds (None: the default)."""
    if count is None:
        return
    if count < 0:
        sys.exit("pingan: --events takes a number of events, 0 or more")
    from django.conf import settings

    settings.PINGAN_DEMO_EVENTS = count


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pingan`` command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after "manage" belongs to Django, including --help and options argparse
    # would otherwise try to read itself.
    if argv and argv[0] == "manage":
        return manage(argv[1:])
    if argv and argv[0] == "worker":
        return worker(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.workers)
    if args.command == "demo":
        return demo(args.host, args.port, args.workers, events=args.events)
    if args.command == "load-demo":
        return load_demo(events=args.events)
    if args.command == "import-regions":
        return run_import("import_regions", args.file, args.dry_run)
    if args.command == "import-grids":
        return run_import("import_grids", args.file, args.dry_run)
    return 2  # unreachable: argparse rejects unknown commands


def manage(args: Sequence[str]) -> int:
    """Pass ``args`` to Django's command line, exactly like ``manage.py``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pingan manage", *args])
    return 0


def worker(args: Sequence[str]) -> int:
    """Run the task-queue consumer (huey's run_huey) with ``args`` (e.g. ``-w 2``)."""
    return manage(["run_huey", *args])


def _call(name: str, *args: str, **options) -> None:
    from django.core.management import call_command

    call_command(name, *args, **options)


def load_demo(*, events: int | None = None) -> int:
    """Migrate, then load the demo county (with ``events`` demo events if it has none)."""
    _setup_django()
    _set_demo_events(events)
    from django.utils.translation import gettext as _

    # Django's migrate speaks English only (it turns translations off): keep it quiet and say
    # in one line what the demo says, so that the whole output is in one language.
    _call("migrate", interactive=False, verbosity=0)
    print(_("The database is up to date."), flush=True)
    _call("load_demo")
    return 0


def run_import(command: str, path: str, dry_run: bool = False) -> int:
    """Run an import command; return 1 if the file was refused or any row was rejected."""
    _setup_django()
    from django.core.management.base import CommandError

    try:
        _call(command, path, dry_run=dry_run)
    except CommandError as exc:
        print(f"pingan: {exc}", file=sys.stderr)
        return exc.returncode or 1
    return 0


def demo(host: str, port: int, workers: int, *, events: int | None = None) -> int:
    """Make the database ready for the demo, print the accounts, then serve."""
    # Offline demos have no WeCom/DingTalk: the built-in demo robot of this server stands in,
    # and links in messages point here. The web server and the worker inherit both.
    os.environ.setdefault("PINGAN_DEMO_ROBOT", "1")
    os.environ.setdefault("PINGAN_SITE_URL", f"http://{host}:{port}")
    # A demo shows its API docs to anyone; a real deployment asks for a sign-in first.
    os.environ.setdefault("PINGAN_PUBLIC_API_DOCS", "1")
    # Its output is the Chinese lines printed here; the processes' own INFO logs (a sweep's
    # figures every minute) would drown them. Warnings and errors still show.
    os.environ.setdefault("PINGAN_LOG_LEVEL", "WARNING")
    _setup_django()
    _set_demo_events(events)
    from django.conf import settings
    from django.utils.translation import gettext as _

    from pingan.core.demo import load_demo as load_demo_data
    from pingan.geo import demo_data
    from pingan.geo.models import Region
    from pingan.notify.demo_robot import ensure_demo_channel

    _call("migrate", interactive=False, verbosity=0)
    from pingan.core.static_files import collected_files_current

    if not collected_files_current():
        _call("collectstatic", interactive=False, verbosity=0)
    print(_("The database is up to date."))
    county = demo_data.COUNTY_NAME
    if Region.objects.exists():
        print(_("The demo county %(county)s is already loaded.") % {"county": county})
        # Leave the county as it is; a demo database from before an app gets that app's demo
        # data once, and every start gets a fresh reminder due within minutes.
        load_demo_data(sys.stdout, refresh=False)
    else:
        print(_("Loading the demo county %(county)s …") % {"county": county}, flush=True)
        _call("load_demo", verbosity=0)
    if settings.PINGAN_DEMO_ROBOT:
        ensure_demo_channel(settings.PINGAN_SITE_URL)
    accounts = [(account[0], account[2]) for account in demo_data.DEMO_ACCOUNTS]
    width = max(len(username) for username, _label in accounts) + 2
    role_width = max(_display_width(label) for _username, label in accounts) + 2
    print()
    print(_("Demo accounts:"))
    header = [_("username"), _("role"), _("password")]
    print(f"  {_pad(header[0], width)}{_pad(header[1], role_width)}{header[2]}")
    for username, label in accounts:
        print(f"  {username:<{width}}{_pad(label, role_width)}{demo_data.DEMO_PASSWORD}")
    print()
    return serve(host, port, workers, with_worker=True)


def _display_width(text: str) -> int:
    """Return the terminal width of ``text``: CJK characters take two columns."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _display_width(text), 1)


def serve(host: str, port: int, workers: int, *, with_worker: bool = False) -> int:
    """Serve with gunicorn (Linux) or Django's runserver (elsewhere).

    Alone, this process becomes gunicorn. ``with_worker`` (the demo) starts ``pingan worker``
    first and runs the server as a child instead, so that stopping the server (Ctrl+C, SIGTERM)
    stops the worker too.
    """
    wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 -- only compared, never bound here
    shown = "127.0.0.1" if wildcard else host
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    _setup_django()  # for the language of what this prints (gunicorn sets Django up on its own)
    from django.utils.translation import gettext as _

    from pingan.core.static_files import missing_manifest

    manifest = missing_manifest()
    if manifest:
        message = _(
            "Pingan: the static files have not been collected (%(path)s is missing): run "
            "`pingan manage collectstatic` first."
        )
        print(message % {"path": manifest}, file=sys.stderr)
        return 1
    url = f"http://{shown}:{port}/"
    print(_("Pingan: %(url)s  (Ctrl+C to stop)") % {"url": url}, flush=True)
    gunicorn = _gunicorn()
    if sys.platform.startswith("linux") and gunicorn:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
        argv = [gunicorn, "pingan.wsgi:application", "--bind", address, "--workers", str(workers)]
        argv += ["--access-logfile", "-"]
        if with_worker:
            # The demo's start-up speaks Chinese: gunicorn's own English INFO lines (booting,
            # listening) stay out of it; warnings, errors and the access log remain.
            argv += ["--log-level", "warning"]
    else:
        # gunicorn needs fork() and POSIX signals; elsewhere Django's own server does for a demo.
        argv = [sys.executable, "-m", "pingan.cli", "manage", "runserver", "--noreload"]
        argv += ["--insecure", address]
    sys.stdout.flush()
    sys.stderr.flush()
    if with_worker:
        return _run_beside_worker(argv)
    if argv[0] == gunicorn:
        os.execvp(gunicorn, argv)  # noqa: S606 -- a fixed argument list, no shell
    return manage(argv[argv.index("manage") + 1 :])


WORKER_STOP_SECONDS = 15


def _run_beside_worker(server_argv: list[str]) -> int:
    """Start ``pingan worker``, run ``server_argv`` until it exits, then stop the worker.

    SIGINT and SIGTERM received here are passed on to the server; a Ctrl+C in the terminal
    reaches both children anyway, as they share this process group.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.utils.translation import gettext as _

    print(_("Pingan: starting the background worker (pingan worker)"), flush=True)
    # --quiet: the consumer's English INFO lines (every task run, every minute's sweep) would
    # bury the demo's output; its warnings and errors still show.
    worker_argv = [sys.executable, "-m", "pingan.cli", "worker", "--quiet"]
    worker_process = subprocess.Popen(worker_argv)  # noqa: S603
    server = None
    previous: dict[int, object] = {}
    try:
        server = subprocess.Popen(server_argv)  # noqa: S603 -- a fixed argument list, no shell

        def forward(signum, _frame) -> None:
            if server.poll() is None:
                server.send_signal(signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, forward)
        return server.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for child in (server, worker_process):
            _stop(child)


def _stop(child: subprocess.Popen | None) -> None:
    """Terminate ``child`` if it still runs; kill it if it has not stopped after a while."""
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _gunicorn() -> str | None:
    """Return the gunicorn of this virtualenv, else one on PATH, else None."""
    candidate = Path(sys.executable).parent / "gunicorn"
    if candidate.exists():
        return str(candidate)
    return shutil.which("gunicorn")


if __name__ == "__main__":
    sys.exit(main())
