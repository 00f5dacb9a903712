"""Logging in and sessions: checking a password, starting, resuming and ending sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import joinedload

from tracker.audit.hooks import acting_as
from tracker.auth import notices
from tracker.auth.demo import demo_session_refused, refuse_demo_login
from tracker.auth.failures import FailedLoginReport, take_failed_logins
from tracker.auth.identity import find_user_by_email, token_digest
from tracker.auth.models import SessionEnd, User, UserSession
from tracker.auth.passwords import check_policy, hash_password, needs_rehash, verify_password
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.extensions import db

# last_seen_at is written at most this often, so that reading a page is not always a write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class ClientInfo:
    """Where a login comes from, kept with the session so that a user can recognise it."""

    user_agent: str = ""
    ip_address: str = ""


@dataclass(frozen=True)
class LoginResult:
    """A user who has just logged in, and the token their browser's cookie must hold."""

    user: User
    session: UserSession
    token: str
    # Failed logins to the account since its previous login: its owner is told of them.
    failed_logins: FailedLoginReport | None = None


@dataclass(frozen=True)
class SessionCheck:
    """The outcome of checking a cookie's token: a live session, or why there is none."""

    session: UserSession | None
    ended_because: SessionEnd | None = None
    changed: bool = False  # whether the caller has a write to commit
    ended_user_id: int | None = None  # whose session it was, when it has ended


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password; one message for every kind of refusal.

    Unknown e-mail, wrong password, no password yet and a disabled account all read
    the same and cost the same argon2 time, so the answer reveals no account.
    """
    user = find_user_by_email(email)
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active:
        raise DomainError(_("Wrong e-mail address or password."))
    refuse_demo_login(user, password)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, client: ClientInfo) -> tuple[UserSession, str]:
    """Open a server-side session for the user; return it with the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        token_hash=token_digest(token), user=user, created_at=now, last_seen_at=now,
        user_agent=client.user_agent[:200], ip_address=client.ip_address[:45],
    )
    db.session.add(record)
    user.last_login_at = now
    db.session.flush()
    return record, token


def log_in(email: str, password: str, client: ClientInfo, *,
           replacing: UserSession | None = None) -> LoginResult:
    """Check the e-mail and password and open a session (ending `replacing`); DomainError if not."""
    user = authenticate(email, password)
    with acting_as(user.id):  # the audit trail names the user as author of a rehashed password
        if replacing is not None:
            end_session(replacing, SessionEnd.LOGOUT)
        record, token = start_session(user, client)
    return LoginResult(user, record, token, take_failed_logins(user))


def resume_session(token: str, *, idle: timedelta, absolute: timedelta) -> SessionCheck:
    """The live session a cookie's token names; end it when idle or too old.

    A session is refused once it has ended (logout, password change, disabled
    account), after `idle` without a request, and `absolute` after the login.
    """
    record = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == token_digest(token))
        .options(joinedload(UserSession.user))  # every request reads its user: one query
    )
    if record is None:
        return SessionCheck(None, None)
    if record.ended_at is not None:
        return SessionCheck(None, record.end_reason, ended_user_id=record.user_id)
    now = utcnow()
    if not record.user.is_active or demo_session_refused(record.user):
        reason = SessionEnd.DISABLED
    elif now - record.created_at >= absolute:
        reason = SessionEnd.EXPIRED
    elif now - record.last_seen_at >= idle:
        reason = SessionEnd.IDLE
    else:
        touch = now - record.last_seen_at >= TOUCH_INTERVAL
        if touch:
            record.last_seen_at = now
            db.session.flush()
        return SessionCheck(record, changed=touch)
    end_session(record, reason)
    return SessionCheck(None, reason, changed=True, ended_user_id=record.user_id)


def end_session(record: UserSession, reason: SessionEnd) -> None:
    """End one session; its cookie is refused from now on."""
    if record.ended_at is None:
        record.ended_at = utcnow()
        record.end_reason = reason
        db.session.flush()


def end_sessions(user: User, reason: SessionEnd, keep: UserSession | None = None) -> int:
    """End the user's open sessions (all but `keep`); return how many were ended."""
    conditions = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep is not None:
        conditions.append(UserSession.id != keep.id)
    result = cast(CursorResult[Any], db.session.execute(
        update(UserSession).where(*conditions).values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session="fetch")
    ))
    return result.rowcount or 0


def end_other_sessions(user: User, keep: UserSession) -> int:
    """End every session of the user but this one; return how many were ended."""
    return end_sessions(user, SessionEnd.ENDED_BY_USER, keep)


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not ended, newest first (some may have timed out)."""
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


def change_password(user: User, current: str, new: str, *, keep: UserSession) -> User:
    """Set a new password after checking the current one; end other sessions; tell the owner."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), field="current_password")
    check_policy(new, email=user.email, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(user, SessionEnd.PASSWORD_CHANGED, keep)
    db.session.flush()
    notices.password_changed(user, address=keep.ip_address)
    return user
