"""Rules for accounts: creating and inviting users, logging in, sessions, roles, passwords."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from tracker.audit.hooks import acting_as
from tracker.auth.models import (
    Invite,
    Membership,
    MembershipRole,
    Role,
    SessionEnd,
    User,
    UserSession,
)
from tracker.auth.passwords import check_policy, hash_password, needs_rehash, verify_password
from tracker.campaigns.models import Campaign
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound
from tracker.extensions import db
from tracker.i18n import LANGUAGES
from tracker.orgs.models import Organization

# Loose on purpose: the address is checked by the person receiving mail, not by a regex.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_EMAIL_LENGTH = 254
# last_seen_at is written at most this often, so that reading a page is not always a write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class UserInput:
    """A new account: who, in which role, organisation, campaigns and language."""

    email: str
    role: Role
    organization_id: int | None = None
    campaign_ids: Sequence[int] = ()
    language: str = "ru"


@dataclass(frozen=True)
class AccessInput:
    """What an admin may change about an account: role, organisation, led campaigns."""

    role: Role
    organization_id: int | None = None
    campaign_ids: Sequence[int] = field(default_factory=tuple)


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


@dataclass(frozen=True)
class SessionCheck:
    """The outcome of checking a cookie's token: a live session, or why there is none."""

    session: UserSession | None
    ended_because: SessionEnd | None = None
    changed: bool = False  # whether the caller has a write to commit


@dataclass(frozen=True)
class InviteResult:
    """A one-time link's token (shown once, never stored) and when it expires."""

    user: User
    token: str
    expires_at: datetime


def token_digest(token: str) -> str:
    """The SHA-256 of a token: what the database keeps instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """The e-mail as stored and compared: without surrounding spaces, lowercased."""
    return email.strip().lower()


# --- Users -----------------------------------------------------------------------------------


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address, whatever its case, or None."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User:
    """The user with this id; raise NotFound otherwise."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such user."))
    return user


def list_users() -> list[User]:
    """Every account with its organisation and memberships, by e-mail."""
    return list(db.session.scalars(
        select(User)
        .options(selectinload(User.organization),
                 selectinload(User.memberships).selectinload(Membership.campaign))
        .order_by(User.email)
    ))


def find_organization_id(slug: str) -> int:
    """The id of the organisation with this short name; DomainError when there is none."""
    org_id = db.session.scalar(select(Organization.id).where(Organization.slug == slug))
    if org_id is None:
        raise DomainError(_("There is no organisation with the short name %(slug)s.", slug=slug),
                          field="organization")
    return org_id


def find_campaign_ids(slugs: Sequence[str]) -> list[int]:
    """The ids of the campaigns with these short names; DomainError naming any unknown one."""
    ids = []
    for slug in slugs:
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        if campaign_id is None:
            raise DomainError(_("There is no campaign with the short name %(slug)s.", slug=slug),
                              field="campaigns")
        ids.append(campaign_id)
    return ids


def _check_email(email: str, current: User | None = None) -> str:
    email = normalize_email(email)
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise DomainError(_("Give a valid e-mail address, e.g. name@example.org."), field="email")
    clash = find_user_by_email(email)
    if clash is not None and clash is not current:
        raise DomainError(_("There is already an account for %(email)s.", email=email),
                          field="email")
    return email


def _check_access(access: AccessInput) -> None:
    if access.organization_id is not None and db.session.get(
            Organization, access.organization_id) is None:
        raise DomainError(_("Choose an organisation from the list."), field="organization")
    if access.campaign_ids:
        if access.role != Role.LEAD:
            # Memberships grant a lead's rights; on any other role they would mislead.
            raise DomainError(
                _("Only campaign leads are members of campaigns: choose the role "
                  "“Campaign lead” or clear the campaigns."),
                field="campaigns",
            )
        known = set(db.session.scalars(
            select(Campaign.id).where(Campaign.id.in_(list(access.campaign_ids)))
        ))
        if known != set(access.campaign_ids):
            raise DomainError(_("Choose campaigns from the list."), field="campaigns")


def _set_memberships(user: User, campaign_ids: Sequence[int]) -> None:
    wanted = set(campaign_ids)
    for membership in list(user.memberships):
        if membership.campaign_id not in wanted:
            user.memberships.remove(membership)
    have = {m.campaign_id for m in user.memberships}
    for campaign_id in sorted(wanted - have):
        user.memberships.append(Membership(campaign_id=campaign_id, role=MembershipRole.LEAD))


