"""Unsubscribing: addresses that asked for no more messages, and the links that ask for it.

Every message to a supporter (not to staff: their security notices must always reach
them) carries a one-click unsubscribe link (RFC 8058: the `List-Unsubscribe` and
`List-Unsubscribe-Post` headers, and the same link in the body). The link holds a signed
token of the address's SHA-256 hash, not the address, so it gives nothing away in a log;
the suppression list keeps only that hash, so it holds no readable personal data and
survives the erasure of the supporter's pledges. Senders ask `is_suppressed` before
writing a message to the outbox. The link's page is a drives screen
(tracker/drives/views/unsubscribe.py), as only supporters' messages carry it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, utcnow
from tracker.extensions import db
from tracker.urls import external_url

TOKEN_SALT = "tracker.mail.unsubscribe"


class MailSuppression(Base):
    """An address (by its hash) that unsubscribed: supporter messages to it are not written."""

    __tablename__ = "mail_suppression"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def address_hash(address: str) -> str:
    """The SHA-256 of the address, trimmed and lowercased (how one address is recognised)."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=TOKEN_SALT)


def unsubscribe_token(address: str) -> str:
    """The signed token of an address's unsubscribe link; it never expires."""
    return _serializer().dumps(address_hash(address))


def hash_from_token(token: str) -> str | None:
    """The address hash a token stands for; None for a token this server did not sign."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 64 else None


def unsubscribe_url(address: str) -> str:
    """The absolute one-click unsubscribe link of an address."""
    return external_url("drives.unsubscribe", token=unsubscribe_token(address))


def unsubscribe_headers(address: str) -> dict[str, str]:
    """RFC 8058 headers: mail programs show an "Unsubscribe" button that POSTs to the link."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(address)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def is_suppressed(address: str) -> bool:
    """Whether the address unsubscribed."""
    return db.session.get(MailSuppression, address_hash(address)) is not None


def suppress(hashed: str) -> bool:
    """Add an address hash to the suppression list; False when it was already there."""
    if db.session.scalar(select(MailSuppression.address_hash)
                         .where(MailSuppression.address_hash == hashed)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(MailSuppression(address_hash=hashed))
    except IntegrityError:  # the same link clicked twice at once
        return False
    return True
