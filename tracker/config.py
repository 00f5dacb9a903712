"""Configuration: defaults, then instance/config.py, then TRACKER_* environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

DEFAULT_SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 32
# The password of the demo accounts `seed-demo` creates; the Makefile prints it (keep in step).
DEVELOPMENT_DEMO_PASSWORD = "demo-password-2026"


class ConfigurationError(RuntimeError):
    """The app cannot start safely with the configuration it was given."""


class Defaults:
    """Settings every environment starts from."""

    ENV = "development"  # development | production | testing
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    LANGUAGES = ("en", "ru")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    RATES_CSV_MAX_BYTES = 1024 * 1024
    RATES_CSV_MAX_ROWS = 10_000
    # Pledge files (CSV or XLSX) imported into a drive; the import page alone accepts
    # uploads this large (drives/views.py), every other request keeps MAX_CONTENT_LENGTH.
    PLEDGE_IMPORT_MAX_BYTES = 20 * 1024 * 1024
    PLEDGE_IMPORT_MAX_ROWS = 200_000
    # An XLSX file is checked before it is read (drives/imports/workbook.py): the cells of
    # its sheet, what its archive unpacks to, how far any large part of it is compressed,
    # and how long the check may take.
    PLEDGE_IMPORT_MAX_CELLS = 2_500_000
    PLEDGE_IMPORT_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
    PLEDGE_IMPORT_MAX_RATIO = 100
    PLEDGE_IMPORT_MAX_SECONDS = 10
    # The dashboard's coalition totals are shown in this currency until a user picks one.
    REPORTING_CURRENCY = "USD"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    # Accounts and sessions (tracker/auth).
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    INVITE_VALID_DAYS = 7
    LOGIN_FAILURE_LIMIT = "5/minute"  # per account and per client address; failures only
    REDIS_URL: str | None = None  # shared rate-limit storage when several workers run
    RATELIMIT_KEY_PREFIX = "tracker"
    # The demo accounts' shared password: set in the development configuration only (see
    # load below), so that no other configuration can get accounts with a published password.
    DEMO_PASSWORD: str | None = None
    # Proposal PDFs (tracker/proposals): where printed ones are kept (None: instance/proposals),
    # and the limits a render is stopped at with a clear error.
    PROPOSAL_STORAGE_DIR: str | None = None
    PROPOSAL_RENDER_SECONDS = 30
    PROPOSAL_MAX_PAGES = 120


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config in order: defaults, instance/config.py, TRACKER_* env, test overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    if test_config:
        app.config.update(test_config)

    _set_demo_password(app)
    production = app.config["ENV"] == "production"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
    _ensure_secret_key(app, production)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # Flask-Limiter's memory storage is per process: Redis lets several workers share counts.
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"

    url = app.config["DATABASE_URL"] or _default_sqlite_url(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["DATABASE_URL"] = url


def _set_demo_password(app: Flask) -> None:
    """DEMO_PASSWORD is the published demo password in development and None in every other ENV."""
    development = app.config["ENV"] == "development"
    app.config["DEMO_PASSWORD"] = DEVELOPMENT_DEMO_PASSWORD if development else None


def _default_sqlite_url(app: Flask) -> str:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'tracker.sqlite'}"


def _ensure_secret_key(app: Flask, production: bool) -> None:
    """Use the configured key; outside production, generate one into instance/ once."""
    key = app.config.get("SECRET_KEY")
    if production:
        if not key or len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"TRACKER_SECRET_KEY must be set to a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        return
    if key:
        return
    path = Path(app.instance_path) / DEFAULT_SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