def create_user(data: UserInput, password: str | None) -> User:
    """Add an account; without a password it can only be used through an invitation link."""
    email = _check_email(data.email)
    access = AccessInput(data.role, data.organization_id, tuple(data.campaign_ids))
    _check_access(access)
    if data.language not in LANGUAGES:
        raise DomainError(_("Choose English or Russian."), field="language")
    if password is not None:
        check_policy(password, email=email)
    user = User(email=email, role=data.role, organization_id=data.organization_id,
                language=data.language, is_active=True)
    if password is not None:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    _set_memberships(user, access.campaign_ids)
    db.session.flush()
    return user


def _active_admins_other_than(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User)
        .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)
    )


def update_access(user: User, access: AccessInput) -> User:
    """Change a user's role, organisation and led campaigns; an active admin must remain."""
    _check_access(access)
    if (user.role == Role.ADMIN and access.role != Role.ADMIN and user.is_active
            and _active_admins_other_than(user) == 0):
        raise DomainError(
            _("This is the only active administrator; make someone else an administrator first."),
            field="role",
        )
    user.role = access.role
    user.organization_id = access.organization_id
    _set_memberships(user, access.campaign_ids)
    db.session.flush()
    return user


def set_active(user: User, active: bool, *, by: User) -> User:
    """Enable or disable an account; disabling ends its sessions and unused links."""
    if not active:
        if user.id == by.id:
            raise DomainError(_("You cannot disable your own account."))
        if user.role == Role.ADMIN and _active_admins_other_than(user) == 0:
            raise DomainError(_("This is the only active administrator; it cannot be disabled."))
        _end_sessions(user, SessionEnd.DISABLED)
        _revoke_links(user)
    user.is_active = active
    db.session.flush()
    return user


def set_language(user: User, language: str) -> User:
    """Remember the language a user wants the screens in."""
    if language not in LANGUAGES:
        raise DomainError(_("Choose English or Russian."), field="language")
    user.language = language
    db.session.flush()
    return user


# --- Logging in and sessions ------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password; one message for every kind of refusal.

    Unknown e-mail, wrong password, no password yet and a disabled account all read
    the same and cost the same argon2 time, so the answer reveals no account.
    """
    user = find_user_by_email(email)
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active:
        raise DomainError(_("Wrong e-mail address or password."))
    if needs_rehash(user.password_hash):
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
    return LoginResult(user, record, token)


def resume_session(token: str, *, idle: timedelta, absolute: timedelta) -> SessionCheck:
    """The live session a cookie's token names; end it when idle or too old.

    A session is refused once it has ended (logout, password change, disabled
    account), after `idle` without a request, and `absolute` after the login.
    """
    record = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == token_digest(token))
    )
    if record is None:
        return SessionCheck(None, None)
    if record.ended_at is not None:
        return SessionCheck(None, record.end_reason)
    now = utcnow()
    if not record.user.is_active:
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
    return SessionCheck(None, reason, changed=True)


def end_session(record: UserSession, reason: SessionEnd) -> None:
    """End one session; its cookie is refused from now on."""
    if record.ended_at is None:
        record.ended_at = utcnow()
        record.end_reason = reason
        db.session.flush()


def _end_sessions(user: User, reason: SessionEnd, keep: UserSession | None = None) -> int:
    conditions = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep is not None:
        conditions.append(UserSession.id != keep.id)
    result = db.session.execute(
        update(UserSession).where(*conditions).values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def end_other_sessions(user: User, keep: UserSession) -> int:
    """End every session of the user but this one; return how many were ended."""
    return _end_sessions(user, SessionEnd.ENDED_BY_USER, keep)


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not ended, newest first (some may have timed out)."""
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


def change_password(user: User, current: str, new: str, *, keep: UserSession) -> User:
    """Set a new password after checking the current one; end every other session."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), field="current_password")
    check_policy(new, email=user.email, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    _end_sessions(user, SessionEnd.PASSWORD_CHANGED, keep)
    db.session.flush()
    return user


# --- Invitations and set-password links -------------------------------------------------------


def _revoke_links(user: User) -> None:
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
    _revoke_links(user)
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + valid_for
    db.session.add(Invite(token_hash=token_digest(token), user=user,
                          created_by_id=by.id if by else None, expires_at=expires_at))
    db.session.flush()
    return InviteResult(user, token, expires_at)


def invite_user(data: UserInput, *, by: User | None, valid_for: timedelta) -> InviteResult:
    """Create an account without a password and a one-time link where its owner sets one."""
    user = create_user(data, password=None)
    return issue_link(user, by=by, valid_for=valid_for)


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
        _end_sessions(user, SessionEnd.PASSWORD_CHANGED)
        record, session_token = start_session(user, client)
    return LoginResult(user, record, session_token)
