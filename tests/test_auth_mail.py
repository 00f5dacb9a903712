"""The account messages (issue 12): invitations, resets from the login page, security notices.

Every message is received by a real SMTP server (`smtp_inbox`) and its links are followed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
import redis
from rq import Queue
from sqlalchemy import select, text

import tracker.auth.notices
from tests.auth_support import TEST_PASSWORD, login, login_with_password, make_user
from tests.conftest import IN_CI
from tests.factories import count_rows
from tests.limits_support import fail, stopped_clock
from tests.mail_support import html_part, text_part
from tracker.auth.models import FailedLogins, Invite, Role, User
from tracker.db import utcnow
from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.mail.models import OutboxMessage

NEW_PASSWORD = "a heron over the delta 19"
JOBS_REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of these tests' own


def link_in(message: EmailMessage, kind: str) -> str:
    """The path of the one-time link in the message, the same in its text and its HTML."""
    pattern = rf"http://localhost(/{kind}/[A-Za-z0-9_-]{{40,}})"
    text_links = re.findall(pattern, text_part(message))
    html_links = re.findall(rf'href="{pattern}"', html_part(message))
    assert text_links and set(text_links) == set(html_links), "no link, or two different ones"
    return text_links[0]


def received(inbox, address: str) -> list[EmailMessage]:
    run_ready_jobs()  # what a request's teardown has not sent yet (a test's own commits)
    return inbox.to(address)


def set_password(client, path: str, password: str = NEW_PASSWORD, **kwargs):
    return client.post(path, data={"new_password": password, "confirm_password": password},
                       **kwargs)


def ask_reset(client, email: str, address: str = "203.0.113.9"):
    return client.post("/password/forgot", data={"email": email},
                       environ_base={"REMOTE_ADDR": address})


def invite_form(**overrides) -> dict:
    form = {"email": "new.person@example.org", "role": "fundraiser", "organization": "",
            "language": "ru"}
    form.update(overrides)
    return form


# --- Invitations ------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "subject", "role_line", "then"), [
    ("en", "Your invitation to Tracker",
     "admin@example.org has invited you to Tracker, the funding tracker of the EECCA "
     "chemical-safety coalition, with the role “Fundraiser”.",
     "Then log in with your e-mail address, new.person@example.org, and that password."),
    ("ru", "Приглашение в Tracker",
     "admin@example.org приглашает вас в Tracker — систему учёта финансирования коалиции "
     "ВЕКЦА по химической безопасности — с ролью «Фандрайзер».",
     "Затем входите с адресом электронной почты new.person@example.org и этим паролем."),
])
def test_the_admin_screens_invitation_arrives_in_the_new_users_language(
        app, client, signed_in_admin, smtp_inbox, language, subject, role_line, then):
    page = client.post("/admin/users/invite", data=invite_form(language=language)).text

    # The admin still sees the link, in case the message does not arrive.
    assert "The link is on its way to new.person@example.org" in page
    shown = re.search(r'value="http://localhost(/invite/[A-Za-z0-9_-]+)"', page).group(1)
    [message] = received(smtp_inbox, "new.person@example.org")
    assert message["Subject"] == subject and message["Content-Language"] == language
    text = text_part(message)
    assert role_line in text and then in text
    assert f'<html lang="{language}">' in html_part(message)
    path = link_in(message, "invite")
    assert path == shown

    person = app.test_client()
    response = set_password(person, path)
    assert response.status_code == 302
    assert person.get("/account").status_code == 200
    assert login_with_password(app.test_client(), "new.person@example.org",
                               NEW_PASSWORD).status_code == 302
    # Setting the first password is no news to its owner: no "password changed" notice.
    assert received(smtp_inbox, "new.person@example.org") == [message]


def test_a_refused_invitation_sends_nothing(client, signed_in_admin, smtp_inbox):
    response = client.post("/admin/users/invite", data=invite_form(email="not an address"))
    assert response.status_code == 422
    assert received(smtp_inbox, "not an address") == [] and smtp_inbox.messages == []
    assert count_rows(OutboxMessage) == 0


def test_create_user_invite_mails_the_invitation_instead_of_asking_a_password(
        app, runner, smtp_inbox):
    result = runner.invoke(args=["create-user", "Lead@Example.org", "--role", "lead",
                                 "--language", "en", "--invite"])
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output  # nothing was asked
    assert "Created the account lead@example.org with the role Campaign lead." in result.output
    assert "Invitation to lead@example.org: Sent." in result.output
    assert "/invite/" not in result.output  # sent: the link is only in the message

    [message] = received(smtp_inbox, "lead@example.org")
    assert "You are invited to Tracker" in text_part(message)
    assert "“Campaign lead”" in text_part(message)
    user = db.session.scalar(select(User).where(User.email == "lead@example.org"))
    assert user.password_hash is None and user.language == "en"
    person = app.test_client()
    assert set_password(person, link_in(message, "invite")).status_code == 302
    assert person.get("/account").status_code == 200


def test_create_user_invite_prints_the_link_when_the_mail_server_refuses(
        app, runner, smtp_inbox):
    smtp_inbox.refuse(times=1)
    result = runner.invoke(args=["create-user", "lead@example.org", "--role", "viewer",
                                 "--invite"])
    assert result.exit_code == 0, result.output
    assert "Invitation to lead@example.org: Waiting." in result.output
    assert "451" in result.stderr
    path = re.search(r"http://localhost(/invite/[A-Za-z0-9_-]+)", result.stderr).group(1)
    assert set_password(app.test_client(), path).status_code == 302


def test_create_user_refuses_invite_together_with_a_password(runner, smtp_inbox):
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "viewer",
                                 "--invite", "--password-stdin"], input=TEST_PASSWORD)
    assert result.exit_code == 2
    assert "Give either --invite or --password-stdin, not both." in result.output
    assert count_rows(User) == 0 and count_rows(OutboxMessage) == 0


def test_an_admins_new_link_for_a_forgotten_password_is_mailed_as_a_reset(
        app, client, signed_in_admin, smtp_inbox):
    user = make_user(email="lead@example.org", language="ru")
    page = client.post(f"/admin/users/{user.id}/link").text
    assert "The link is on its way to lead@example.org" in page

    [message] = received(smtp_inbox, "lead@example.org")
    assert message["Subject"] == "Ссылка, чтобы задать новый пароль в Tracker"
    assert "Администратором Tracker (admin@example.org)" in text_part(message)
    assert set_password(app.test_client(), link_in(message, "password/reset")).status_code == 302


# --- Resetting a forgotten password from the login page ----------------------------------------


def test_the_login_page_leads_to_the_reset_form(client):
    login_page = client.get("/login").text
    assert 'href="/password/forgot"' in login_page and "Forgot your password?" in login_page
    form = client.get("/password/forgot")
    assert form.status_code == 200 and "E-mail me a link" in form.text


@pytest.mark.parametrize(("language", "subject", "opening"), [
    ("en", "A link to set a new Tracker password",
     "Someone, probably you, asked on Tracker's login page for a new password for the "
     "account lead@example.org."),
    ("ru", "Ссылка, чтобы задать новый пароль в Tracker",
     "Кто-то — вероятно, вы — запросил на странице входа в Tracker новый пароль для учётной "
     "записи lead@example.org."),
])
def test_a_reset_link_sets_a_new_password_once_and_ends_other_sessions(
        app, smtp_inbox, language, subject, opening):
    make_user(email="lead@example.org", language=language)
    elsewhere = app.test_client()
    assert login_with_password(elsewhere, "lead@example.org").status_code == 302

    response = ask_reset(app.test_client(), "Lead@Example.org ")
    assert response.status_code == 200
    [message] = received(smtp_inbox, "lead@example.org")
    assert message["Subject"] == subject and opening in text_part(message)
    path = link_in(message, "password/reset")

    person = app.test_client()
    form = person.get(path)
    assert form.status_code == 200 and "lead@example.org" in form.text
    assert "Choose a new password" in form.text  # in the browser's language, English here
    response = set_password(person, path)
    assert response.status_code == 302
    assert person.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302  # the other session has ended
    assert login_with_password(app.test_client(), "lead@example.org").status_code == 422
    assert login_with_password(app.test_client(), "lead@example.org",
                               NEW_PASSWORD).status_code == 302

    # Used once: a second use is refused and changes nothing.
    again = set_password(app.test_client(), path, "another quite long password 7")
    assert again.status_code == 404 and "This link is no longer valid" in again.text
    assert login_with_password(app.test_client(), "lead@example.org",
                               NEW_PASSWORD).status_code == 302


def test_an_expired_reset_link_is_refused(app, smtp_inbox):
    make_user(email="lead@example.org")
    ask_reset(app.test_client(), "lead@example.org")
    [message] = received(smtp_inbox, "lead@example.org")
    invite = db.session.scalar(select(Invite))
    assert timedelta(minutes=59) < invite.expires_at - utcnow() <= timedelta(minutes=60)
    invite.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = set_password(app.test_client(), link_in(message, "password/reset"))
    assert response.status_code == 404
    assert 'href="/password/forgot"' in response.text  # where to ask for a new one
    assert login_with_password(app.test_client(), "lead@example.org").status_code == 302


def test_a_newer_reset_link_replaces_the_older_one(app, smtp_inbox):
    make_user(email="lead@example.org")
    ask_reset(app.test_client(), "lead@example.org")
    ask_reset(app.test_client(), "lead@example.org")
    first, second = received(smtp_inbox, "lead@example.org")
    assert app.test_client().get(link_in(first, "password/reset")).status_code == 404
    assert set_password(app.test_client(), link_in(second, "password/reset")).status_code == 302


def test_the_request_does_the_same_work_whether_or_not_the_address_has_an_account(
        app, smtp_inbox):
    # With Redis, as in production: one lookup and one job either way, nothing written, so
    # the answer takes as long; the job (a worker's) does the rest or nothing.
    connection = redis.Redis.from_url(JOBS_REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {JOBS_REDIS_URL} cannot be reached: {error}")
        pytest.skip(f"Redis at {JOBS_REDIS_URL} cannot be reached: {error}")
    queue = Queue("tracker", connection=connection)
    queue.empty()
    user = make_user(email="lead@example.org")
    app.config["REDIS_URL"] = JOBS_REDIS_URL
    try:
        assert ask_reset(app.test_client(), "lead@example.org").status_code == 200
        assert ask_reset(app.test_client(), "nobody@example.org").status_code == 200
        jobs = queue.get_jobs()
        assert [(job.func_name, job.args) for job in jobs] == [
            ("tracker.auth.invites.send_reset_link", (user.id,)),
            ("tracker.auth.invites.send_reset_link", (None,))]
        assert count_rows(Invite) == 0 and count_rows(OutboxMessage) == 0
        assert "example.org" not in repr([job.args for job in jobs])  # no address in Redis

        app.config["REDIS_URL"] = None
        for job in jobs:  # what a worker does
            job.func(*job.args, **job.kwargs)
        [message] = received(smtp_inbox, "lead@example.org")
        assert len(smtp_inbox.messages) == 1
        assert set_password(app.test_client(), link_in(message, "password/reset")).status_code \
            == 302
    finally:
        queue.empty()
        app.extensions.pop("tracker.redis", None)  # the shared app's cached connection
        connection.close()


def without(page: str, *words: str) -> str:
    for word in words:
        page = page.replace(word, "ADDRESS")
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page)


@pytest.mark.parametrize("account", ["unknown", "disabled", "demo"])
def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
        app, smtp_inbox, account):
    make_user(email="lead@example.org")
    other = {"unknown": "nobody@example.org", "disabled": "gone@example.org",
             "demo": "lead@demo.tracker"}[account]
    if account != "unknown":  # a disabled account, a demo account outside development
        make_user(email=other, active=account != "disabled")

    known = ask_reset(app.test_client(), "lead@example.org")
    unknown = ask_reset(app.test_client(), other)

    assert known.status_code == unknown.status_code == 200
    assert without(known.text, "lead@example.org") == without(unknown.text, other)
    assert "If lead@example.org is the address of an active account" in known.text
    assert len(received(smtp_inbox, "lead@example.org")) == 1
    assert received(smtp_inbox, other) == []
    assert len(smtp_inbox.messages) == 1
    assert count_rows(Invite) == 1


@pytest.mark.parametrize(("email", "error"), [
    ("  ", "Give your e-mail address."),
    ("lead at example.org", "Give a valid e-mail address, e.g. name@example.org."),
])
def test_a_bad_reset_form_is_refused_and_sends_nothing(client, smtp_inbox, email, error):
    make_user(email="lead@example.org")
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 422 and error in response.text
    assert count_rows(OutboxMessage) == 0 and count_rows(Invite) == 0


def test_resets_for_one_address_are_limited_whether_or_not_it_has_an_account(
        app, smtp_inbox, monkeypatch):
    clock = stopped_clock(monkeypatch)
    make_user(email="lead@example.org", language="ru")
    for n in range(3):  # PASSWORD_RESET_ACCOUNT_LIMITS: 3 an hour, from any client address
        assert ask_reset(app.test_client(), "lead@example.org", f"198.51.100.{n}").status_code \
            == 200
        assert ask_reset(app.test_client(), "nobody@example.org",
                         f"198.51.100.{n}").status_code == 200

    refused = ask_reset(app.test_client(), "lead@example.org", "198.51.100.77")
    unknown = ask_reset(app.test_client(), "nobody@example.org", "198.51.100.77")
    assert refused.status_code == unknown.status_code == 429
    assert "Too many requests for a new password; please try again in 1 hour." in refused.text
    assert refused.headers["Retry-After"] == unknown.headers["Retry-After"]
    assert len(received(smtp_inbox, "lead@example.org")) == 3  # no more than the limit

    clock.advance(3601)
    assert ask_reset(app.test_client(), "lead@example.org", "198.51.100.77").status_code == 200
    assert len(received(smtp_inbox, "lead@example.org")) == 4


def test_resets_from_one_client_address_are_limited(app, smtp_inbox, monkeypatch):
    stopped_clock(monkeypatch)
    for n in range(10):  # PASSWORD_RESET_ADDRESS_LIMITS: 10 an hour, across addresses
        assert ask_reset(app.test_client(), f"person{n}@example.org").status_code == 200
    make_user(email="lead@example.org")
    assert ask_reset(app.test_client(), "lead@example.org").status_code == 429
    assert ask_reset(app.test_client(), "lead@example.org", "198.51.100.1").status_code == 200
    assert len(received(smtp_inbox, "lead@example.org")) == 1


# --- Security notices ---------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "subject", "line"), [
    ("en", "Your Tracker password was changed",
     r"The password of your Tracker account lead@example\.org was changed on .+ UTC from the "
     r"address 127\.0\.0\.1\. Your other sessions have ended\."),
    ("ru", "Ваш пароль в Tracker изменён",
     r"Пароль вашей учётной записи Tracker lead@example\.org изменён .+ UTC с адреса "
     r"127\.0\.0\.1\. Остальные ваши сеансы завершены\."),
])
def test_a_password_change_on_the_account_page_is_notified(
        app, client, smtp_inbox, language, subject, line):
    user = make_user(email="lead@example.org", language=language)
    login(client, user)
    response = client.post("/account/password", data={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302

    [message] = received(smtp_inbox, "lead@example.org")
    assert message["Subject"] == subject
    assert re.search(line, text_part(message))
    assert 'href="http://localhost/password/forgot"' in html_part(message)


def test_a_refused_password_change_sends_no_notice(client, smtp_inbox):
    login(client, make_user(email="lead@example.org"))
    response = client.post("/account/password", data={
        "current_password": "not my password", "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 422
    assert received(smtp_inbox, "lead@example.org") == []


def test_a_reset_is_notified_after_it_is_used(app, smtp_inbox):
    make_user(email="lead@example.org")
    ask_reset(app.test_client(), "lead@example.org")
    [link_message] = received(smtp_inbox, "lead@example.org")
    set_password(app.test_client(), link_in(link_message, "password/reset"),
                 environ_base={"REMOTE_ADDR": "192.0.2.44"})

    _, notice = received(smtp_inbox, "lead@example.org")
    assert notice["Subject"] == "Your Tracker password was changed"
    assert "from the address 192.0.2.44" in text_part(notice)


@pytest.mark.parametrize(("language", "subject", "count_line"), [
    ("en", "Someone is trying to log in to your Tracker account",
     r"Failed logins since your last login: 5\. The first on .+ UTC, the last on .+ UTC "
     r"from the address 198\.51\.100\.4\."),
    ("ru", "Кто-то пытается войти в вашу учётную запись Tracker",
     r"Неудачных попыток входа после вашего последнего входа: 5\. Первая — .+ UTC, "
     r"последняя — .+ UTC с адреса 198\.51\.100\.4\."),
])
def test_an_account_being_guessed_is_notified_once(app, smtp_inbox, language, subject,
                                                  count_line):
    make_user(email="lead@example.org", language=language)
    for n in range(app.config["LOGIN_FAILURE_ALERT_AT"] + 2):
        fail(app.test_client(), address=f"198.51.100.{n}")

    [message] = received(smtp_inbox, "lead@example.org")
    assert message["Subject"] == subject
    assert re.search(count_line, text_part(message))
    assert 'href="http://localhost/account"' in html_part(message)
    assert "http://localhost/password/forgot" in text_part(message)


def test_a_failing_notice_never_changes_the_refusal_nor_loses_the_count(app, smtp_inbox,
                                                                         monkeypatch):
    make_user(email="lead@example.org")

    def broken(*_args, **_kwargs):
        raise RuntimeError("the template is broken")

    monkeypatch.setattr(tracker.auth.notices, "failed_logins", broken)
    threshold = app.config["LOGIN_FAILURE_ALERT_AT"]
    responses = [fail(app.test_client(), address=f"198.51.100.{n}") for n in range(threshold)]

    assert [r.status_code for r in responses] == [422] * threshold
    db.session.expire_all()
    assert db.session.scalar(select(FailedLogins.count)) == threshold
    assert received(smtp_inbox, "lead@example.org") == []


def test_a_database_error_in_the_notice_is_undone_alone(app, smtp_inbox, monkeypatch):
    # On PostgreSQL a failed statement spoils the whole transaction unless it ran in a
    # savepoint: the refused login's count would be lost with it.
    make_user(email="lead@example.org")

    def broken(**_kwargs):
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(tracker.auth.notices, "queue_message", broken)
    threshold = app.config["LOGIN_FAILURE_ALERT_AT"]
    responses = [fail(app.test_client(), address=f"198.51.100.{n}") for n in range(threshold)]

    assert [r.status_code for r in responses] == [422] * threshold
    db.session.expire_all()
    assert db.session.scalar(select(FailedLogins.count)) == threshold


def test_guessing_a_disabled_account_notifies_nobody(app, smtp_inbox):
    make_user(email="lead@example.org", active=False)
    for n in range(app.config["LOGIN_FAILURE_ALERT_AT"]):
        fail(app.test_client(), address=f"198.51.100.{n}")
    assert smtp_inbox.messages == []


def access_form(role: str) -> dict:
    return {"role": role, "organization": ""}


@pytest.mark.parametrize(("language", "old", "new", "line"), [
    ("en", Role.VIEWER, "coordinator",
     "admin@example.org has given your Tracker account person@example.org the role "
     "“Regional coordinator” (before: “Viewer”) on "),
    ("ru", Role.COORDINATOR, "admin",
     "Вашей учётной записи Tracker person@example.org назначена роль «Администратор» "
     "(прежняя роль: «Региональный координатор»), "),
])
def test_a_new_admin_or_coordinator_role_is_notified(client, signed_in_admin, smtp_inbox,
                                                     language, old, new, line):
    user = make_user(old, email="person@example.org", language=language)
    assert client.post(f"/admin/users/{user.id}", data=access_form(new)).status_code == 302

    [message] = received(smtp_inbox, "person@example.org")
    assert line in text_part(message)
    assert 'href="http://localhost/"' in html_part(message)


@pytest.mark.parametrize(("old", "new"), [
    (Role.VIEWER, "fundraiser"), (Role.ADMIN, "coordinator"), (Role.COORDINATOR, "viewer"),
    (Role.COORDINATOR, "coordinator"),
])
def test_other_role_changes_are_not_notified(client, signed_in_admin, smtp_inbox, old, new):
    user = make_user(old, email="person@example.org")
    assert client.post(f"/admin/users/{user.id}", data=access_form(new)).status_code == 302
    assert received(smtp_inbox, "person@example.org") == []


def test_a_refused_role_change_sends_nothing(client, signed_in_admin, smtp_inbox):
    user = make_user(Role.VIEWER, email="person@example.org")
    response = client.post(f"/admin/users/{user.id}",
                           data={"role": "coordinator", "organization": "999999"})
    assert response.status_code == 422
    assert received(smtp_inbox, "person@example.org") == []


def test_a_long_russian_subject_arrives_whole(app, smtp_inbox):
    # Python's header folding once dropped the space between two encoded words.
    make_user(email="lead@example.org", language="ru")
    for n in range(app.config["LOGIN_FAILURE_ALERT_AT"]):
        fail(app.test_client(), address=f"198.51.100.{n}")
    [message] = received(smtp_inbox, "lead@example.org")
    assert message["Subject"] == "Кто-то пытается войти в вашу учётную запись Tracker"
