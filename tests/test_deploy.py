"""The production deployment files (issue 11, finding 14): systemd units and gunicorn settings.

After `kill -9` of the gunicorn master the service stayed down: deploy/systemd/ ships the
units that bring it back (Restart=always, KillMode=control-group), deploy/gunicorn.conf.py
the settings they start gunicorn with. These tests check that systemd and gunicorn accept
both as written, and that gunicorn serves and reloads with them.
"""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gunicorn.config import KNOWN_SETTINGS

from tracker import create_app
from tracker.config import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
INSTALLED_BIN = "/opt/tracker/.venv/bin/"  # where ExecStart's programs are, on a server
INSTALLED_GUNICORN = INSTALLED_BIN + "gunicorn"
APP = "tracker:create_app()"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
IN_CI = os.environ.get("CI", "").lower() == "true"


def read_unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string((UNITS / name).read_text())
    return parser


def gunicorn_settings() -> dict[str, object]:
    """The names the config file assigns at its top level, with their literal values."""
    tree = ast.parse(GUNICORN_CONF.read_text())
    names: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = (node.value.value if isinstance(node.value, ast.Constant)
                                        else None)
    return names


# --- systemd ---------------------------------------------------------------------------------


def verify(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` on copies of the units whose ExecStart binary exists here.

    verify refuses a unit whose ExecStart is missing, and /opt/tracker is a server's path:
    the copies start a stub in a temporary virtualenv instead, everything else unchanged.
    """
    assert SYSTEMD_ANALYZE, "systemd-analyze is missing (Debian package: systemd)"
    stubs = tmp_path / "venv" / "bin"
    stubs.mkdir(parents=True)
    for program in ("gunicorn", "flask"):
        stub = stubs / program
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    copies = tmp_path / "units"
    copies.mkdir()
    for unit in folder.iterdir():
        (copies / unit.name).write_text(unit.read_text().replace(INSTALLED_BIN, f"{stubs}/"))
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *sorted(map(str, copies.iterdir()))],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_the_units_ask_for_supervision_and_the_gunicorn_settings():
    web = read_unit("tracker-web.service")
    service = web["Service"]
    assert service["Restart"] == "always"
    assert service["KillMode"] == "control-group"
    assert service["EnvironmentFile"] == "/etc/tracker/tracker.env"
    assert service["User"] == service["Group"] == "tracker"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["ExecStart"].startswith(
        f"{INSTALLED_GUNICORN} --config /opt/tracker/deploy/gunicorn.conf.py ")
    assert service["ExecStart"].endswith(f"'{APP}'")
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert service["Type"] == "notify"
    # A worker finishing its request is never SIGKILLed by a stop.
    assert int(service["TimeoutStopSec"]) > int(str(gunicorn_settings()["graceful_timeout"]))
    assert web["Unit"]["PartOf"] == web["Install"]["WantedBy"] == "tracker.target"
    assert read_unit("tracker.target")["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("name, command", [("tracker-worker.service", "worker"),
                                           ("tracker-scheduler.service", "scheduler")])
def test_the_worker_and_scheduler_units_are_supervised_like_the_web_server(name, command):
    unit = read_unit(name)
    service, web = unit["Service"], read_unit("tracker-web.service")["Service"]
    assert service["ExecStart"] == f"{INSTALLED_BIN}flask --app tracker {command}"
    assert service["Restart"] == "always"
    assert service["KillMode"] == "control-group"
    assert unit["Unit"]["PartOf"] == unit["Install"]["WantedBy"] == "tracker.target"
    for setting in ("User", "Group", "EnvironmentFile", "WorkingDirectory", "NoNewPrivileges",
                    "ProtectSystem", "SystemCallFilter", "CapabilityBoundingSet"):
        assert service[setting] == web[setting], setting


def test_a_stop_waits_longer_than_the_longest_job():
    from tracker.config import Defaults

    worker = read_unit("tracker-worker.service")["Service"]
    assert int(worker["TimeoutStopSec"]) > Defaults.JOB_TIMEOUT_SECONDS


def test_systemd_accepts_the_units(tmp_path):
    if not SYSTEMD_ANALYZE and not IN_CI:
        # A laptop without systemd: the settings above are still checked; CI and the
        # project's machines have systemd-analyze and run the check below.
        return
    result = verify(UNITS, tmp_path)
    assert result.returncode == 0, result.stderr
    # Unknown keys and bad values are only warnings to systemd: none is allowed here.
    assert result.stderr.strip() == "", result.stderr


def test_the_verification_catches_a_mistyped_unit(tmp_path):
    if not SYSTEMD_ANALYZE and not IN_CI:
        return
    broken = tmp_path / "broken"
    broken.mkdir()
    text = (UNITS / "tracker-web.service").read_text()
    (broken / "tracker-web.service").write_text(
        text.replace("KillMode=control-group", "KillMode=control-grup"))
    shutil.copy(UNITS / "tracker.target", broken / "tracker.target")
    result = verify(broken, tmp_path / "check")
    assert "KillMode" in result.stderr or "control-grup" in result.stderr


# --- gunicorn --------------------------------------------------------------------------------


def production_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of the service: production settings, nothing from this shell."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("TRACKER_", "GUNICORN_", "WEB_CONCURRENCY"))}
    env.update({
        "TRACKER_ENV": "production",
        "TRACKER_SECRET_KEY": "s" * 48,
        "TRACKER_DATABASE_URL": "postgresql+psycopg://tracker@db.invalid/tracker",
        "TRACKER_REDIS_URL": "redis://redis.invalid:6379/0",
        "TRACKER_BASE_URL": "https://tracker.example.org",
        "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
    })
    env.update(settings)
    return {name: value for name, value in env.items() if value}


def check_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GUNICORN), "--check-config", "-c", str(GUNICORN_CONF), APP],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def test_every_setting_in_the_config_is_one_gunicorn_knows():
    # gunicorn ignores unknown names in a config file without a word: a typo would be lost.
    known = {setting.name for setting in KNOWN_SETTINGS}
    assigned = {name for name in gunicorn_settings() if not name.startswith("_")}
    assert assigned - known == set()
    assert {"bind", "workers", "timeout", "graceful_timeout", "max_requests",
            "max_requests_jitter", "preload_app"} <= assigned


def test_gunicorn_accepts_the_config_and_loads_the_app(tmp_path):
    result = check_config(production_env(tmp_path))
    assert result.returncode == 0, result.stderr


def test_gunicorn_names_a_missing_production_setting(tmp_path):
    result = check_config(production_env(tmp_path, TRACKER_REDIS_URL=""))
    assert result.returncode == 1
    assert "TRACKER_REDIS_URL must be set" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(port: int, deadline: float) -> str:
    """GET /healthz until it answers (or the deadline passes); the body."""
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as page:
                return page.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_gunicorn_serves_with_the_config_and_reloads_gracefully(tmp_path):
    port = free_port()
    env = production_env(
        tmp_path, TRACKER_DATABASE_URL="", TRACKER_ALLOW_SQLITE_IN_PRODUCTION="1",
        TRACKER_RATELIMIT_STORAGE_URI="memory://",  # no Redis needed for this check
        GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1")
    server = subprocess.Popen([str(GUNICORN), "-c", str(GUNICORN_CONF), APP], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        assert '"status":"ok"' in health(port, time.monotonic() + 30)
        server.send_signal(signal.SIGHUP)  # what `systemctl reload tracker-web` sends
        time.sleep(0.5)
        assert '"status":"ok"' in health(port, time.monotonic() + 30)
        assert server.poll() is None  # the master lives on through the reload
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=45)
    assert server.returncode == 0, output
    assert "handling signal: hup" in output.lower()
    assert output.count("Booting worker") >= 2, output  # new workers replaced the old
    assert "Traceback" not in output


# --- the settings file ---------------------------------------------------------------------


def env_file_settings() -> dict[str, str]:
    """The NAME=value lines of deploy/tracker.env.example, as systemd's EnvironmentFile reads."""
    settings = {}
    for line in (DEPLOY / "tracker.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def test_the_example_settings_start_production_once_the_secret_key_is_filled_in(
        tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)
    settings = env_file_settings()
    assert settings["TRACKER_ENV"] == "production"
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigurationError, match="TRACKER_SECRET_KEY"):
        create_app()  # as shipped: the operator must choose a key

    monkeypatch.setenv("TRACKER_SECRET_KEY", "s" * 48)
    app = create_app()
    assert app.config["BASE_URL"] == settings["TRACKER_BASE_URL"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert app.config["RATELIMIT_STORAGE_URI"] == settings["TRACKER_REDIS_URL"]
