"""Logging in and out, server-side sessions and their timeouts, the login guard."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import g
from sqlalchemy import select

from tests.auth_support import TEST_PASSWORD, login, login_with_password, logout, make_user
from tests.conftest import PRODUCTION_SETTINGS, TEST_SECRET
from tests.factories import count_rows
from tracker import create_app
from tracker.auth.models import Role, SessionEnd, UserSession
from tracker.auth.services import token_digest
from tracker.auth.sessions import SESSION_KEY, public
from tracker.db import utcnow
from tracker.extensions import db

WRONG = "Wrong e-mail address or password."


def session_of(user) -> UserSession:
    """The user's newest session record, read fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id.desc())
    ).first()


def cookie_token(client) -> str | None:
    with client.session_transaction() as session:
        return session.get(SESSION_KEY)


# --- Logging in -------------------------------------------------------------------------------


def test_login_page_asks_for_email_and_password_with_a_csrf_token(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.text
    assert 'name="email"' in page and 'name="password"' in page
    assert 'name="csrf_token"' in page
    assert 'type="password"' in page
    assert 'autocomplete="current-password"' in page


def test_right_password_logs_in_and_the_navigation_names_the_user(client):
    user = make_user(Role.VIEWER, email="aigerim@greenwomen.kz")
    response = login_with_password(client, "aigerim@greenwomen.kz")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/campaigns/").text
    assert "aigerim@greenwomen.kz" in page
    assert 'action="/logout"' in page and "Log out" in page
    assert 'href="/account"' in page
    assert 'href="/login"' not in page
    record = session_of(user)
    assert record.ended_at is None and record.user_agent
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_email_is_matched_whatever_its_case_and_surrounding_spaces(client):
    make_user(email="lead@example.org")
    response = login_with_password(client, "  Lead@EXAMPLE.org ")
    assert response.status_code == 302


@pytest.mark.parametrize("case", ["wrong password", "unknown e-mail", "disabled account",
                                  "invited, no password yet", "empty password"])
def test_every_refused_login_reads_the_same_and_opens_no_session(client, case):
    make_user(email="lead@example.org", active=case != "disabled account",
              password=None if case.startswith("invited") else TEST_PASSWORD)
    email, password = "lead@example.org", TEST_PASSWORD
    if case == "wrong password":
        password = "not the password at all"
    elif case == "unknown e-mail":
        email = "nobody@example.org"
    elif case == "empty password":
        password = ""
    response = login_with_password(client, email, password)
    assert response.status_code == 422
    if case == "empty password":
        assert "Give your password." in response.text
    else:
        assert WRONG in response.text
    assert count_rows(UserSession) == 0
    assert cookie_token(client) is None
    assert 'value="lead@example.org"' in response.text or case == "unknown e-mail"


def test_login_without_csrf_token_is_refused(client):
    make_user(email="lead@example.org")
    response = client.post("/login", data={"email": "lead@example.org",
                                            "password": TEST_PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert count_rows(UserSession) == 0


def test_login_starts_a_fresh_cookie_session(client):
    make_user(email="lead@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login_with_password(client, "lead@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session[SESSION_KEY]
    # The cookie holds a random token; the database only its SHA-256.
    assert count_rows(UserSession) == 1
    record = db.session.scalar(select(UserSession))
    assert record.token_hash == token_digest(token) != token


@pytest.mark.parametrize("target", ["/orgs/?country=KZ", "/account"])
def test_login_goes_back_to_a_local_next_page(client, target):
    make_user(email="lead@example.org")
    response = login_with_password(client, "lead@example.org",
                                   query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/\n//evil.example", "orgs/",
])
def test_login_ignores_a_next_page_on_another_site(client, target):
    make_user(email="lead@example.org")
    response = login_with_password(client, "lead@example.org", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_logged_in_visitor_of_the_login_page_goes_on(client):
    login(client, make_user())
    response = client.get("/login?next=/orgs/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/orgs/"


@pytest.mark.fresh_app
def test_authenticated_requests_name_the_user_for_the_audit_trail(app, client):
    seen = {}

    def who():
        """Report the actor the audit trail would record."""
        seen["actor"] = g.get("audit_actor_id")
        return "ok"

    app.add_url_rule("/_test/who", "who", public(who))
    client.get("/_test/who")
    assert seen["actor"] is None
    user = make_user()
    login(client, user)
    client.get("/_test/who")
    assert seen["actor"] == user.id


# --- Logging out and replaying the cookie ---------------------------------------------------


def test_logout_ends_the_session_and_a_replayed_cookie_is_refused(client):
    user = make_user(email="lead@example.org")
    login_with_password(client, "lead@example.org")
    stolen = client.get_cookie("session").value
    response = logout(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You have logged out." in client.get("/login").text
    assert session_of(user).end_reason == SessionEnd.LOGOUT

    client.set_cookie("session", stolen)  # the old cookie, as someone who copied it would send it
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    page = client.get(response.headers["Location"]).text
    assert "Your session has ended. Please log in again." in page
    assert "lead@example.org" not in page


def test_logout_needs_the_csrf_token(client):
    user = make_user()
    login(client, user)
    response = client.post("/logout", csrf=False)
    assert response.status_code == 400
    assert session_of(user).ended_at is None
    assert client.get("/account").status_code == 200


def test_a_second_login_in_the_same_browser_ends_the_first_session(client):
    user = make_user(email="lead@example.org")
    login(client, user)
    first = session_of(user)
    login_with_password(client, "lead@example.org")
    db.session.refresh(first)
    assert first.end_reason == SessionEnd.LOGOUT


# --- Timeouts ---------------------------------------------------------------------------------


def age_session(user, *, idle: timedelta = timedelta(0), since_login: timedelta = timedelta(0)):
    record = session_of(user)
    now = utcnow()
    record.created_at = now - since_login
    record.last_seen_at = now - idle
    db.session.commit()


def test_a_session_idle_for_30_minutes_ends_with_a_clear_message(client):
    user = make_user()
    login(client, user)
    age_session(user, idle=timedelta(minutes=31), since_login=timedelta(hours=1))
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"
    page = client.get(response.headers["Location"]).text
    assert "You were logged out after 30 minutes without activity." in page
    assert session_of(user).end_reason == SessionEnd.IDLE
    assert cookie_token(client) is None


def test_activity_within_30_minutes_keeps_the_session_and_renews_it(client):
    user = make_user()
    login(client, user)
    age_session(user, idle=timedelta(minutes=29), since_login=timedelta(hours=2))
    assert client.get("/account").status_code == 200
    assert utcnow() - session_of(user).last_seen_at < timedelta(minutes=1)


def test_idle_timeout_follows_configuration(app, client):
    app.config["SESSION_IDLE_MINUTES"] = 5
    user = make_user()
    login(client, user)
    age_session(user, idle=timedelta(minutes=6))
    response = client.get("/account")
    assert response.status_code == 302
    assert "after 5 minutes without activity" in client.get(response.headers["Location"]).text


def test_a_session_ends_12_hours_after_login_however_active(client):
    user = make_user()
    login(client, user)
    age_session(user, idle=timedelta(seconds=5), since_login=timedelta(hours=12, minutes=1))
    response = client.get("/account")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Sessions last at most 12 hours" in page
    assert session_of(user).end_reason == SessionEnd.EXPIRED


def test_an_expired_session_on_an_open_page_just_logs_out(client):
    user = make_user()
    login(client, user)
    age_session(user, idle=timedelta(hours=1))
    response = client.get("/login")
    assert response.status_code == 200
    assert "without activity" in response.text
    assert 'name="password"' in response.text


# --- Password change and other sessions -------------------------------------------------------


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app):
    make_user(email="lead@example.org")
    laptop, phone = app.test_client(), app.test_client()
    login_with_password(laptop, "lead@example.org")
    login_with_password(phone, "lead@example.org")
    response = laptop.post("/account/password", data={
        "current_password": TEST_PASSWORD,
        "new_password": "lead paint samples in Osh 2027",
        "confirm_password": "lead paint samples in Osh 2027",
    })
    assert response.status_code == 302
    page = laptop.get("/account").text
    assert "Your password has been changed." in page
    response = phone.get("/account")
    assert response.status_code == 302
    assert "password of this account was changed" in phone.get(response.headers["Location"]).text
    # The new password works, the old one no longer does.
    assert login_with_password(app.test_client(), "lead@example.org").status_code == 422
    assert login_with_password(app.test_client(), "lead@example.org",
                               "lead paint samples in Osh 2027").status_code == 302


def test_log_out_everywhere_else_from_the_account_page(app):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    page = here.get("/account").text
    assert "This session" in page and "Log out everywhere else" in page
    response = here.post("/account/sessions/end-others")
    assert response.status_code == 302
    assert "Other sessions ended: 1." in here.get("/account").text
    assert elsewhere.get("/account").status_code == 302


# --- Cookies ----------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client):
    make_user(email="lead@example.org")
    response = login_with_password(client, "lead@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http must still work


def test_session_cookie_is_secure_in_production(database_url):
    app = create_app({"ENV": "production", "DATABASE_URL": database_url,
                      "SECRET_KEY": TEST_SECRET,
                      **PRODUCTION_SETTINGS})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.app_context():
        response = app.test_client().get("/login")
        db.session.remove()
        db.engine.dispose()
    assert "Secure" in response.headers["Set-Cookie"]


# --- Language ---------------------------------------------------------------------------------


def test_the_saved_language_applies_after_login(client):
    make_user(email="lead@example.org", language="ru")
    login_with_password(client, "lead@example.org")
    assert '<html lang="ru">' in client.get("/account").text


def test_a_language_chosen_before_login_wins_over_the_saved_one(client):
    make_user(email="lead@example.org", language="ru")
    client.post("/language", data={"language": "en", "next": "/login"})
    login_with_password(client, "lead@example.org")
    assert '<html lang="en">' in client.get("/account").text


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/orgs/\r\nSet-Cookie: x=1", "/orgs/\n",
    "//evil.example/", "/\\evil.example/", "https://evil.example/", "",
])
def test_the_language_switch_refuses_a_next_that_is_not_a_plain_local_path(client, target):
    response = client.post("/language", data={"language": "ru", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # A NUL never reaches the view: tests/test_hostile_input.py (a 400 page, no redirect).


# --- The login guard (LOGIN_REQUIRED) ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/orgs/", "/orgs/?country=KZ", "/campaigns/",
                                  "/rates", "/account", "/admin/users"])
def test_login_required_sends_anonymous_visitors_to_login_and_back(client, path):
    response = client.get(path)
    assert response.status_code == 302
    location = response.headers["Location"]
    if path == "/":
        assert location == "/login"
    else:
        assert location == "/login?next=" + quote(path, safe="/?")
    assert "Please log in to continue." in client.get(location).text
    make_user(Role.ADMIN, email="admin@example.org")
    response = client.post(location, data={"email": "admin@example.org",
                                           "password": TEST_PASSWORD})
    assert response.headers["Location"] == path


def test_login_required_keeps_login_health_static_and_language_open(app, client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
    response = client.post("/language", data={"language": "ru", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").text
    assert '<html lang="ru">' in page
    # Anonymous visitors are not shown links they cannot follow.
    assert 'href="/orgs/"' not in page


def test_login_required_refuses_anonymous_posts_and_writes_nothing(app, client):
    from tracker.orgs.models import Organization

    response = client.post("/orgs/new", data={"slug": "x", "name_en": "X", "country": "KZ",
                                              "kind": "ngo"})
    # Refused, but what was typed is kept for after logging in (tests/test_lost_work.py).
    assert response.status_code == 401
    assert "log in again to save what you typed" in response.text
    assert count_rows(Organization) == 0
    response = client.post("/orgs/x/edit", data={})  # nothing typed: simply asked to log in
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


@pytest.mark.fresh_app
def test_a_view_marked_public_is_open_with_login_required(app, client):
    def drive_page():
        """A public page, as a drive's progress page will be."""
        return "progress"

    app.add_url_rule("/_test/public", "public_page", public(drive_page))
    app.add_url_rule("/_test/private", "private_page", lambda: "secret")
    assert client.get("/_test/public").text == "progress"
    assert client.get("/_test/private").status_code == 302


def test_login_required_lets_a_logged_in_user_through(app, client):
    login(client, make_user())
    assert client.get("/orgs/").status_code == 200


def test_an_unknown_page_is_still_a_404_with_login_required(app, client):
    assert client.get("/no-such-page").status_code == 404
