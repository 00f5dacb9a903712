"""How accounts are looked up: e-mail addresses as stored, token digests, finding a user."""

from __future__ import annotations

import hashlib
import re

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.auth.models import User
from tracker.errors import found
from tracker.extensions import db

# Loose on purpose: the address is checked by the person receiving mail, not by a regex.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_EMAIL_LENGTH = 254


def token_digest(token: str) -> str:
    """The SHA-256 of a token: what the database keeps instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """The e-mail as stored and compared: without surrounding spaces, lowercased."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address, whatever its case, or None."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User:
    """The user with this id; raise NotFound otherwise."""
    return found(db.session.get(User, user_id), _("There is no such user."))
