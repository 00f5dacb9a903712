"""Security headers on every response, framing only where allowed, and the request size limit."""

from __future__ import annotations

import pytest

from tests.auth_support import login, make_user
from tests.conftest import PRODUCTION_SETTINGS, TEST_SECRET
from tracker import create_app
from tracker.auth.headers import frameable
from tracker.extensions import db

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def assert_security_headers(response) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # only in production


@pytest.mark.parametrize(("path", "status"), [
    ("/login", 200), ("/orgs/", 302), ("/healthz", 200), ("/no-such-page", 404),
    ("/static/css/app.css", 200), ("/account", 302),
])
def test_every_response_carries_the_security_headers(client, path, status):
    with client.get(path) as response:  # anonymous: screens redirect to the login page
        assert response.status_code == status
        assert_security_headers(response)


def test_error_pages_and_refused_posts_carry_them_too(client):
    response = client.post("/login", data={"email": "x"}, csrf=False)
    assert response.status_code == 400
    assert_security_headers(response)


def test_pages_with_a_users_data_are_not_cached(client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, make_user())
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script_or_style(client):
    login(client, make_user())
    for path in ("/login", "/account"):
        page = client.get(path).text
        assert "<script>" not in page and " onclick=" not in page and "<style" not in page
        assert ' style="' not in page


def test_hsts_is_sent_in_production(database_url):
    app = create_app({"ENV": "production", "DATABASE_URL": database_url,
                      "SECRET_KEY": TEST_SECRET,
                      **PRODUCTION_SETTINGS})
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.session.remove()
        db.engine.dispose()
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["Content-Security-Policy"] == CSP


@pytest.mark.fresh_app
def test_a_frameable_view_may_be_put_in_other_sites_frames(app, client):
    def widget():
        """A drive's progress widget, for embedding on member NGOs' sites."""
        return "progress"

    def partners_only():
        """A widget only the named sites may frame."""
        return "progress"

    app.add_url_rule("/_test/widget", "widget", frameable(widget))
    app.add_url_rule("/_test/partners", "partners",
                     frameable(ancestors="https://greenwomen.kz")(partners_only))
    response = client.get("/_test/widget")
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors *") and "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    policy = client.get("/_test/partners").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors https://greenwomen.kz")


def test_an_oversize_post_gets_the_413_page_and_writes_nothing(client):
    too_big = "x" * (2 * 1024 * 1024 + 1)
    response = client.post("/login", data={"email": "a@example.org", "password": too_big})
    assert response.status_code == 413
    assert "The upload is too large" in response.text
    assert_security_headers(response)
