"""One-time links where a person sets a password: issuing, mailing, revoking and accepting them.

The same link serves an invitation, an admin's new link and a reset asked for on the
login page; only the message around it differs (tracker/auth/notices.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from tracker.audit.hooks import acting_as
from tracker.auth import notices
from tracker.auth.identity import find_user_by_email, token_digest
from tracker.auth.logins import ClientInfo, LoginResult, end_sessions, start_session
from tracker.auth.models import Invite, SessionEnd, User
from tracker.auth.passwords import check_policy, hash_password
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.jobs import enqueue


@dataclass(frozen=True)
class InviteResult:
    """A one-time link's token (shown once, never stored) and when it expires."""

    user: User
    token: str
    expires_at: datetime
    # The outbox message carrying the link, when one was written (not to a disabled account).
    message_id: int | None = None


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


def mail_link(result: InviteResult, *, by: User | None) -> InviteResult:
    """E-mail a link just issued: an invitation before the first password, else a reset link."""
    user = result.user
    send = notices.send_reset_link if user.has_password else notices.send_invitation
    message = send(user, result.token, result.expires_at, by=by)
    return replace(result, message_id=message.id if message is not None else None)


def send_new_link(user: User, *, by: User | None, valid_for: timedelta) -> InviteResult:
    """A new one-time link for the user, e-mailed to them too; older unused links stop working."""
    return mail_link(issue_link(user, by=by, valid_for=valid_for), by=by)


def request_password_reset(email: str) -> None:
    """The login page's "Forgot your password?": a job e-mails a link if the address has one.

    The answer must not tell whether the address has an account, by its words or by its
    time: known or not, the request does the same work, one lookup and one job (without
    an id for an unknown address). The job, after the commit (on a worker when Redis is
    set), issues the link and writes the message, or does nothing.
    """
    user = find_user_by_email(email)
    enqueue(send_reset_link, user.id if user is not None else None)


def send_reset_link(user_id: int | None) -> None:
    """The job behind a reset request: issue a link and e-mail it, to an active account only."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is not None and notices.reachable(user):
        valid_for = timedelta(minutes=current_app.config["PASSWORD_RESET_VALID_MINUTES"])
        result = issue_link(user, by=None, valid_for=valid_for)
        notices.send_reset_link(user, result.token, result.expires_at, by=None)
    db.session.commit()  # a job owns its transaction


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
    replacing = user.has_password  # a first password is no news to its owner; a new one is
    with acting_as(user.id):  # the person sets their own password, nobody else
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        invite.used_at = utcnow()
        # A reset link means the old password may be known to someone else.
        end_sessions(user, SessionEnd.PASSWORD_CHANGED)
        record, session_token = start_session(user, client)
    if replacing:
        notices.password_changed(user, address=client.ip_address)
    return LoginResult(user, record, session_token)
