"""Brute force: five failed logins a minute per account and per address, in memory and in Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from tests.auth_support import TEST_PASSWORD, login_with_password, logout, make_user
from tests.conftest import IN_CI, TEST_SECRET, Client, rolled_back
from tracker import create_app
from tracker.auth.models import UserSession
from tracker.extensions import db

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
TOO_MANY = "Too many attempts; try again in a minute."


def fail(client, email: str = "lead@example.org", address: str = "203.0.113.7"):
    return login_with_password(client, email, "a wrong guess, again",
                               environ_base={"REMOTE_ADDR": address})


def succeed(client, email: str = "lead@example.org", address: str = "203.0.113.7"):
    return login_with_password(client, email, TEST_PASSWORD,
                               environ_base={"REMOTE_ADDR": address})


def assert_sixth_failure_is_refused(app: Flask) -> None:
    """The scenario both storages must pass."""
    make_user(email="lead@example.org")
    client = app.test_client()
    for _ in range(5):
        assert fail(client).status_code == 422
    response = fail(client)
    assert response.status_code == 429
    assert TOO_MANY in response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Content-Security-Policy" in response.headers
    # Even the right password waits now: the guesser must not learn it was right.
    assert succeed(client).status_code == 429


def test_sixth_failed_login_in_a_minute_is_refused_with_429_in_memory(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert_sixth_failure_is_refused(app)


def test_the_429_page_speaks_the_users_language(app, client):
    make_user(email="lead@example.org")
    client.post("/language", data={"language": "ru", "next": "/login"})
    for _ in range(5):
        fail(client)
    response = fail(client)
    assert response.status_code == 429
    assert '<html lang="ru">' in response.text


def test_a_successful_login_does_not_count(app):
    make_user(email="lead@example.org")
    client = app.test_client()
    for _ in range(4):
        assert fail(client).status_code == 422
    for _ in range(3):
        assert succeed(client).status_code == 302
        logout(client)
    assert fail(client).status_code == 422  # the fifth failure is still allowed
    assert fail(client).status_code == 429


def test_the_account_limit_holds_across_addresses(app):
    make_user(email="lead@example.org")
    client = app.test_client()
    for n in range(5):
        assert fail(client, "LEAD@example.org", address=f"198.51.100.{n}").status_code == 422
    assert fail(client, "lead@example.org", address="198.51.100.99").status_code == 429
    # Another account from a fresh address is unaffected.
    make_user(email="other@example.org")
    assert succeed(client, "other@example.org", address="198.51.100.100").status_code == 302


def test_the_address_limit_holds_across_accounts(app):
    make_user(email="lead@example.org")
    client = app.test_client()
    for n in range(5):
        assert fail(client, f"guess{n}@example.org", address="192.0.2.1").status_code == 422
    assert succeed(client, "lead@example.org", address="192.0.2.1").status_code == 429
    assert db.session.query(UserSession).count() == 0
    assert succeed(client, "lead@example.org", address="192.0.2.2").status_code == 302


def test_looking_at_the_login_page_costs_nothing(app, client):
    for _ in range(10):
        assert client.get("/login").status_code == 200
    make_user(email="lead@example.org")
    assert succeed(client).status_code == 302


# --- The same against Redis, as several workers share it ------------------------------------


@pytest.fixture
def redis_app(database_url: str) -> Iterator[Flask]:
    """The app with its rate-limit counts in Redis database 15 under a key prefix of its own."""
    connection = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {TEST_REDIS_URL} cannot be reached: {error}")
        pytest.skip(f"Redis at {TEST_REDIS_URL} cannot be reached: {error}")
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    app = create_app({"TESTING": True, "ENV": "testing", "DATABASE_URL": database_url,
                      "SECRET_KEY": TEST_SECRET, "REDIS_URL": TEST_REDIS_URL,
                      "RATELIMIT_KEY_PREFIX": prefix})
    app.test_client_class = Client
    try:
        with app.app_context():
            with rolled_back(db.engine):
                yield app
            db.engine.dispose()
    finally:
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)
        connection.close()


def test_sixth_failed_login_in_a_minute_is_refused_with_429_in_redis(redis_app):
    assert redis_app.config["RATELIMIT_STORAGE_URI"] == TEST_REDIS_URL
    assert_sixth_failure_is_refused(redis_app)
    connection = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = redis_app.config["RATELIMIT_KEY_PREFIX"]
    keys = [key.decode() for key in connection.scan_iter(match=f"*{prefix}*")]
    assert any("/login-failures/account/" in key for key in keys)
    assert any("/login-failures/address/203.0.113.7" in key for key in keys)
    assert not any("lead@example.org" in key for key in keys)  # addresses are hashed
    connection.close()


def test_counts_in_redis_are_shared_by_every_worker(redis_app, database_url):
    make_user(email="lead@example.org")
    for _ in range(5):
        assert fail(redis_app.test_client()).status_code == 422
    # A second app process on the same Redis sees the same counts.
    worker = create_app({"TESTING": True, "ENV": "testing", "DATABASE_URL": database_url,
                         "SECRET_KEY": TEST_SECRET, "REDIS_URL": TEST_REDIS_URL,
                         "RATELIMIT_KEY_PREFIX": redis_app.config["RATELIMIT_KEY_PREFIX"]})
    worker.test_client_class = Client
    with worker.app_context():
        assert fail(worker.test_client()).status_code == 429
        db.session.remove()
        db.engine.dispose()
