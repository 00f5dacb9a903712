"""Fixtures: a fresh database per test on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, delete, insert, text

import tracker.models  # noqa: F401  (create_all below needs every model registered)
from tracker import create_app
from tracker.db import Base
from tracker.extensions import db
from tracker.money.iso4217 import MINOR_UNITS
from tracker.money.models import Currency

# The Playwright fixtures `browser` and `page` for the browser journeys.
pytest_plugins = ("tests.browser_support",)

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
TEST_SECRET = "test-secret-key-" + "x" * 32


def pytest_configure(config: pytest.Config) -> None:
    """Under CI, PostgreSQL is required: fail loudly instead of quietly testing SQLite only."""
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but TRACKER_TEST_DATABASE_URL is not set")
    if PG_URL:
        try:
            engine = create_engine(PG_URL)
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as error:
            raise pytest.UsageError(
                f"TRACKER_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {error}"
            ) from error


def _fill_currencies(connection) -> None:
    connection.execute(
        insert(Currency), [{"code": c, "minor_units": m} for c, m in MINOR_UNITS.items()]
    )


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A database with the models' schema, created once per backend for the session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite'}"
    else:
        url = PG_URL
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(connection)
    engine.dispose()
    yield url
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
    engine.dispose()


def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))
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


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:
    """The app on a freshly emptied database, with an app context pushed for the test."""
    _empty_tables(database_url)
    app = create_app({
        "TESTING": True,
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        # Printed proposals go to the test's own folder, never into the checkout's instance/.
        "PROPOSAL_STORAGE_DIR": str(tmp_path / "proposals"),
    })
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


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
