"""One-time links where a person sets a password: issuing, revoking and accepting them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from tracker.audit.hooks import acting_as
from tracker.auth.identity import token_digest
from tracker.auth.logins import ClientInfo, LoginResult, end_sessions, start_session
from tracker.auth.models import Invite, SessionEnd, User
from tracker.auth.passwords import check_policy, hash_password
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.extensions import db


@dataclass(frozen=True)
class InviteResult:
    """A one-time link's token (shown once, never stored) and when it expires."""

    user: User
    token: str
    expires_at: datetime


def revoke_links(user: User) -> None:
    """Make every unused link of the user stop working."""
    db.session.execute(
        update(Invite)
        .where(Invite.user_id == user.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def issue_link(user: User, *, by: User | None, valid_for: timedelta) -> InviteResult:
    """A new one-time link for the user to set a password; older unused links stop working."""
    if not user.is_active:
        raise DomainError(_("Enable the account before sending it a link."))
    revoke_links(user)
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + valid_for
    db.session.add(Invite(token_hash=token_digest(token), user=user,
                          created_by_id=by.id if by else None, expires_at=expires_at))
    db.session.flush()
    return InviteResult(user, token, expires_at)


def find_valid_invite(token: str) -> Invite | None:
    """The unused, unexpired, unrevoked link with this token for an active account, or None."""
    invite = db.session.scalar(select(Invite).where(Invite.token_hash == token_digest(token)))
    if (invite is None or invite.used_at is not None or invite.revoked_at is not None
            or invite.expires_at <= utcnow() or not invite.user.is_active):
        return None
    return invite


def accept_invite(token: str, password: str, client: ClientInfo) -> LoginResult:
    """Set the password through a one-time link, end older sessions and log the user in."""
    invite = find_valid_invite(token)
    if invite is None:
        raise DomainError(_("This link is no longer valid. Ask an administrator for a new one."))
    user = invite.user
    check_policy(password, email=user.email, field="new_password")
    with acting_as(user.id):  # the person sets their own password, nobody else
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        invite.used_at = utcnow()
        # A reset link means the old password may be known to someone else.
        end_sessions(user, SessionEnd.PASSWORD_CHANGED)
        record, session_token = start_session(user, client)
    return LoginResult(user, record, session_token)
