"""Brute force: per account with increasing waits, apart for known browsers and addresses;
per address a ceiling an office can live with; in memory and in Redis."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from limits import parse_many

from tests.auth_support import logout, make_user
from tests.conftest import IN_CI, TEST_SECRET, Client, rolled_back
from tests.limits_support import fail, stopped_clock, succeed
from tracker import create_app
from tracker.auth.devices import COOKIE_NAME
from tracker.auth.models import UserSession
from tracker.extensions import db, limiter

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
# Within the minute: "in 1 minute", or in Redis whose times are whole seconds "in 59 seconds".
TOO_MANY = re.compile(r"Too many attempts; please try again in (1 minute|[1-5]?[0-9] seconds?)\.")
PROXY = "10.0.0.1"  # the reverse proxy every request comes through when it is not trusted


def address_ceiling(app: Flask) -> int:
    """Failed logins a minute one address may have, across accounts."""
    return parse_many(app.config["LOGIN_ADDRESS_LIMITS"])[0].amount


def assert_sixth_failure_is_refused(app: Flask) -> None:
    """The scenario both storages must pass."""
    make_user(email="lead@example.org")
    client = app.test_client()
    for _ in range(5):
        assert fail(client).status_code == 422
    response = fail(client)
    assert response.status_code == 429
    assert TOO_MANY.search(response.text)
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
    assert re.search(r"через (1 минуту|\d+ секунд)", response.text)


def test_a_successful_login_does_not_count(app):
    make_user(email="lead@example.org")
    client = app.test_client()
    for _ in range(4):
        assert fail(client).status_code == 422
    for _ in range(3):
        assert succeed(client).status_code == 302
        logout(client)
    # The fifth failure is still allowed (from a new browser, whose bucket the four filled).
    stranger = app.test_client()
    assert fail(stranger, address="198.51.100.1").status_code == 422
    assert fail(stranger, address="198.51.100.1").status_code == 429


def test_the_account_limit_holds_across_addresses(app):
    make_user(email="lead@example.org")
    client = app.test_client()
    for n in range(5):
        assert fail(client, "LEAD@example.org", address=f"198.51.100.{n}").status_code == 422
    assert fail(client, "lead@example.org", address="198.51.100.99").status_code == 429
    # Another account from a fresh address is unaffected.
    make_user(email="other@example.org")
    assert succeed(client, "other@example.org", address="198.51.100.100").status_code == 302


def test_looking_at_the_login_page_costs_nothing(app, client):
    for _ in range(10):
        assert client.get("/login").status_code == 200
    make_user(email="lead@example.org")
    assert succeed(client).status_code == 302


# --- Finding 1: one address for a whole office, or for everyone behind the proxy ---------------


def test_wrong_passwords_from_behind_the_proxy_keep_no_colleague_out(app):
    """Issue 11, finding 1: five wrong passwords from anyone used to lock out every user."""
    make_user(email="lead@example.org")
    make_user(email="colleague@example.org")
    for _ in range(5):
        assert fail(app.test_client(), "lead@example.org", address=PROXY).status_code == 422
    for n in range(5):
        assert fail(app.test_client(), f"typo{n}@example.org", address=PROXY).status_code == 422
    response = succeed(app.test_client(), "colleague@example.org", address=PROXY)
    assert response.status_code == 302
    assert db.session.query(UserSession).count() == 1


def test_an_office_behind_one_nat_stays_under_the_address_ceiling(app):
    ceiling = address_ceiling(app)
    assert ceiling >= 24  # dozens of people a minute may mistype their password
    make_user(email="lead@example.org")
    for n in range(ceiling - 1):
        assert fail(app.test_client(), f"staff{n}@example.org").status_code == 422
    assert succeed(app.test_client()).status_code == 302


def test_the_address_ceiling_holds_across_accounts(app):
    app.config["LOGIN_ADDRESS_LIMITS"] = "8/minute"  # the default's dozens take long to type
    make_user(email="lead@example.org")
    known = app.test_client()
    assert succeed(known, address="192.0.2.9").status_code == 302
    logout(known)
    for n in range(address_ceiling(app)):
        response = fail(app.test_client(), f"guess{n}@example.org", address="192.0.2.1")
        assert response.status_code == 422
    # A browser new to the account is refused at that address, even with the right password.
    sessions = db.session.query(UserSession).count()
    assert succeed(app.test_client(), address="192.0.2.1").status_code == 429
    assert db.session.query(UserSession).count() == sessions
    assert succeed(app.test_client(), address="192.0.2.2").status_code == 302
    # One the owner logged in with before is not held to the address's ceiling.
    assert succeed(known, address="192.0.2.1").status_code == 302


# --- Finding 2: a stranger knowing the e-mail cannot keep the owner out -----------------------


def guess_until_refused(app: Flask, email: str = "lead@example.org") -> None:
    """A stranger guesses the account's password from new addresses until refused."""
    stranger = app.test_client()
    for n in range(5):
        assert fail(stranger, email, address=f"198.51.100.{n}").status_code == 422
    assert fail(stranger, email, address="198.51.100.99").status_code == 429


