"""TRACKER_TRUSTED_PROXIES: behind that many proxies the client's address, scheme and host
come from X-Forwarded-*; without it those headers are ignored, whoever sends them. Settings
of the login limits that cannot be read stop the app at start."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify, request

from tests.auth_support import make_user
from tests.conftest import make_test_app, rolled_back
from tests.limits_support import fail, succeed
from tracker.auth.models import UserSession
from tracker.auth.sessions import public
from tracker.config import ConfigurationError
from tracker.extensions import db


def add_echo(app: Flask) -> None:
    """A page that says what the app takes the client's address, scheme and host to be."""

    @app.get("/_echo")
    @public
    def echo():
        return jsonify(address=request.remote_addr, scheme=request.scheme, host=request.host)


@pytest.fixture
def proxied(database_url):
    """An app behind one trusted proxy (and its route to ask what it sees)."""
    app = make_test_app(database_url, TRUSTED_PROXIES=1)
    add_echo(app)
    with app.app_context():
        with rolled_back(db.engine):
            yield app
        db.engine.dispose()


FORWARDED = {"X-Forwarded-For": "198.51.100.23", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "tracker.example.org"}


@pytest.mark.fresh_app
def test_without_trusted_proxies_forwarded_headers_are_ignored(app):
    assert app.config["TRUSTED_PROXIES"] == 0
    add_echo(app)
    seen = app.test_client().get("/_echo", headers=FORWARDED,
                                 environ_base={"REMOTE_ADDR": "10.0.0.1"}).json
    assert seen == {"address": "10.0.0.1", "scheme": "http", "host": "localhost"}


def test_a_forged_forwarded_for_does_not_escape_the_address_ceiling(app):
    app.config["LOGIN_ADDRESS_LIMITS"] = "3/minute"
    make_user(email="lead@example.org")
    for n in range(3):
        response = app.test_client().post(
            "/login", data={"email": f"guess{n}@example.org", "password": "x"},
            headers={"X-Forwarded-For": f"192.0.2.{n}"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert response.status_code == 422
    response = app.test_client().post(
        "/login", data={"email": "lead@example.org", "password": "x"},
        headers={"X-Forwarded-For": "192.0.2.200"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 429


def test_behind_one_trusted_proxy_the_client_is_who_it_forwards(proxied):
    seen = proxied.test_client().get("/_echo", headers=FORWARDED,
                                     environ_base={"REMOTE_ADDR": "10.0.0.1"}).json
    assert seen == {"address": "198.51.100.23", "scheme": "https",
                    "host": "tracker.example.org"}


def test_only_as_many_hops_as_trusted_count(database_url):
    app = make_test_app(database_url, TRUSTED_PROXIES=2)
    add_echo(app)
    with app.app_context():
        # The client forged the first entry; the outer proxy added the real client's address.
        seen = app.test_client().get(
            "/_echo", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.23, 10.0.0.2"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"}).json
        db.session.remove()  # give its connection back before the pool is closed
        db.engine.dispose()
    assert seen["address"] == "198.51.100.23"


def test_behind_a_trusted_proxy_limits_and_sessions_see_the_real_addresses(proxied):
    proxied.config["LOGIN_ADDRESS_LIMITS"] = "3/minute"
    make_user(email="lead@example.org")

    def via_proxy(client_address: str) -> dict:
        return {"headers": {"X-Forwarded-For": client_address},
                "environ_base": {"REMOTE_ADDR": "10.0.0.1"}}

    client = proxied.test_client()
    for n in range(3):
        response = client.post("/login", data={"email": f"guess{n}@example.org", "password": "x"},
                               **via_proxy("192.0.2.66"))
        assert response.status_code == 422
    assert client.post("/login", data={"email": "x@example.org", "password": "x"},
                       **via_proxy("192.0.2.66")).status_code == 429
    # A colleague behind the same proxy is someone else.
    response = proxied.test_client().post(
        "/login", data={"email": "lead@example.org", "password": "plum orchard under snow 7"},
        **via_proxy("198.51.100.23"))
    assert response.status_code == 302
    assert db.session.query(UserSession).one().ip_address == "198.51.100.23"


@pytest.mark.parametrize("hops", ["many", -1, 1.5, True])
def test_trusted_proxies_must_be_a_hop_count(database_url, hops):
    with pytest.raises(ConfigurationError, match="TRACKER_TRUSTED_PROXIES"):
        make_test_app(database_url, TRUSTED_PROXIES=hops)


def test_trusted_proxies_is_read_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", "1")
    app = make_test_app(database_url)
    assert app.config["TRUSTED_PROXIES"] == 1
    add_echo(app)
    with app.app_context():
        seen = app.test_client().get("/_echo", headers=FORWARDED).json
        db.session.remove()  # give its connection back before the pool is closed
        db.engine.dispose()
    assert seen["address"] == "198.51.100.23"


def test_without_proxies_the_session_records_the_connecting_address(app):
    make_user(email="lead@example.org")
    assert fail(app.test_client(), address="203.0.113.9").status_code == 422
    assert succeed(app.test_client(), address="203.0.113.9").status_code == 302
    assert db.session.query(UserSession).one().ip_address == "203.0.113.9"


@pytest.mark.parametrize("setting", ["LOGIN_ACCOUNT_LIMITS", "LOGIN_ADDRESS_LIMITS"])
def test_login_limits_that_cannot_be_read_stop_the_start(database_url, setting):
    with pytest.raises(ConfigurationError, match=f"TRACKER_{setting}"):
        make_test_app(database_url, **{setting: "five a minute"})
