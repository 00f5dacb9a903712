"""The outbox screens: administrators see failed and waiting mail and retry it; in
development they read every message itself."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tests.auth_support import login, make_user
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.mail.delivery import send_due_messages
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.mail.outbox import queue_message


def _queue(address: str, language: str = "en") -> OutboxMessage:
    message = queue_message(kind="test_message", recipient=address, language=language,
                            subject=_l("A test message from Tracker"),
                            context={"server": "smtp.example",
                                     "site_url": "http://localhost/"})
    assert message is not None
    return message


def _failed(address: str) -> OutboxMessage:
    message = _queue(address)
    db.session.flush()
    db.session.info.clear()
    message.status, message.attempts = MessageStatus.FAILED, 6
    message.last_error = "SMTPRecipientsRefused: 550 mailbox unavailable"
    db.session.commit()
    return message


def test_admins_see_failed_and_waiting_messages_with_their_errors(client, signed_in_admin):
    _failed("gone@example.org")
    waiting = _queue("later@example.org")
    db.session.flush()
    db.session.info.clear()
    waiting.attempts, waiting.last_error = 1, "451 4.3.0 Try again later"
    waiting.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.session.commit()

    page = client.get("/admin/mail").get_data(as_text=True)

    assert "gone@example.org" in page and "550 mailbox unavailable" in page
    assert "later@example.org" in page and "451 4.3.0 Try again later" in page
    assert "Failed <span" in page and "Waiting <span" in page
    assert page.count("Retry now") == 1  # only the failed one
    assert "Retry 1 failed message" in page

    failed_only = client.get("/admin/mail?status=failed").get_data(as_text=True)
    assert "gone@example.org" in failed_only and "later@example.org" not in failed_only
    assert client.get("/admin/mail?status=lost").status_code == 404


def test_the_outbox_page_never_shows_a_message_body(client, signed_in_admin):
    _failed("reset@example.org")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "This is a test message from Tracker." not in page


def test_retry_now_sends_a_failed_message_once(client, signed_in_admin, smtp_inbox):
    message = _failed("ana@example.org")

    response = client.post(f"/admin/mail/{message.id}/retry", follow_redirects=True)

    assert "Message to ana@example.org queued again." in response.get_data(as_text=True)
    assert [m["To"] for m in smtp_inbox.messages] == ["ana@example.org"]
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 1, "")


def test_retrying_a_message_that_has_not_failed_is_refused_and_changes_nothing(
        client, signed_in_admin, smtp_inbox):
    message = _queue("ana@example.org")
    db.session.commit()
    run_ready_jobs()
    db.session.refresh(message)
    assert message.status is MessageStatus.SENT

    response = client.post(f"/admin/mail/{message.id}/retry", follow_redirects=True)

    assert "Only a failed message can be retried; this one is Sent." in response.get_data(
        as_text=True)
    assert len(smtp_inbox.messages) == 1
    assert client.post("/admin/mail/999999/retry").status_code == 404


def test_retry_all_failed_makes_them_due_for_the_next_sweep(client, signed_in_admin,
                                                              smtp_inbox):
    for number in range(3):
        _failed(f"person{number}@example.org")

    response = client.post("/admin/mail/retry-failed", follow_redirects=True)

    assert "3 failed messages queued again" in response.get_data(as_text=True)
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [MessageStatus.QUEUED] * 3
    assert send_due_messages() == 3
    assert len(smtp_inbox.messages) == 3


def test_others_cannot_open_the_outbox(client):
    login(client, make_user(Role.COORDINATOR))
    assert client.get("/admin/mail").status_code == 403


# --- the development outbox ------------------------------------------------------------------


def test_in_development_an_admin_reads_each_message_as_html_and_text(app, client,
                                                                     signed_in_admin):
    app.config["ENV"] = "development"
    message = _queue("boris@example.org", language="ru")
    db.session.commit()
    run_ready_jobs()

    listing = client.get("/dev/mail").get_data(as_text=True)
    assert "Тестовое письмо из Tracker" in listing and "boris@example.org" in listing

    page = client.get(f"/dev/mail/{message.id}").get_data(as_text=True)
    assert "Это тестовое письмо из Tracker." in page  # the plain text
    assert f'src="/dev/mail/{message.id}/body.html"' in page

    html = client.get(f"/dev/mail/{message.id}/body.html")
    assert html.mimetype == "text/html"
    assert '<html lang="ru">' in html.get_data(as_text=True)
    policy = html.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_outside_development_the_message_pages_do_not_exist(app, client, signed_in_admin):
    message = _queue("boris@example.org")
    db.session.commit()
    for env in ("testing", "production"):
        app.config["ENV"] = env
        for path in ("/dev/mail", f"/dev/mail/{message.id}", f"/dev/mail/{message.id}/body.html"):
            assert client.get(path).status_code == 404, (env, path)
        assert "Read the messages" not in client.get("/admin/mail").get_data(as_text=True)
