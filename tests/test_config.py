"""Configuration layers: defaults, instance/config.py, TRACKER_* variables; safe production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
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


def test_production_sends_the_session_cookie_over_https_only(instance, monkeypatch):
    assert not create_app().config.get("SESSION_COOKIE_SECURE")

    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("TRACKER_SECRET_KEY", STRONG_KEY)
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
