"""Delivering outbox messages: claim one, send it over SMTP (or to a file), record the result.

A message is claimed (QUEUED -> SENDING, committed) before it is sent, so two workers
never send the same one; a claim older than CLAIM_TIMEOUT (a worker that died mid-send)
is given back by the sweep. A failed attempt is retried later with growing delays
(RETRY_DELAYS) and, after MAIL_MAX_ATTEMPTS, the message is marked FAILED for admins to see.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy import select, update

from tracker.db import utcnow
from tracker.extensions import db
from tracker.mail.models import MessageStatus, OutboxMessage

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=8))
CLAIM_TIMEOUT = timedelta(minutes=10)


class DeliveryError(Exception):
    """The mail server (or the folder) did not take the message."""


def build_email(message: OutboxMessage) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, with the outbox's extra headers."""
    config = current_app.config
    email = EmailMessage()
    # Encoded here, not by the policy: Python 3.11's folding drops the space between two
    # encoded words, so a long Russian subject arrived as "войти ввашу".
    charset = "us-ascii" if message.subject.isascii() else "utf-8"
    email.set_raw("Subject", Header(message.subject, charset, header_name="Subject").encode())
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}",
                                     domain=config["MAIL_MESSAGE_ID_DOMAIN"])
    email["Auto-Submitted"] = "auto-generated"
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    email["Content-Language"] = message.language  # after set_content, which drops Content-*
    return email


def _send_smtp(email: EmailMessage) -> None:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    # A web process sends after its request (no Redis): its visitor waits, so it gives up
    # sooner; the message stays queued and is retried by a sweep.
    timeout = float(config["MAIL_WEB_TIMEOUT_SECONDS" if has_request_context()
                           else "MAIL_TIMEOUT_SECONDS"])
    try:
        if config["MAIL_USE_SSL"]:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                server.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            server.send_message(email)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error


def mail_folder() -> Path:
    """Where messages are written when no mail server is configured (instance/mail/)."""
    return Path(current_app.config.get("MAIL_FOLDER") or
                Path(current_app.instance_path) / "mail")


def _write_file(email: EmailMessage, message: OutboxMessage) -> None:
    folder = mail_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
        (folder / f"{stamp}-{message.id:06d}-{message.kind}.eml").write_bytes(bytes(email))
    except OSError as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error


def send_email(message: OutboxMessage) -> None:
    """Hand the message to the mail server, or write it to the mail folder; DeliveryError if not."""
    email = build_email(message)
    if current_app.config["MAIL_SERVER"]:
        _send_smtp(email)
    else:
        _write_file(email, message)


def _claim(message_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.QUEUED,
               OutboxMessage.next_attempt_at <= now)
        .values(status=MessageStatus.SENDING, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def deliver(message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox message if it is due and nobody else is sending it; True once sent."""
    now = now or utcnow()
    if not _claim(message_id, now):
        return False
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    message.attempts += 1
    try:
        send_email(message)
    except DeliveryError as error:
        _record_failure(message, str(error), now)
        db.session.commit()
        return False
    message.status, message.sent_at, message.last_error = MessageStatus.SENT, utcnow(), ""
    db.session.commit()
    return True


def _record_failure(message: OutboxMessage, error: str, now: datetime) -> None:
    message.last_error = error[:500]
    if message.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        message.status = MessageStatus.FAILED
        log.error("Giving up on message %s to %s after %s attempts: %s",
                  message.id, message.recipient, message.attempts, error)
        return
    delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
    message.status, message.next_attempt_at = MessageStatus.QUEUED, now + delay
    log.warning("Message %s not sent (attempt %s), retrying in %s: %s",
                message.id, message.attempts, delay, error)


def due_message_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Messages to send now: due ones waiting, and claims abandoned by a worker that died."""
    now = now or utcnow()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.SENDING,
               OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
        .values(status=MessageStatus.QUEUED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.QUEUED,
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)))


def send_due_messages(now: datetime | None = None, budget_seconds: float | None = None) -> int:
    """The sweep: deliver every message that is due; how many were sent.

    With `budget_seconds` (a web process sweeping after its request) no delivery starts
    once that much time has passed: the rest wait for the next sweep.
    """
    now = now or utcnow()
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    sent = 0
    for message_id in due_message_ids(now):
        if deadline is not None and time.monotonic() > deadline:
            break
        sent += deliver(message_id, now)
    return sent
