"""Configuration layers: defaults, instance/config.py, TRACKER_* variables; safe production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import cli as flask_cli
from sqlalchemy import text

from tracker import create_app
from tracker.config import ConfigurationError
from tracker.extensions import db

STRONG_KEY = "k" * 48


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty instance folder, and no TRACKER_* settings leaking in from the shell."""
    for name in list(os.environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "instance"
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(folder))
    return folder


def test_secret_key_is_generated_into_the_instance_folder_once_and_reused(instance):
    first = create_app()
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first.secret_key
    assert len(first.secret_key) >= 32
    assert key_file.stat().st_mode & 0o777 == 0o600

    second = create_app()
    assert second.secret_key == first.secret_key


def test_production_without_a_secret_key_refuses_to_start(instance, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    with pytest.raises(ConfigurationError, match="TRACKER_SECRET_KEY must be set"):
        create_app()
    assert not (instance / "secret_key").exists()


def test_production_refuses_a_short_secret_key(instance, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("TRACKER_SECRET_KEY", "changeme")
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        create_app()


def test_production_sends_the_session_cookie_over_https_only(instance, production):
    production.setenv("TRACKER_ENV", "development")
    assert not create_app().config.get("SESSION_COOKIE_SECURE")

    production.setenv("TRACKER_ENV", "production")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.secret_key == STRONG_KEY


def test_environment_variables_override_the_instance_config(instance, monkeypatch, tmp_path):
    instance.mkdir(parents=True)
    (instance / "config.py").write_text(
        f"DATABASE_URL = 'sqlite:///{tmp_path / 'from-instance.sqlite'}'\n"
        "BABEL_DEFAULT_LOCALE = 'ru'\n"
        "MAX_CONTENT_LENGTH = 1024\n"
    )
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("from-instance.sqlite")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ru"

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    monkeypatch.setenv("TRACKER_MAX_CONTENT_LENGTH", "4096")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("from-env.sqlite")
    assert app.config["MAX_CONTENT_LENGTH"] == 4096
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ru"


def test_default_database_is_sqlite_in_the_instance_folder_with_safe_pragmas(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'tracker.sqlite'}"
    with app.app_context():
        pragma = {
            name: db.session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
        db.session.remove()
        db.engine.dispose()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}
    assert (instance / "tracker.sqlite").exists()


# --- Production means production (issue 11, findings 10 and 11) ----------------------------

PG_URL = "postgresql+psycopg://tracker@db.example/tracker"
REDIS_URL = "redis://127.0.0.1:6379/0"
BASE_URL = "https://tracker.example.org"


@pytest.fixture
def production(instance, monkeypatch) -> pytest.MonkeyPatch:
    """TRACKER_ENV=production with every required setting; a test removes the one it checks."""
    for name, value in {"ENV": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_URL": PG_URL,
                        "REDIS_URL": REDIS_URL, "BASE_URL": BASE_URL}.items():
        monkeypatch.setenv(f"TRACKER_{name}", value)
    return monkeypatch


def test_production_starts_with_postgresql_redis_and_a_base_url(production):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == PG_URL
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert app.config["BASE_URL"] == BASE_URL


def test_production_refuses_the_default_sqlite_database(production, instance):
    production.delenv("TRACKER_DATABASE_URL")
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    assert "TRACKER_DATABASE_URL" in message and "SQLite" in message
    assert "TRACKER_ALLOW_SQLITE_IN_PRODUCTION=1" in message
    assert not (instance / "tracker.sqlite").exists()


def test_production_refuses_an_explicit_sqlite_url_too(production, tmp_path):
    production.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    with pytest.raises(ConfigurationError, match="TRACKER_ALLOW_SQLITE_IN_PRODUCTION"):
        create_app()


def test_a_one_machine_install_may_allow_sqlite_in_production(production, instance):
    production.delenv("TRACKER_DATABASE_URL")
    production.setenv("TRACKER_ALLOW_SQLITE_IN_PRODUCTION", "1")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'tracker.sqlite'}"


def test_production_refuses_to_start_without_redis(production):
    production.delenv("TRACKER_REDIS_URL")
    with pytest.raises(ConfigurationError, match="TRACKER_REDIS_URL must be set"):
        create_app()


def test_production_refuses_to_start_without_a_base_url(production):
    production.delenv("TRACKER_BASE_URL")
    with pytest.raises(ConfigurationError, match="TRACKER_BASE_URL must be set"):
        create_app()


@pytest.mark.parametrize("value", [
    "http://tracker.example.org",  # production serves HTTPS only (the session cookie is Secure)
    "tracker.example.org",
    "https://",
    "https://tracker.example.org/?next=x",
    "https://tracker.example.org/#top",
    "https://user@tracker.example.org",
    "ftp://tracker.example.org",
])
def test_production_refuses_a_base_url_that_is_not_an_https_address(production, value):
    production.setenv("TRACKER_BASE_URL", value)
    with pytest.raises(ConfigurationError, match="TRACKER_BASE_URL"):
        create_app()


def test_base_url_drops_a_trailing_slash_and_may_name_a_path(production):
    production.setenv("TRACKER_BASE_URL", "https://ngo.example.org/tracker/")
    assert create_app().config["BASE_URL"] == "https://ngo.example.org/tracker"


def test_development_falls_back_to_the_local_server_and_needs_neither_redis_nor_postgresql(
        instance):
    app = create_app()
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_a_base_url_is_checked_outside_production_too(instance, monkeypatch):
    monkeypatch.setenv("TRACKER_BASE_URL", "127.0.0.1:8080")
    with pytest.raises(ConfigurationError, match="TRACKER_BASE_URL"):
        create_app()
    monkeypatch.setenv("TRACKER_BASE_URL", "http://127.0.0.1:8080")
    assert create_app().config["BASE_URL"] == "http://127.0.0.1:8080"


def test_the_command_line_names_the_missing_setting_without_a_traceback(production):
    production.delenv("TRACKER_REDIS_URL")
    result = CliRunner().invoke(flask_cli, ["--app", "tracker", "db", "upgrade"])
    assert result.exit_code != 0
    assert "Error: TRACKER_REDIS_URL must be set" in result.output
    assert "Traceback" not in result.output
