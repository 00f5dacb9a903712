"""Which dates are plausible: the one rule every date field, service and import applies.

Tracker's records are about the coalition's funding since 1990 and plans up to 2100;
a date outside that range is a typo (year 1, 9999, 20266) and is refused. Things that
already happened (a pledge made, a payment received) cannot be dated after today
(in UTC, the server's day).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from tracker.db import utcnow
from tracker.errors import DomainError

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


def latest_past_day() -> date:
    """The last day a thing that already happened may carry: today, in UTC."""
    return utcnow().date()


def date_problem(day: date | None, *, past_only: bool = False) -> str | None:
    """Why `day` cannot be stored, in the user's language, or None when it is plausible."""
    if day is None:
        return None
    if day < EARLIEST or day > LATEST:
        return _("Enter a date between %(earliest)s and %(latest)s.",
                 earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())
    if past_only and day > latest_past_day():
        return _("The date cannot be in the future.")
    return None


def check_date(day: date | None, *, field: str | None = None, past_only: bool = False) -> None:
    """Raise a DomainError naming `field` when `day` is not plausible (see date_problem)."""
    problem = date_problem(day, past_only=past_only)
    if problem:
        raise DomainError(problem, field=field)


def clamp_for_display(day: date) -> date:
    """`day` moved inside what date arithmetic can handle (for feeds and day counts)."""
    return min(max(day, date.min + timedelta(days=1)), date.max - timedelta(days=1))


def date_order_problem(starts_on: date | None, ends_on: date | None) -> str | None:
    """Why an end date cannot stand with its start (it comes before it), or None."""
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        return _("The end date cannot be before the start date.")
    return None


def check_date_order(starts_on: date | None, ends_on: date | None, *,
                     field: str = "ends_on") -> None:
    """Raise a DomainError naming `field` when the end comes before the start."""
    problem = date_order_problem(starts_on, ends_on)
    if problem:
        raise DomainError(problem, field=field)


def check_dates(**days: date | None) -> None:
    """check_date for each named date (e.g. starts_on=..., ends_on=...); None is left alone."""
    for field, day in days.items():
        check_date(day, field=field)


def stored_date(value: object) -> date:
    """A date read back from SQL: SQLite returns COALESCE of date columns (or of a column and
    a bound date) as ISO text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