def test_a_stranger_cannot_keep_the_owner_out_of_their_own_browser(app):
    """Issue 11, finding 2: anyone knowing the e-mail kept the account locked, from anywhere."""
    make_user(email="lead@example.org")
    browser = app.test_client()
    assert succeed(browser, address="203.0.113.7").status_code == 302
    logout(browser)
    guess_until_refused(app)
    # At home, in a café, on the phone's network: the browser is known, the address is not.
    assert succeed(browser, address="203.0.113.200").status_code == 302
    logout(browser)
    # The owner's mistypes there count in the browser's own bucket.
    for _ in range(2):
        assert fail(browser, address="203.0.113.200").status_code == 422
    assert succeed(browser, address="203.0.113.201").status_code == 302


def test_nor_out_of_the_address_they_logged_in_from(app):
    make_user(email="lead@example.org")
    assert succeed(app.test_client(), address="203.0.113.7").status_code == 302
    guess_until_refused(app)
    # A new browser at the owner's usual address.
    assert succeed(app.test_client(), address="203.0.113.7").status_code == 302
    # Elsewhere, in a browser never used for the account, the right password waits.
    assert succeed(app.test_client(), address="203.0.113.8").status_code == 429


def test_an_address_used_long_ago_is_no_longer_known(app):
    make_user(email="lead@example.org")
    assert succeed(app.test_client(), address="203.0.113.7").status_code == 302
    session = db.session.query(UserSession).one()
    session.created_at -= timedelta(days=app.config["LOGIN_KNOWN_ADDRESS_DAYS"] + 1)
    db.session.commit()
    guess_until_refused(app)
    assert succeed(app.test_client(), address="203.0.113.7").status_code == 429


def test_a_known_browser_has_a_few_guesses_of_its_own_too(app):
    make_user(email="lead@example.org")
    browser = app.test_client()
    assert succeed(browser).status_code == 302
    logout(browser)
    for n in range(5):
        assert fail(browser, address=f"198.51.100.{n}").status_code == 422
    assert fail(browser, address="198.51.100.99").status_code == 429
    # ... and using them up keeps out neither strangers' bucket nor other browsers.
    assert succeed(app.test_client(), address="198.51.100.100").status_code == 302


def test_a_forged_or_foreign_device_cookie_counts_as_a_new_browser(app):
    owner = make_user(email="lead@example.org")
    guess_until_refused(app)
    forged = URLSafeTimedSerializer("another key", salt="tracker.known-device").dumps(
        {"d": "mine", "u": [owner.id]})
    for value in (forged, "garbage", ""):
        browser = app.test_client()
        browser.set_cookie(COOKIE_NAME, value)
        assert succeed(browser).status_code == 429
    # A genuine cookie of this app, but for another account, does not help either.
    other = make_user(email="other@example.org")
    browser = app.test_client()
    assert succeed(browser, "other@example.org").status_code == 302
    assert other.id != owner.id
    logout(browser)
    assert succeed(browser).status_code == 429


def test_the_device_cookie_is_long_lived_signed_and_hidden_from_scripts(app):
    make_user(email="lead@example.org")
    response = succeed(app.test_client())
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={app.config['KNOWN_DEVICE_DAYS'] * 86400}" in cookie
    assert "lead@example.org" not in cookie


# --- Increasing waits -----------------------------------------------------------------------------


def test_the_waits_grow_so_an_account_is_guessed_only_a_few_times_a_minute_hour_and_day(
        app, monkeypatch):
    """A guesser who retries the moment the 429 page allows it, from ever new addresses."""
    make_user(email="lead@example.org")
    clock = stopped_clock(monkeypatch)
    start = clock.now
    guesses: list[float] = []  # seconds after the start
    waits: list[int] = []
    stranger = app.test_client()
    while clock.now - start < 86400 and len(guesses) < 60:
        response = fail(stranger, address=f"198.51.{len(guesses) % 250}.{len(waits) % 250}")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            clock.advance(waits[-1])
        else:
            assert response.status_code == 422
            guesses.append(clock.now - start)
            clock.advance(1)
    assert len([t for t in guesses if t < 60]) == 5
    assert len([t for t in guesses if t < 3600]) == 20
    assert len(guesses) == 50  # in the whole day
    assert waits[0] <= 60  # after 5 in a minute: the rest of the minute
    assert any(600 < wait <= 3600 for wait in waits)  # after 20 in an hour: most of the hour
    assert max(waits) > 12 * 3600  # after 50 in a day: most of the day


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
    # The limiter is one object whose storage the latest app sets: the tests after these
    # must count in memory again (and on the clock limits_support can stop).
    memory = limiter._storage, limiter._limiter
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
        limiter._storage, limiter._limiter = memory
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)
        connection.close()


def test_sixth_failed_login_in_a_minute_is_refused_with_429_in_redis(redis_app):
    assert redis_app.config["RATELIMIT_STORAGE_URI"] == TEST_REDIS_URL
    assert_sixth_failure_is_refused(redis_app)
    connection = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = redis_app.config["RATELIMIT_KEY_PREFIX"]
    keys = [key.decode() for key in connection.scan_iter(match=f"*{prefix}*")]
    assert any("/login-failures/account/" in key and "/elsewhere" in key for key in keys)
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
