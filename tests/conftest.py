"""Fixtures: one app and one schema per database for the run; each test inside a transaction.

Every database test runs on SQLite and, when TRACKER_TEST_DATABASE_URL is set, on
PostgreSQL too. The schema and the currencies are created once per database. Each test
then runs inside a transaction on one connection that is rolled back at its end; the
code under test commits and rolls back savepoints inside it (SQLAlchemy's
`join_transaction_mode="create_savepoint"`), so a commit stays real to the test and
invisible to the next one. Any app a test creates on the same database joins that
transaction too.

Tests whose data other connections must see (a live server in a thread, two writers
racing) are marked `commits`: they commit for real, and the tables are emptied after them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Connection, create_engine, delete, insert, make_url, text
from sqlalchemy.engine import Engine

import tracker.models  # noqa: F401  (create_all below needs every model registered)
from tracker import create_app
from tracker.audit.models import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL
from tracker.db import Base
from tracker.extensions import db, limiter
from tracker.money.iso4217 import MINOR_UNITS
from tracker.money.models import Currency

# The Playwright fixtures `browser` and `page` for the browser journeys, and the drive
# tests' `world`, `drive`, `lead` and `as_lead` (a module may define its own instead).
pytest_plugins = ("tests.browser_support", "tests.drive_fixtures", "tests.mail_support")

# Under pytest-xdist each worker (gw0, gw1, ...) gets a PostgreSQL database of its own
# beside the configured one, created when missing; the configured one is used as it is
# when the suite runs in one process.
CONFIGURED_PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_URL = (make_url(CONFIGURED_PG_URL).set(
    database=f"{make_url(CONFIGURED_PG_URL).database}_{WORKER}").render_as_string(
    hide_password=False) if CONFIGURED_PG_URL and WORKER else CONFIGURED_PG_URL)
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
TEST_SECRET = "test-secret-key-" + "x" * 32
# What production requires besides its key (config.py), for test apps with ENV "production"
# on the test database; the limits still count in memory, so no Redis is needed.
PRODUCTION_SETTINGS = {"ALLOW_SQLITE_IN_PRODUCTION": True, "REDIS_URL": "redis://redis.invalid/0",
                       "RATELIMIT_STORAGE_URI": "memory://",
                       "BASE_URL": "https://tracker.example.org"}


def pytest_configure(config: pytest.Config) -> None:
    """Under CI, PostgreSQL is required: fail loudly instead of quietly testing SQLite only."""
    config.addinivalue_line(
        "markers", "commits: the test's data must be seen by other connections (threads, "
        "a second writer): it commits for real, and the tables are emptied after it")
    config.addinivalue_line(
        "markers", "fresh_app: the test adds routes, so it gets an app of its own")
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but TRACKER_TEST_DATABASE_URL is not set")
    if PG_URL:
        try:
            engine = create_engine(CONFIGURED_PG_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                name = make_url(PG_URL).database
                if PG_URL != CONFIGURED_PG_URL and not connection.scalar(
                        text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            engine.dispose()
        except Exception as error:
            raise pytest.UsageError(
                f"TRACKER_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {error}"
            ) from error


# --- one transaction per test ----------------------------------------------------------------


class _Binding:
    """The connection whose transaction every session on the test database joins.

    Not thread-local: the sessions of any app the test creates join the one transaction.
    Tests with a live server in a thread use `commits` instead.
    """

    connection: Connection | None = None
    url: str = ""


_binding = _Binding()
_original_get_bind = FlaskSession.get_bind


def _get_bind(self: FlaskSession, mapper: Any = None, clause: Any = None, bind: Any = None,
              **kwargs: Any) -> Any:
    """The test's connection for any app on the test database, else the app's own engine."""
    engine = _original_get_bind(self, mapper, clause, bind, **kwargs)
    connection = _binding.connection
    if connection is not None and isinstance(engine, Engine) and _url(engine) == _binding.url:
        return connection
    return engine


def fresh_postgresql_database(suffix: str) -> str:
    """A PostgreSQL database of its own beside the test one, empty; its URL."""
    base = make_url(PG_URL)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgresql_database(url: str) -> None:
    """Drop a database fresh_postgresql_database made."""
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


FlaskSession.get_bind = _get_bind  # type: ignore[method-assign]
# A session bound to a connection that is already inside a transaction works in savepoints.
db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """Bind every session on the engine's database to one transaction; roll it back after.

    Inside an active one it opens a savepoint instead, so a module can build its world
    once and each of its tests still starts from that world.
    """
    if _binding.connection is not None:
        nested = _binding.connection.begin_nested()
        try:
            yield _binding.connection
        finally:
            db.session.remove()
            if nested.is_active:
                nested.rollback()
        return
    connection = engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    outer = connection.begin()
    if sqlite:
        # pysqlite begins transactions on its own, too late for SAVEPOINT to nest inside:
        # take the transaction over for the test (SQLAlchemy's documented recipe).
        connection.connection.driver_connection.isolation_level = None  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN")
    _binding.connection, _binding.url = connection, _url(engine)
    try:
        yield connection
    finally:
        db.session.remove()
        _binding.connection, _binding.url = None, ""
        outer.rollback()
        if sqlite:
            connection.connection.driver_connection.isolation_level = ""  # type: ignore[union-attr]
        connection.close()


# --- the database and the app --------------------------------------------------------------


def _fill_currencies(connection: Connection) -> None:
    connection.execute(
        insert(Currency), [{"code": c, "minor_units": m} for c, m in MINOR_UNITS.items()]
    )


def build_schema(app: Flask) -> None:
    """The models' schema and the currencies in the app's own (empty) database, committed."""
    with app.app_context():
        db.create_all()
        _fill_currencies(db.session.connection())
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A database with the models' schema and the currencies, created once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite'}"
    else:
        url = PG_URL
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(connection)
        _fill_currencies(connection)
    engine.dispose()
    yield url
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
    engine.dispose()


def empty_tables(url: str) -> None:
    """Empty every table and put the currencies back: after a test that committed for real."""
    engine = create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # The audit trail's triggers refuse DELETE (TRUNCATE above passes them): lift
            # them for the emptying only, inside its transaction.
            for statement in DROP_APPEND_ONLY_DDL["sqlite"]:
                connection.exec_driver_sql(statement)
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))
            for statement in APPEND_ONLY_DDL["sqlite"]:
                connection.exec_driver_sql(statement)
        _fill_currencies(connection)
    engine.dispose()


class Client(FlaskClient):
    """A test client that sends a valid CSRF token with every form POST unless told not to."""

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):  # type: ignore[override]
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)

    def open(self, *args, **kwargs):  # type: ignore[override]
        # Requests share the app fixture's app context, so Flask-Babel's locale, cached
        # in `g`, would otherwise leak from one request into the next (never in production).
        flask_babel.refresh()
        return super().open(*args, **kwargs)


def make_test_app(database_url: str, **settings: Any) -> Flask:
    """A Tracker app configured for tests on the given database."""
    app = create_app({
        "TESTING": True,
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": "http://localhost",  # the test client's host, so links can be followed
        # No mail sweep after each request: a test sends what it means to send, and a sweep
        # would open a connection after requests a test's own engine may not expect
        # (tests/test_jobs.py turns it on where it is the subject).
        "MAIL_SWEEP_SECONDS": 0,
        **settings,
    })
    app.test_client_class = Client
    return app


@pytest.fixture(scope="session")
def shared_app(database_url: str, tmp_path_factory) -> Iterator[Flask]:
    """The app every test of a database shares; each test gets its configuration afresh."""
    app = make_test_app(database_url,
                        PROPOSAL_STORAGE_DIR=str(tmp_path_factory.mktemp("proposals")))
    # The limiter is one object whose storage the latest app sets: an app a test builds
    # with Redis (production settings, the Redis limit tests) must not leave the shared
    # app counting there. Each test gets the shared app's own (memory) storage back.
    SHARED_LIMITER_STORAGE[app] = (limiter._storage, limiter._limiter)
    yield app
    with app.app_context():
        db.engine.dispose()


SHARED_LIMITER_STORAGE: dict[Flask, tuple[Any, Any]] = {}


@pytest.fixture
def app(shared_app: Flask, database_url: str, request: pytest.FixtureRequest,
        tmp_path) -> Iterator[Flask]:
    """The shared app inside an app context, its database changes undone after the test.

    A test may change `app.config`; the settings are put back after it. Rate-limit counts
    start at zero. Printed proposals go to the test's own folder. A test marked
    `fresh_app` (it adds routes, which an app that has served refuses) gets its own app.
    """
    storage = str(tmp_path / "proposals")
    mail_folder = str(tmp_path / "mail")  # messages written when no mail server is set
    if request.node.get_closest_marker("fresh_app"):
        app = make_test_app(database_url, PROPOSAL_STORAGE_DIR=storage, MAIL_FOLDER=mail_folder)
        with app.app_context():
            with rolled_back(db.engine):
                yield app
            db.engine.dispose()
        return
    settings = dict(shared_app.config)
    shared_app.config["PROPOSAL_STORAGE_DIR"] = storage
    shared_app.config["MAIL_FOLDER"] = mail_folder
    limiter._storage, limiter._limiter = SHARED_LIMITER_STORAGE[shared_app]
    limiter.reset()
    try:
        if request.node.get_closest_marker("commits"):
            try:
                with shared_app.app_context():
                    yield shared_app
                    db.session.remove()
            finally:
                empty_tables(database_url)
        else:
            with shared_app.app_context(), rolled_back(db.engine):
                yield shared_app
    finally:
        shared_app.config.clear()
        shared_app.config.update(settings)


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def backend(database_url: str) -> str:
    """'sqlite' or 'postgresql': which database this run of the test uses."""
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def signed_in_admin(client: Client):
    """Log the test client in as an administrator: for tests of screens, not of access."""
    from tests.auth_support import login, make_user
    from tracker.auth.models import Role

    admin = make_user(Role.ADMIN, email="admin@example.org")
    login(client, admin)
    return admin
