"""The days ahead of a deadline each user wants a reminder on."""

from __future__ import annotations

from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.errors import DomainError
from tracker.extensions import db

# A reminder more than a quarter ahead is a calendar's job, not a message's.
MAX_DAYS_AHEAD = 90
MAX_CHOICES = 5


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """'14, 7,1' as (14, 7, 1), largest first; '' (or 'none') as no reminders.

    Refuses anything else with a message that says what is expected.
    """
    cleaned = (text or "").strip()
    if cleaned.lower() in ("", "none", "нет"):
        return ()
    days: set[int] = set()
    for part in cleaned.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 0 <= int(part) <= MAX_DAYS_AHEAD:
            raise DomainError(_(
                "Write whole numbers of days from 0 to %(max)d, separated by commas "
                "(e.g. 14,7,1), or leave the field empty for no reminders.",
                max=MAX_DAYS_AHEAD), field="days")
        days.add(int(part))
    if len(days) > MAX_CHOICES:
        raise DomainError(_("Choose at most %(num)d days.", num=MAX_CHOICES), field="days")
    return tuple(sorted(days, reverse=True))


def format_reminder_days(days: tuple[int, ...]) -> str:
    """The stored form of a choice: '14,7,1', or '' for none."""
    return ",".join(str(day) for day in days)


def reminder_days_of(user: User) -> tuple[int, ...]:
    """The days ahead the user is reminded on (a stored value that no longer parses: none)."""
    try:
        return parse_reminder_days(user.reminder_days)
    except DomainError:
        return ()


def set_reminder_days(user: User, text: str) -> tuple[int, ...]:
    """Save the user's choice of days (see parse_reminder_days); returns what was saved."""
    days = parse_reminder_days(text)
    user.reminder_days = format_reminder_days(days)
    db.session.flush()
    return days
