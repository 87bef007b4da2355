"""The `pingan` command: help, imports with their exit status, and how serve/demo start."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from django.utils import translation

from pingan import cli
from pingan.geo.models import Grid


class Served(Exception):
    """Raised instead of replacing the test process with gunicorn."""


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def no_exec(monkeypatch):
    """Record what serve would exec instead of exec'ing it."""
    calls = []

    def fake_execvp(file, argv):
        calls.append(argv)
        raise Served

    monkeypatch.setattr(cli.os, "execvp", fake_execvp)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    monkeypatch.setattr(cli, "_gunicorn", lambda: "/venv/bin/gunicorn")
    return calls


def test_pingan_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "pingan.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    commands = ("demo", "serve", "worker", "load-demo", "import-regions", "import-grids", "manage")
    for command in commands:
        assert command in result.stdout


def test_an_unknown_command_is_refused(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["frobnicate"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.django_db
def test_import_grids_on_a_bad_file_returns_a_nonzero_status(tmp_path, capsys):
    path = tmp_path / "bad.geojson"
    path.write_text("{not json", encoding="utf-8")
    assert cli.main(["import-grids", str(path)]) == 1
    assert "not valid JSON" in capsys.readouterr().err


@pytest.mark.django_db
def test_import_grids_with_a_rejected_feature_returns_a_nonzero_status(tmp_path, capsys):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"region_code": "510999009009", "code": "510999009009001"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[110, 35], [110.1, 35], [110.1, 35.1], [110, 35]]],
                },
            }
        ],
    }
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    assert cli.main(["import-grids", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Unknown region code 510999009009." in out
    assert not Grid.objects.filter(code="510999009009001").exists()


@pytest.mark.django_db
def test_import_regions_of_a_good_file_returns_zero(tmp_path, capsys):
    path = tmp_path / "regions.csv"
    path.write_text("代码,名称,级别,上级代码\n510999,测试县,县,\n", encoding="utf-8")
    assert cli.main(["import-regions", str(path)]) == 0
    assert "1 created" in capsys.readouterr().out


def test_serve_execs_gunicorn_on_the_requested_address(no_exec, capsys, monkeypatch):
    monkeypatch.setenv("PINGAN_WORKERS", "3")
    with pytest.raises(Served):
        cli.main(["serve", "--port", "8123"])
    argv = no_exec[0]
    assert argv[0] == "/venv/bin/gunicorn"
    assert "pingan.wsgi:application" in argv
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == "3"
    assert "--log-level" not in argv  # alone, gunicorn keeps its own log level
    assert "http://127.0.0.1:8123/" in capsys.readouterr().out


def test_serve_reads_the_port_from_the_environment(no_exec, monkeypatch):
    monkeypatch.setenv("PINGAN_PORT", "8999")
    with pytest.raises(Served):
        cli.main(["serve", "--host", "10.0.0.5"])
    argv = no_exec[0]
    assert argv[argv.index("--bind") + 1] == "10.0.0.5:8999"


class FakePopen:
    """Stand in for subprocess.Popen: record the command, exit at once with status 0."""

    started: list[list[str]] = []

    def __init__(self, argv, **kwargs):
        self.argv = argv
        self.returncode = None
        FakePopen.started.append(argv)

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        self.returncode = 0
        return 0

    def send_signal(self, signum):
        self.returncode = -signum

    def terminate(self):
        self.returncode = -15

    def kill(self):
        self.returncode = -9


@pytest.mark.django_db
def test_demo_on_a_loaded_database_prints_the_accounts_and_serves(no_exec, capsys, monkeypatch):
    called = []
    # migrate and collectstatic are Django's own; here only the order of the steps matters.
    monkeypatch.setattr(cli, "_call", lambda name, *args, **options: called.append(name))
    monkeypatch.setattr(cli.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(FakePopen, "started", [])
    assert cli.main(["demo", "--port", "8124"]) == 0
    assert called == ["migrate", "collectstatic"]  # the demo county is already there
    out = capsys.readouterr().out
    assert "already loaded" in out
    for username in ("admin", "center", "grid01", "dept-transport", "resident01"):
        assert f"  {username} " in out
    assert "pingan-demo" in out
    assert "http://127.0.0.1:8124/" in out
    # The worker starts first, then gunicorn runs as a child (not exec'd) so both can be stopped.
    worker, server = FakePopen.started
    # Quiet, both: their English INFO lines (gunicorn booting, every task the worker runs)
    # would fill the demo's Chinese output; warnings and errors still show.
    assert worker == [sys.executable, "-m", "pingan.cli", "worker", "--quiet"]
    assert server[0] == "/venv/bin/gunicorn"
    assert server[server.index("--bind") + 1] == "127.0.0.1:8124"
    assert server[server.index("--log-level") + 1] == "warning"
    assert no_exec == []


def test_the_workers_log_lines_are_printed_once():
    """The consumer adds its own handler to the "huey" logger; the root's must not repeat it."""
    assert logging.getLogger("huey").propagate is False


@pytest.mark.django_db
def test_pingan_load_demo_twice_finds_the_same_counts(capsys):
    from pingan.geo.demo import counts

    assert cli.main(["load-demo"]) == 0
    first = counts()
    assert cli.main(["load-demo"]) == 0
    assert counts() == first
    assert first["grids"] >= 70


def _has_chinese(line: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in line)


@pytest.mark.django_db
def test_demo_start_up_output_is_all_in_chinese(no_exec, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_call", lambda name, *args, **options: None)
    monkeypatch.setattr(cli.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(FakePopen, "started", [])

    with translation.override("zh-hans"):
        assert cli.main(["demo", "--port", "8125"]) == 0

    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines
    assert [line for line in lines if not _has_chinese(line)] == []
    assert "平安：http://127.0.0.1:8125/（按 Ctrl+C 停止）" in lines


@pytest.mark.django_db
def test_load_demo_output_is_all_in_chinese(capsys):
    with translation.override("zh-hans"):
        assert cli.main(["load-demo"]) == 0

    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "数据库已是最新。"
    assert [line for line in lines if not _has_chinese(line)] == []


@pytest.mark.django_db
def test_pingan_demo_opens_the_api_docs_to_anyone(no_exec, monkeypatch):
    monkeypatch.setattr(cli, "_call", lambda name, *args, **options: None)
    monkeypatch.setattr(cli.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(FakePopen, "started", [])
    monkeypatch.setenv("PINGAN_PUBLIC_API_DOCS", "")
    monkeypatch.delenv("PINGAN_PUBLIC_API_DOCS")  # restored to unset after the test

    monkeypatch.setenv("PINGAN_LOG_LEVEL", "")
    monkeypatch.delenv("PINGAN_LOG_LEVEL")

    assert cli.main(["demo", "--port", "8126"]) == 0

    assert cli.os.environ["PINGAN_PUBLIC_API_DOCS"] == "1"
    # The web server and the worker it starts log warnings and errors, not every sweep.
    assert cli.os.environ["PINGAN_LOG_LEVEL"] == "WARNING"
