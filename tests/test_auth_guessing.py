"""An account being guessed: its owner is told at the next login; the account page's
current-password check is limited like logins (issue 11, findings 2 and 8)."""

from __future__ import annotations

import re

from sqlalchemy import select

import tracker.auth.failures
from tests.auth_support import TEST_PASSWORD, login, logout, make_user
from tests.limits_support import WRONG_PASSWORD, fail, stopped_clock, succeed
from tracker.auth.models import FailedLogins, User
from tracker.auth.passwords import verify_password
from tracker.extensions import db

NEW_PASSWORD = "a lantern in the reeds 42"


def failed_logins_rows() -> list[FailedLogins]:
    db.session.expire_all()
    return list(db.session.scalars(select(FailedLogins)))


# --- The owner is told ------------------------------------------------------------------------


def test_the_owner_is_told_of_failed_logins_at_the_next_login_and_only_then(app):
    make_user(email="lead@example.org")
    for n in range(3):
        assert fail(app.test_client(), address=f"198.51.100.{n + 5}").status_code == 422
    owner = app.test_client()
    response = succeed(owner, address="203.0.113.7")
    assert response.status_code == 302
    page = owner.get(response.headers["Location"]).text
    assert re.search(r"3 failed attempts to log in to your account since your last login, the "
                     r"last on [^<]+ UTC from 198\.51\.100\.7\.", page)
    assert failed_logins_rows() == []
    logout(owner)
    page = owner.get(succeed(owner).headers["Location"]).text
    assert "failed attempt" not in page


def test_one_failed_login_reads_in_the_singular_and_in_russian(app):
    make_user(email="lead@example.org", language="ru")
    fail(app.test_client(), address="198.51.100.5")
    owner = app.test_client()
    page = owner.get(succeed(owner).headers["Location"]).text
    assert "1 неудачная попытка" in page and "198.51.100.5" in page


def test_failures_for_an_unknown_address_or_an_empty_form_store_nothing(app):
    make_user(email="lead@example.org")
    assert fail(app.test_client(), "nobody@example.org").status_code == 422
    client = app.test_client()
    response = client.post("/login", data={"email": "lead@example.org", "password": ""})
    assert response.status_code == 422
    assert failed_logins_rows() == []


def test_the_hook_for_mail_is_called_once_when_the_guessing_reaches_the_threshold(
        app, monkeypatch):
    owner = make_user(email="lead@example.org")
    alerts: list[tuple[int, int]] = []
    monkeypatch.setattr(tracker.auth.failures, "alert_owner",
                        lambda user, report: alerts.append((user.id, report.count)))
    threshold = app.config["LOGIN_FAILURE_ALERT_AT"]
    for n in range(threshold + 2):
        fail(app.test_client(), address=f"198.51.100.{n}")
    assert alerts == [(owner.id, threshold)]
    [row] = failed_logins_rows()
    assert row.count == threshold  # the account's limit refused the rest before the password


def test_the_default_hook_leaves_a_warning_in_the_log(app, caplog):
    make_user(email="lead@example.org")
    for n in range(app.config["LOGIN_FAILURE_ALERT_AT"]):
        fail(app.test_client(), address=f"198.51.100.{n}")
    assert "failed logins since its last login" in caplog.text
    assert "lead@example.org" not in caplog.text


# --- Finding 8: guessing the current password on the account page ----------------------------


def change(client, current: str, new: str = NEW_PASSWORD):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm_password": new})


def password_hash_of(user: User) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash  # type: ignore[union-attr]


def test_guessing_the_current_password_is_limited_like_logins(app, client, monkeypatch):
    """Issue 11, finding 8: the password-change form allowed unlimited guesses."""
    user = make_user(email="lead@example.org")
    login(client, user)
    clock = stopped_clock(monkeypatch)
    for _ in range(5):
        response = change(client, WRONG_PASSWORD)
        assert response.status_code == 422
        assert "The current password is not correct." in response.text
    before = password_hash_of(user)
    response = change(client, TEST_PASSWORD)  # the right one now waits too
    assert response.status_code == 429
    assert "Too many wrong passwords; please try again in 1 minute." in response.text
    assert response.headers["Retry-After"] == "60"
    assert 'name="current_password"' in response.text  # the account page, with the form
    assert password_hash_of(user) == before
    clock.advance(61)
    assert change(client, TEST_PASSWORD).status_code == 302
    assert verify_password(password_hash_of(user), NEW_PASSWORD)


def test_a_refused_new_password_is_no_guess(app, client):
    user = make_user(email="lead@example.org")
    login(client, user)
    for _ in range(7):
        response = change(client, TEST_PASSWORD, new="short")
        assert response.status_code == 422
    assert change(client, TEST_PASSWORD).status_code == 302


def test_one_accounts_guesses_do_not_limit_another(app):
    first, second = make_user(email="first@example.org"), make_user(email="second@example.org")
    guesser, other = app.test_client(), app.test_client()
    login(guesser, first)
    login(other, second)
    for _ in range(5):
        change(guesser, WRONG_PASSWORD)
    assert change(guesser, WRONG_PASSWORD).status_code == 429
    assert change(other, TEST_PASSWORD).status_code == 302
