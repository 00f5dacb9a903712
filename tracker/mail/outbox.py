"""Adding a message to the outbox, rendered in its recipient's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.i18n import LANGUAGES
from tracker.jobs import enqueue
from tracker.mail.models import OutboxMessage


def render_message(kind: str, language: str, subject: Any,
                   context: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of templates/mail/<kind>.txt and .html in `language`."""
    with force_locale(language):
        values = dict(context, language=language)
        return (str(subject).strip().replace("\n", " ")[:300],
                render_template(f"mail/{kind}.txt", **values),
                render_template(f"mail/{kind}.html", **values))


def queue_message(*, kind: str, recipient: str, language: str, subject: Any,
                  context: Mapping[str, Any] | None = None, unique_key: str | None = None,
                  headers: Mapping[str, str] | None = None) -> OutboxMessage | None:
    """Write a message to the outbox in the caller's transaction; it is sent after the commit.

    `subject` is a lazy string (rendered in `language`). With `unique_key`, a message for
    the same occasion already in the outbox makes this a no-op that returns None, so a
    rerun of the same reminder pass sends nothing twice.
    """
    language = language if language in LANGUAGES else "en"
    session = db.session
    if unique_key is not None and session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.unique_key == unique_key)):
        return None
    subject_text, text_body, html_body = render_message(kind, language, subject, context or {})
    message = OutboxMessage(kind=kind, recipient=recipient, language=language,
                            subject=subject_text, text_body=text_body, html_body=html_body,
                            headers=dict(headers or {}), unique_key=unique_key)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another process wrote the same occasion between our check and our insert.
        return None
    from tracker.mail.delivery import deliver

    enqueue(deliver, message.id)
    return message
