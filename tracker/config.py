"""Configuration: defaults, then instance/config.py, then TRACKER_* environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask

DEFAULT_SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 32
# The password of the demo accounts `seed-demo` creates; the Makefile prints it (keep in step).
DEVELOPMENT_DEMO_PASSWORD = "demo-password-2026"
# Where `flask run` (make run) serves: the base of absolute links outside production.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class ConfigurationError(click.ClickException, RuntimeError):
    """The app cannot start safely with the configuration it was given.

    A ClickException too, so that `flask --app tracker <command>` prints the message as
    "Error: ..." instead of a traceback; gunicorn and tests see a plain exception.
    """


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
    # An XLSX file is checked before it is read (tracker/workbook.py): the cells of
    # its sheet, what its archive unpacks to, how far any large part of it is compressed,
    # and how long the check may take.
    PLEDGE_IMPORT_MAX_CELLS = 2_500_000
    PLEDGE_IMPORT_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
    PLEDGE_IMPORT_MAX_RATIO = 100
    PLEDGE_IMPORT_MAX_SECONDS = 10
    # Expenditures imported from a bank's or an accountant's export (grants/imports.py):
    # a few hundred rows a period. A file this large fits in MAX_CONTENT_LENGTH, and so
    # does its signed copy in the preview's confirm form (grants/views/imports.py).
    EXPENDITURE_IMPORT_MAX_BYTES = 1024 * 1024
    RECEIPT_MAX_BYTES = 10 * 1024 * 1024  # a grant expenditure's receipt or invoice
    EXPENDITURE_IMPORT_MAX_ROWS = 2_000  # each row is recorded (and audited) by the service
    # The dashboard's coalition totals are shown in this currency until a user picks one.
    REPORTING_CURRENCY = "USD"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    # Accounts and sessions (tracker/auth).
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    INVITE_VALID_DAYS = 7
    # A link to set a new password asked for on the login page works this long.
    PASSWORD_RESET_VALID_MINUTES = 60
    # Requests for such a link (tracker/auth/limits.py, `limits` notation), every one counted:
    # per address asked for, whether or not it has an account (what one mailbox can be sent),
    # and per client address.
    PASSWORD_RESET_ACCOUNT_LIMITS = "3/hour;6/day"
    PASSWORD_RESET_ADDRESS_LIMITS = "10/hour;50/day"
    # Failed logins (tracker/auth/limits.py), in `limits` notation; each window lengthens
    # the wait. Per account, counted apart for each browser that has logged in to it
    # (the known-device cookie) and each address it logged in from in the last
    # LOGIN_KNOWN_ADDRESS_DAYS, so a stranger's guesses never lock the owner out there.
    LOGIN_ACCOUNT_LIMITS = "5/minute;20/hour;50/day"
    # Per client address, across accounts: high enough for an office behind one NAT.
    LOGIN_ADDRESS_LIMITS = "30/minute;300/hour"
    LOGIN_KNOWN_ADDRESS_DAYS = 30
    KNOWN_DEVICE_DAYS = 365
    # The owner is e-mailed once this many logins failed since their last one.
    LOGIN_FAILURE_ALERT_AT = 5
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (a hop
    # count, Werkzeug's ProxyFix); 0: forwarded headers are ignored.
    TRUSTED_PROXIES = 0
    REDIS_URL: str | None = None  # shared rate-limit storage; required in production
    # Production refuses SQLite (one writer, one machine) unless a one-machine install says so.
    ALLOW_SQLITE_IN_PRODUCTION = False
    # Scheme, host (and port, and path if served under one) of every absolute link: share
    # links, invitations, calendar feeds, later e-mails (tracker/urls.py). Never taken from
    # the request's Host header, which any client may forge. Required in production; None
    # elsewhere means DEVELOPMENT_BASE_URL. Flask's own SERVER_NAME is left unset: it would
    # still take the scheme from the request, and before Flask 3.1 it made requests for any
    # other host (a health check on 127.0.0.1) answer 404.
    BASE_URL: str | None = None
    RATELIMIT_KEY_PREFIX = "tracker"
    # Outgoing mail (tracker/mail): over SMTP when MAIL_SERVER is set, otherwise written as
    # .eml files under MAIL_FOLDER (None: instance/mail/), the development default.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the start (port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Tracker <tracker@localhost>"
    MAIL_MESSAGE_ID_DOMAIN = "tracker.localhost"
    MAIL_TIMEOUT_SECONDS = 20
    MAIL_MAX_ATTEMPTS = 6  # then the message is marked failed and shown to admins
    MAIL_FOLDER: str | None = None
    # Without Redis (the embedded default) mail is sent by the web process after its
    # request: each SMTP step waits at most this long there (the worker waits
    # MAIL_TIMEOUT_SECONDS), and a failed message is retried by a sweep that runs at most
    # once per MAIL_SWEEP_SECONDS per process after a request (0: never).
    MAIL_WEB_TIMEOUT_SECONDS = 5
    MAIL_SWEEP_SECONDS = 60
    # Jobs on Redis (tracker/jobs): a job still running after this long is stopped by the
    # worker (deploy/systemd/tracker-worker.service waits longer than this on a stop).
    JOB_TIMEOUT_SECONDS = 600
    # The demo accounts' shared password: set in the development configuration only (see
    # load below), so that no other configuration can get accounts with a published password.
    DEMO_PASSWORD: str | None = None
    # The public pledge form (issue 11): per client address, a limit an office or a
    # conference behind one NAT can live with (Flask-Limiter's `limits` notation); per drive,
    # at most this many unconfirmed public pledges from the last hour, so that a flood from
    # many addresses stops there and the organisers' list stays workable.
    PUBLIC_PLEDGE_LIMIT = "60 per 10 minutes"
    PUBLIC_PLEDGE_DRIVE_HOURLY = 100
    # Unconfirmed (and rejected) public pledges older than this many days are removed by
    # `flask --app tracker prune-unconfirmed-pledges`: contact data nobody accepted is not kept.
    UNCONFIRMED_PLEDGE_DAYS = 30
    # Proposal PDFs (tracker/proposals): where printed ones are kept (None: instance/proposals),
    # and the limits a render is stopped at with a clear error.
    PROPOSAL_STORAGE_DIR: str | None = None
    # Where files that outlive a request are kept (tracker/storage): "folder" (the folder
    # above) or "database" (chunks in the shared database, for several app machines).
    FILE_STORAGE = "folder"
    # Slow work (tracker/tasks) runs as a job with a progress page above these sizes; below
    # them it stays in the request, as fast as before. A task silent for TASK_STUCK_MINUTES
    # (its worker died) is shown as failed.
    TASK_EXPORT_MIN_ROWS = 5_000  # pledges in an XLSX export
    TASK_IMPORT_MIN_ROWS = 3_000  # rows of a pledge file
    TASK_RENDER_MIN_CHARS = 20_000  # HTML characters of a final (12 000 render in ~2.5 s)
    TASK_STUCK_MINUTES = 15
    TASK_KEPT_DAYS = 7  # then `prune-tasks` forgets a task and its file (exports hold contacts)
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

    if production:
        _require_production_services(app)
    _check_privacy_settings(app)
    _check_file_storage(app)
    url = app.config["DATABASE_URL"] or _default_sqlite_url(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["DATABASE_URL"] = url
    app.config["BASE_URL"] = _base_url(app.config["BASE_URL"], production)


def _check_file_storage(app: Flask) -> None:
    """Refuse to start with a file storage backend that does not exist."""
    if app.config["FILE_STORAGE"] not in ("folder", "database"):
        raise ConfigurationError(
            f"TRACKER_FILE_STORAGE must be 'folder' or 'database', not "
            f"{app.config['FILE_STORAGE']!r}.")


def _check_privacy_settings(app: Flask) -> None:
    """Refuse to start with a public pledge limit or a retention period that cannot work."""
    from limits import parse

    try:
        parse(str(app.config["PUBLIC_PLEDGE_LIMIT"]))
    except ValueError as error:
        raise ConfigurationError(
            "TRACKER_PUBLIC_PLEDGE_LIMIT must read like '60 per 10 minutes'.") from error
    for name in ("PUBLIC_PLEDGE_DRIVE_HOURLY", "UNCONFIRMED_PLEDGE_DAYS"):
        value = app.config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"TRACKER_{name} must be a whole number of at least 1.")


def _set_demo_password(app: Flask) -> None:
    """DEMO_PASSWORD is the published demo password in development and None in every other ENV."""
    development = app.config["ENV"] == "development"
    app.config["DEMO_PASSWORD"] = DEVELOPMENT_DEMO_PASSWORD if development else None


def _require_production_services(app: Flask) -> None:
    """Production runs on PostgreSQL (or an explicitly allowed SQLite) and counts in Redis."""
    config = app.config
    url = config["DATABASE_URL"] or ""
    if (not url or url.startswith("sqlite")) and not config["ALLOW_SQLITE_IN_PRODUCTION"]:
        raise ConfigurationError(
            "TRACKER_DATABASE_URL must name a PostgreSQL database in production, e.g. "
            "postgresql+psycopg://tracker@db.example/tracker: SQLite takes one writer at a "
            "time on one machine. A one-machine install that accepts this sets "
            "TRACKER_ALLOW_SQLITE_IN_PRODUCTION=1."
        )
    if not config["REDIS_URL"]:
        raise ConfigurationError(
            "TRACKER_REDIS_URL must be set in production, e.g. redis://127.0.0.1:6379/0: "
            "without it each worker process counts login attempts on its own."
        )


def _base_url(value: str | None, production: bool) -> str:
    """The checked BASE_URL without a trailing slash; the local server's outside production."""
    if not value:
        if production:
            raise ConfigurationError(
                "TRACKER_BASE_URL must be set in production to the address users open, e.g. "
                "https://tracker.example.org: every absolute link (share links, invitations) "
                "is built from it, never from the request's Host header."
            )
        return DEVELOPMENT_BASE_URL
    parts = urlsplit(value)
    schemes = ("https",) if production else ("http", "https")
    if (parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment
            or "@" in parts.netloc):
        raise ConfigurationError(
            f"TRACKER_BASE_URL must be an address like https://tracker.example.org (an "
            f"optional port and path, no query){' over HTTPS in production' * production}; "
            f"got {value!r}."
        )
    return value.rstrip("/")


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
