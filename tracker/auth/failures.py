"""Telling owners their account is being guessed: failed logins kept until the next success.

Each refused password for an existing account counts up one row of `failed_logins`;
the next successful login takes the row away and the owner is shown what it held.
Once LOGIN_FAILURE_ALERT_AT have failed, `alert_owner` e-mails them at once. Which
addresses an account logged in from lately is asked here too, for the login limits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from tracker.auth import notices
from tracker.auth.identity import find_user_by_email
from tracker.auth.models import FailedLogins, User, UserSession
from tracker.db import utcnow
from tracker.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailedLoginReport:
    """What the owner is told: how many logins failed since theirs, the last when and from where."""

    count: int
    first_at: datetime
    last_at: datetime
    last_address: str


def note_failed_login(email: str, address: str) -> FailedLoginReport | None:
    """Count one refused login against the account with this e-mail, if there is one."""
    user = find_user_by_email(email)
    if user is None:
        return None
    now = utcnow()
    address = address[:45]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One statement, so that two guesses at once both count.
    statement = insert(FailedLogins).values(
        user_id=user.id, count=1, first_at=now, last_at=now, last_address=address)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[FailedLogins.user_id],
        set_={"count": FailedLogins.count + 1, "last_at": now, "last_address": address},
    ))
    report = failed_logins_of(user)
    if report is not None and report.count == current_app.config["LOGIN_FAILURE_ALERT_AT"]:
        alert_owner(user, report)
    return report


def failed_logins_of(user: User) -> FailedLoginReport | None:
    """The failed logins to the account since its last successful one, if any."""
    row = db.session.scalar(select(FailedLogins).where(FailedLogins.user_id == user.id)
                            .execution_options(populate_existing=True))
    if row is None:
        return None
    return FailedLoginReport(row.count, row.first_at, row.last_at, row.last_address)


def take_failed_logins(user: User) -> FailedLoginReport | None:
    """At a successful login: the failures since the last one, forgotten once read."""
    report = failed_logins_of(user)
    if report is not None:
        db.session.execute(delete(FailedLogins).where(FailedLogins.user_id == user.id))
    return report


def alert_owner(user: User, report: FailedLoginReport) -> None:
    """The account is being guessed: log it and e-mail its owner now; never raises."""
    # Called inside the refused login's own commit: a failure here must neither show the
    # guesser a 500 instead of the usual refusal nor lose the count, so the message is
    # written in a savepoint of its own and any error is only logged.
    log.warning("Account %s: %d failed logins since its last login, the last from %s.",
                user.id, report.count, report.last_address)
    try:
        with db.session.begin_nested():
            notices.failed_logins(user, count=report.count, first_at=report.first_at,
                                  last_at=report.last_at, last_address=report.last_address)
    except Exception:
        log.exception("Account %s: could not queue the failed-logins notice.", user.id)


def logged_in_from(user: User, address: str) -> bool:
    """Whether the account logged in from this address within LOGIN_KNOWN_ADDRESS_DAYS."""
    since = utcnow() - timedelta(days=current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"])
    return db.session.scalar(
        select(UserSession.id).where(UserSession.user_id == user.id,
                                     UserSession.ip_address == address[:45],
                                     UserSession.created_at >= since).limit(1)
    ) is not None
