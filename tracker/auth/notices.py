"""The account messages: invitations, set-password links and security notices, by e-mail.

Each is written to the outbox (tracker/mail) in the transaction of its cause, in the
account's language, with links built from BASE_URL; a job sends it after the commit.
Disabled accounts, and demo accounts outside development, are sent nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.auth.demo import demo_session_refused
from tracker.auth.models import Role, User
from tracker.db import utcnow
from tracker.mail.models import OutboxMessage
from tracker.mail.outbox import queue_message
from tracker.urls import external_url

# How far a role reaches: a notice goes out when an account gains reach, not when it loses it.
PRIVILEGE = {Role.COORDINATOR: 1, Role.ADMIN: 2}

INVITATION_SUBJECT = _l("Your invitation to Tracker")
RESET_SUBJECT = _l("A link to set a new Tracker password")


def reachable(user: User) -> bool:
    """Whether account mail goes to this user: active, and not a demo account out of development."""
    return user.is_active and not demo_session_refused(user)


def _queue(user: User, kind: str, subject: Any, context: dict[str, Any],
           unique_key: str | None = None) -> OutboxMessage | None:
    if not reachable(user):
        return None
    return queue_message(kind=kind, recipient=user.email, language=user.language,
                         subject=subject, context={"email": user.email, **context},
                         unique_key=unique_key)


def send_invitation(user: User, token: str, expires_at: datetime, *,
                    by: User | None) -> OutboxMessage | None:
    """E-mail a new account's invitation: its role, and the one-time link to set a password."""
    return _queue(user, "invitation", INVITATION_SUBJECT, {
        "role": user.role, "by_email": by.email if by else None,
        "link": external_url("auth.accept_invite", token=token), "expires_at": expires_at,
    })


def send_reset_link(user: User, token: str, expires_at: datetime, *,
                    by: User | None) -> OutboxMessage | None:
    """E-mail a link to set a new password: asked for on the login page, or made by an admin."""
    return _queue(user, "password_reset", RESET_SUBJECT, {
        "by_email": by.email if by else None,
        "link": external_url("auth.reset_password", token=token), "expires_at": expires_at,
        "forgot_url": external_url("auth.forgot_password"),
    })


def password_changed(user: User, *, address: str) -> OutboxMessage | None:
    """Tell the owner their password was changed: when, from where, what to do if not them."""
    return _queue(user, "password_changed", _l("Your Tracker password was changed"), {
        "changed_at": user.password_changed_at or utcnow(), "address": address,
        "forgot_url": external_url("auth.forgot_password"),
    })


def failed_logins(user: User, *, count: int, first_at: datetime, last_at: datetime,
                  last_address: str) -> OutboxMessage | None:
    """Tell the owner their account is being guessed: once per run of failures."""
    subject = _l("Someone is trying to log in to your Tracker account")
    return _queue(user, "failed_logins", subject, {
        "count": count, "first_at": first_at, "last_at": last_at, "address": last_address,
        "account_url": external_url("auth.account"),
        "forgot_url": external_url("auth.forgot_password"),
    }, unique_key=f"failed-logins:user-{user.id}:{first_at.isoformat()}")


def role_granted(user: User, previous: Role, *, by: User | None) -> OutboxMessage | None:
    """Tell the owner their account gained an administrator's or a coordinator's role."""
    if PRIVILEGE.get(user.role, 0) <= PRIVILEGE.get(previous, 0):
        return None
    return _queue(user, "role_granted", _l("Your role in Tracker has changed"), {
        "role": user.role, "previous": previous, "by_email": by.email if by else None,
        "granted_at": utcnow(), "site_url": external_url("dashboard.index"),
    })
