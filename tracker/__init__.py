"""Tracker: funding for the EECCA coalition's joint campaigns on chemical safety."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import config

ROOT = Path(__file__).resolve().parent.parent


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let readers and a writer overlap, wait on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_inside_a_transaction(connection: Any, _name: str) -> None:
    """SQLite: a savepoint opened first begins the transaction its release must not end.

    Python's sqlite3 begins a transaction before a write, not before a SAVEPOINT, which
    SQLite then runs as a transaction of its own: releasing it committed the caller's work.
    """
    raw = connection.connection.driver_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN")


def _trust_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from the trusted proxies' X-Forwarded-*."""
    # With no proxy trusted the headers are ignored: a client could forge them, and the
    # login limits would then count whatever address it names.
    hops = app.config["TRUSTED_PROXIES"]
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise config.ConfigurationError(
            f"TRACKER_TRUSTED_PROXIES must be the number of proxies in front of the app "
            f"(0, 1, 2, ...), not {hops!r}.")
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application (the factory `flask --app tracker` and gunicorn call)."""
    # TRACKER_INSTANCE_PATH moves the SQLite file, the generated key and config.py
    # out of the checkout (a read-only deployment, or a test's temporary folder).
    instance_path = os.environ.get("TRACKER_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    config.load(app, test_config)
    _trust_proxies(app)

    from tracker.extensions import babel, csrf, db, limiter
    from tracker.i18n import install_request_translations, select_locale
    from tracker.schema import register_migration_commands

    db.init_app(app)
    register_migration_commands(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "tracker" / "translations"))
    install_request_translations(app, babel)
    csrf.init_app(app)
    limiter.init_app(app)

    from tracker.assets.compression import install_compression

    install_compression(app)  # before the other after-request hooks: it must run last

    from tracker import models  # noqa: F401  (every model registered before use)
    from tracker.audit.hooks import install_audit_hooks

    install_audit_hooks()  # after the models: it registers them with the audit trail

    from tracker.funding.rollups import install_rollup_hooks

    install_rollup_hooks()

    from tracker.versions import install_version_hooks

    install_version_hooks()

    from tracker.prepared import install_prepared_statement_hooks

    install_prepared_statement_hooks()

    from tracker.jobs.queue import install_job_hooks

    install_job_hooks(app)

    from tracker.auth import init_auth
    from tracker.web import register_web

    init_auth(app)

    from tracker.drives.reminders import send_unpaid_pledge_reminders
    from tracker.reminders.registry import register_reminder_pass

    # The daily pass reminds of deadlines, then of unpaid pledges: wired here so that
    # neither area imports the other.
    register_reminder_pass(send_unpaid_pledge_reminders)
    register_web(app)

    from tracker.assets import install_assets
    from tracker.auth.headers import static_file_headers

    # Outermost: a static file is answered before sessions, limits and views are reached.
    install_assets(app, static_file_headers(app.config["ENV"] == "production"))

    from tracker.cli import register_commands

    register_commands(app)
    return app
