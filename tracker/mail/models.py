"""The outbox: one row per message, from the event that caused it until it is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, LabeledEnum, UTCDateTime, str_enum, utcnow


class MessageStatus(LabeledEnum):
    """Where a message is: waiting (or waiting to be retried), being sent, sent, or given up."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @classmethod
    def labels(cls):
        return {
            cls.QUEUED: _l("Waiting"),
            cls.SENDING: _l("Being sent"),
            cls.SENT: _l("Sent"),
            cls.FAILED: _l("Failed"),
        }


class OutboxMessage(Base):
    """A rendered e-mail and its delivery state.

    `unique_key` names the occasion ("reminder:application-12:submission:user-3:2026-12-06"):
    the database refuses a second message for it, so a rerun or a second scheduler sends
    nothing new. Not audited: the trail records the events that cause messages, and a
    message body may hold a password-reset link.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(60))  # the template's name: "invitation", ...
    unique_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, "message_status"), default=MessageStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.recipient!r} {self.status}>"
