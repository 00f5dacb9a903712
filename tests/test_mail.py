"""The outbox: a message is written with its cause, sent once after the commit, retried."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tests.mail_support import html_part, text_part, written_messages
from tracker.db import utcnow
from tracker.extensions import db
from tracker.jobs import run_ready_jobs
from tracker.mail.delivery import send_due_messages
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.mail.outbox import queue_message


def _queue(address: str = "ana@example.org", language: str = "en", **extra):
    return queue_message(kind="test_message", recipient=address, language=language,
                         subject=_l("A test message from Tracker"),
                         context={"server": "smtp.example", "site_url": "http://localhost/"},
                         **extra)


def test_a_message_is_sent_over_smtp_after_the_commit_with_text_and_html(app, smtp_inbox):
    message = _queue()
    assert smtp_inbox.messages == []  # nothing leaves before the commit
    db.session.commit()
    run_ready_jobs()

    [received] = smtp_inbox.to("ana@example.org")
    assert received["Subject"] == "A test message from Tracker"
    assert "This is a test message from Tracker." in text_part(received)
    assert 'href="http://localhost/"' in html_part(received)
    assert received["Content-Language"] == "en"
    db.session.refresh(message)
    assert message.status is MessageStatus.SENT and message.attempts == 1


def test_a_message_is_rendered_in_the_recipients_language(app, smtp_inbox):
    _queue(language="ru")
    db.session.commit()
    run_ready_jobs()

    [received] = smtp_inbox.messages
    assert received["Subject"] == "Тестовое письмо из Tracker"
    assert "Это тестовое письмо из Tracker." in text_part(received)
    assert '<html lang="ru">' in html_part(received)


def test_a_rolled_back_cause_sends_nothing(app, smtp_inbox):
    _queue()
    db.session.rollback()
    run_ready_jobs()

    assert smtp_inbox.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_refused_message_is_retried_later_and_arrives_exactly_once(app, smtp_inbox):
    smtp_inbox.refuse(times=2)
    message = _queue()
    db.session.commit()
    run_ready_jobs()
    db.session.refresh(message)
    assert (message.status, message.attempts, smtp_inbox.messages) == (MessageStatus.QUEUED, 1, [])
    assert "451" in message.last_error

    assert send_due_messages() == 0  # not due yet: the retry waits a minute
    assert send_due_messages(utcnow() + timedelta(minutes=2)) == 0  # refused once more
    assert send_due_messages(utcnow() + timedelta(hours=1)) == 1
    assert send_due_messages(utcnow() + timedelta(days=1)) == 0

    assert len(smtp_inbox.to("ana@example.org")) == 1
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 3, "")


def test_a_message_the_server_keeps_refusing_is_marked_failed(app, smtp_inbox):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp_inbox.refuse(times=5)
    message = _queue()
    db.session.commit()
    run_ready_jobs()
    send_due_messages(utcnow() + timedelta(hours=1))

    db.session.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 2)
    assert send_due_messages(utcnow() + timedelta(days=30)) == 0
    assert smtp_inbox.messages == []


def test_an_abandoned_claim_is_given_back_by_the_sweep(app, smtp_inbox):
    message = _queue()
    db.session.flush()
    message.status, message.claimed_at = MessageStatus.SENDING, utcnow() - timedelta(hours=1)
    db.session.commit()
    db.session.info.clear()  # the job the commit asked for is lost with its worker

    assert send_due_messages() == 1
    assert len(smtp_inbox.messages) == 1


def test_one_message_per_occasion(app, smtp_inbox):
    assert _queue(unique_key="reminder:1:2026-12-06") is not None
    assert _queue(unique_key="reminder:1:2026-12-06") is None
    db.session.commit()
    run_ready_jobs()
    assert len(smtp_inbox.messages) == 1


def test_without_a_mail_server_messages_are_written_to_the_mail_folder(app):
    assert not app.config["MAIL_SERVER"]
    _queue(address="boris@example.org", language="ru")
    db.session.commit()
    run_ready_jobs()

    [written] = written_messages(app.config["MAIL_FOLDER"])
    assert written["To"] == "boris@example.org"
    assert "Это тестовое письмо из Tracker." in text_part(written)


def test_send_test_mail_reports_what_happened(app, runner, smtp_inbox):
    result = runner.invoke(args=["send-test-mail", "ops@example.org", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "ops@example.org: Sent." in result.output
    [received] = smtp_inbox.to("ops@example.org")
    assert "127.0.0.1" in text_part(received)


def test_send_test_mail_says_why_the_server_refused(app, runner, smtp_inbox):
    smtp_inbox.refuse(times=1)
    result = runner.invoke(args=["send-test-mail", "ops@example.org"])
    assert result.exit_code == 1
    assert "Waiting" in result.output and "451" in result.output
