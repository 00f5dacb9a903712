"""The deadlines as an iCalendar feed, and the secret links that stand for a login to it.

This module writes a file for calendar programs, so it formats what it shows (money,
labels) in the feed's language; the services it reads return plain values.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from tracker.applications.deadlines import Deadline
from tracker.applications.lines import ApplicationLine
from tracker.applications.models import CalendarToken
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.extensions import db
from tracker.i18n import format_money

MAX_TOKEN_LENGTH = 100


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token_of(user: User) -> CalendarToken | None:
    """The user's calendar token record (its hash only), or None."""
    return db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))


def issue_calendar_token(user: User) -> str:
    """A new secret for the user's feed link; the previous link stops working."""
    token = secrets.token_urlsafe(32)
    record = calendar_token_of(user)
    if record is None:
        record = CalendarToken(user_id=user.id)
        db.session.add(record)
    record.token_hash = _token_hash(token)
    record.created_at = utcnow()
    db.session.flush()
    return token


def revoke_calendar_token(user: User) -> bool:
    """Stop the user's feed link; False when there was none."""
    record = calendar_token_of(user)
    if record is None:
        return False
    db.session.delete(record)
    db.session.flush()
    return True


def user_for_calendar_token(token: str) -> User | None:
    """The active user whose feed link carries this token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.scalar(
        select(User).join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token_hash == _token_hash(token))
    )
    return user if user is not None and user.is_active else None


def deadlines_calendar(deadlines: Iterable[Deadline[ApplicationLine]], *, language: str,
                       link: Callable[[ApplicationLine], str]) -> bytes:
    """An iCalendar file with one all-day event per deadline, written in the language."""
    from icalendar import Calendar, Event  # only the feed needs it, not every app start

    with force_locale(language):
        calendar = Calendar()
        calendar.add("prodid", "-//EECCA chemical-safety coalition//Tracker//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", _("Tracker: deadlines"))
        for deadline in deadlines:
            application = deadline.application
            title = application.localized("title", language)
            donor = application.donor.localized("name", language)
            event = Event()
            event.add("uid", deadline.uid)
            event.add("dtstamp", application.updated_at.astimezone(UTC))
            event.add("dtstart", deadline.due_on)
            # An all-day event ends the next day; 9999-12-31 has none, and without DTEND a
            # date event lasts one day anyway (RFC 5545, 3.6.1).
            if deadline.due_on < date.max:
                event.add("dtend", deadline.due_on + timedelta(days=1))
            event.add("summary", _("%(kind)s: %(title)s (%(donor)s)", kind=deadline.label,
                                   title=title, donor=donor))
            event.add("description", "\n".join((
                _("Campaign: %(campaign)s",
                  campaign=application.campaign.localized("title", language)),
                _("Status: %(status)s", status=application.status.label),
                _("Requested: %(amount)s",
                  amount=format_money(application.requested, language)),
                link(application),
            )))
            event.add("url", link(application))
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
        return calendar.to_ical()
